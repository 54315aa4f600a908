"""Which model architectures the vllm backend can serve.

When vllm is installed, its own registry answers. Without it (a login node, this project's CI), the
answer comes from a copy of the vision-language part of vLLM's registry that covers the families this
project knows:
  source: vllm-project/vllm, vllm/model_executor/models/registry.py (`_MULTIMODAL_MODELS` and
  `_PREVIOUSLY_SUPPORTED_MODELS`), commit 0002bff0b6cb36a3c8a17364de3303664463c412.
  tests/test_vllm_support.py checks both sets against a verbatim excerpt of those two tables.
"""

from __future__ import annotations

SUPPORTED = {
    "Qwen2VLForConditionalGeneration",
    "Qwen2_5_VLForConditionalGeneration",
    "KimiVLForConditionalGeneration",
    "LlavaForConditionalGeneration",
    "LlavaNextForConditionalGeneration",
    "LlavaOnevisionForConditionalGeneration",
    "Llama4ForConditionalGeneration",
}
# Architectures vLLM served once and removed, with the last version that had them.
REMOVED = {"MllamaForConditionalGeneration": "0.10.2"}


def unsupported_reason(architecture: str) -> str | None:
    """None when vllm serves `architecture`, else why not (one phrase)."""
    try:
        from vllm import ModelRegistry  # the installed engine knows best
    except ImportError:
        known, where = SUPPORTED, "vLLM's registry at commit 0002bff0b6cb (vllm not installed here)"
    else:
        known, where = set(ModelRegistry.get_supported_archs()), "the installed vllm"
    if architecture in known:
        return None
    if architecture in REMOVED:
        return (f"vllm removed {architecture} after {REMOVED[architecture]} ({where}): use backend: hf, "
                f"or pin vllm<={REMOVED[architecture]} in envs/vllm.yaml")  # fmt: skip
    return f"{architecture} is not in {where}: use backend: hf"
