"""Load a registry entry into a model, its processor and tokenizer.

Policy, in one place:
- the source is a local `path` or a hub `hf_id` at a pinned `revision`;
- weights come from safetensors only, unless the entry sets `allow_pickle_weights`;
- remote modelling code runs only when the entry sets `trust_remote_code`; a model whose config needs
  it (an `auto_map`, or a model type transformers does not know) stops with an error naming the key;
- an `adapter` (peft `save_pretrained` layout) is applied with PeftModel;
- bf16 with `device_map="auto"` on GPU; on CPU the entry's `dtype` (default float32: faster than bf16
  on CPUs without bf16 matmul units, and batched greedy decoding stays equal to one-by-one).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thinksafe.errors import ThinksafeError

log = logging.getLogger("thinksafe")

# family → transformers model class (by name, imported on use)
FAMILY_CLASSES = {
    "qwen2_5_vl": "Qwen2_5_VLForConditionalGeneration",
    "qwen2_vl": "Qwen2VLForConditionalGeneration",
    "mllama": "MllamaForConditionalGeneration",
    "llava": "LlavaForConditionalGeneration",
    "kimi_vl": "AutoModelForCausalLM",  # ships its modelling code on the hub (trust_remote_code)
}
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


@dataclass
class LoadedModel:
    model: Any
    processor: Any
    tokenizer: Any
    spec: dict
    device: str
    dtype: str
    revision: str  # the entry's revision, or the hub commit it resolved to


def _key(spec: dict, field: str) -> str:
    return f"config key models.{spec.get('name', '?')}.{field}"


def source_of(spec: dict) -> str:
    """The local directory or hub id the weights come from."""
    if spec.get("path"):
        path = Path(spec["path"])
        if not path.is_dir():
            raise ThinksafeError(
                f"{_key(spec, 'path')}: {path} is not a directory (build or download it first)"
            )
        return str(path)
    if spec.get("hf_id"):
        return spec["hf_id"]
    raise ThinksafeError(f"{_key(spec, 'hf_id')}: a model needs `path` or `hf_id`")


def model_class(spec: dict):
    family = spec.get("family")
    if family == "api":
        raise ThinksafeError(
            f"{_key(spec, 'family')}: family 'api' has no local weights; use backend: openai"
        )
    if family not in FAMILY_CLASSES:
        known = ", ".join(sorted(FAMILY_CLASSES))
        raise ThinksafeError(f"{_key(spec, 'family')}: unknown family {family!r} (known: {known})")
    import transformers

    return getattr(transformers, FAMILY_CLASSES[family])


def read_config(spec: dict) -> dict:
    """config.json of the model, from the folder or the hub (cache first: HF_HUB_OFFLINE works)."""
    source = source_of(spec)
    if spec.get("path"):
        file = Path(source) / "config.json"
    else:
        from huggingface_hub import hf_hub_download

        try:
            file = Path(hf_hub_download(source, "config.json", revision=spec.get("revision", "main")))
        except Exception as e:  # offline miss, unknown repo or revision: say which entry
            raise ThinksafeError(f"{_key(spec, 'hf_id')}: cannot read config.json of {source}: {e}") from None
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ThinksafeError(f"{_key(spec, 'path')}: cannot read {file}: {e}") from None


def check_remote_code(spec: dict, config: dict) -> None:
    """Stop before transformers would run (or refuse) hub code the registry did not allow."""
    if spec.get("trust_remote_code"):
        return
    from transformers import CONFIG_MAPPING

    needs = "auto_map" in config or config.get("model_type") not in CONFIG_MAPPING
    if needs:
        why = (
            "its config.json has an auto_map"
            if "auto_map" in config
            else (f"transformers does not know model_type {config.get('model_type')!r}")
        )
        raise ThinksafeError(
            f"{_key(spec, 'trust_remote_code')}: {source_of(spec)} needs remote code ({why}); "
            "set trust_remote_code: true in its registry entry to allow it"
        )


def _dtype(spec: dict, on_gpu: bool):
    import torch

    name = "bfloat16" if on_gpu else spec.get("dtype") or "float32"
    if name not in ("float32", "bfloat16", "float16"):
        raise ThinksafeError(f"{_key(spec, 'dtype')}: unknown dtype {name!r}")
    return getattr(torch, name), name


def load(spec: dict) -> LoadedModel:
    """Model (eval mode, adapter applied), processor and tokenizer for a registry entry."""
    import torch

    from thinksafe.models.processors import load_processor

    cls = model_class(spec)
    config = read_config(spec)
    check_remote_code(spec, config)
    source = source_of(spec)
    trust = bool(spec.get("trust_remote_code"))
    hub = {} if spec.get("path") else {"revision": spec.get("revision", "main")}
    on_gpu = torch.cuda.is_available() and spec.get("resources", {}).get("gpus", 0) > 0
    dtype, dtype_name = _dtype(spec, on_gpu)
    kwargs: dict[str, Any] = dict(dtype=dtype, trust_remote_code=trust, **hub)
    if not spec.get("allow_pickle_weights"):
        kwargs["use_safetensors"] = True
    if on_gpu:
        kwargs["device_map"] = "auto"
    try:
        model = cls.from_pretrained(source, **kwargs)
    except OSError as e:
        hint = (
            ""
            if spec.get("allow_pickle_weights")
            else " (only safetensors are read unless allow_pickle_weights)"
        )
        raise ThinksafeError(
            f"{_key(spec, 'path' if spec.get('path') else 'hf_id')}: {source}: {e}{hint}"
        ) from None
    processor = load_processor(source, spec["family"], trust_remote_code=trust, **hub)
    tokenizer = getattr(processor, "tokenizer", processor)
    if spec.get("adapter"):
        model = apply_adapter(spec, model)
    model.eval()
    device = str(next(model.parameters()).device)
    revision = getattr(model.config, "_commit_hash", None) or spec.get("revision", "local")
    log.info("loaded %s from %s (%s, %s)", spec.get("name"), source, device, dtype_name)
    return LoadedModel(model, processor, tokenizer, spec, device, dtype_name, str(revision))


def apply_adapter(spec: dict, model):
    """Wrap `model` with the LoRA adapter saved at spec['adapter'] (peft save_pretrained layout)."""
    from peft import PeftModel

    folder = Path(spec["adapter"])
    missing = [f for f in ADAPTER_FILES if not (folder / f).is_file()]
    if missing:
        raise ThinksafeError(f"{_key(spec, 'adapter')}: {folder} lacks {', '.join(missing)}")
    return PeftModel.from_pretrained(model, str(folder), is_trainable=False)
