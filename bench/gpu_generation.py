"""GPU generation: a Qwen2.5-VL-7B-sized random model through the hf and vllm backends, and the roofline.

    python bench/gpu_generation.py [--items 64] [--new-tokens 512] [--hf-items 16] [--hf-batch-size 8]
    python bench/gpu_generation.py --size tiny --new-tokens 16     # CPU smoke run of the same code

Builds the model from Qwen2.5-VL-7B's shapes with random bf16 weights (nothing is downloaded), a
152,064-word tokenizer so every id decodes, and fixed prompts with 448x448 images (256 image tokens).
Every request makes exactly `--new-tokens` tokens (end-of-sequence ignored). Prints one table:

- hf backend (our continuous batching) tokens/s, and vllm backend (the pipeline) tokens/s: target 10x;
- the vllm backend against raw `vllm.LLM.generate` on the same engine and inputs: target 0.9;
- decode tokens/s against the memory-bandwidth roofline at the measured copy bandwidth: target 50%.
  Decode rate = (tokens of an N-token run − tokens of a 1-token run) / (their time difference).

vllm is optional: without it the vllm rows say so. The GPU, driver and library versions are printed
first. On this project's device tool the image has torch and transformers but not vllm, whose wheel
(320 MiB for 0.33.0) is over what a call may carry; see docs/models.md.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import os
import re
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Qwen2.5-VL-7B-Instruct's config.json shapes (text 7.6 B with the untied head, vision 0.67 B).
SIZES = {
    "7b": dict(
        text=dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                  num_key_value_heads=4, vocab_size=152064, mrope_section=[16, 24, 24]),
        vision=dict(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16, window_size=112,
                    fullatt_block_indexes=[7, 15, 23, 31]),
    ),
    "tiny": dict(
        text=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, vocab_size=4096, mrope_section=[2, 3, 3]),
        vision=dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, window_size=56,
                    fullatt_block_indexes=[1]),
    ),
}  # fmt: skip
PROMPT = "Describe the image step by step , then say whether it shows anything unsafe and why ."
IMAGE_SIDE = 448


def tokenizer(vocab_size: int):
    """A word-level tokenizer with exactly `vocab_size` entries, so every id the model picks decodes."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from thinksafe.models.build import SPECIAL_TOKENS, THINK_TOKENS, VISION_TOKENS
    from thinksafe.models.templates import TINY_DEFAULT_SYSTEM, chatml_vision_template

    specials = SPECIAL_TOKENS + VISION_TOKENS + THINK_TOKENS
    words = sorted(set(re.findall(r"\w+|[^\w\s]", f"{PROMPT} system user assistant {TINY_DEFAULT_SYSTEM}")))
    names = ["<unk>", *specials, *words]
    names += [f"w{i}" for i in range(vocab_size - len(names))]
    tok = Tokenizer(models.WordLevel({n: i for i, n in enumerate(names)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", eos_token="<|im_end|>",
                                   pad_token="<|endoftext|>", additional_special_tokens=specials)  # fmt: skip
    fast.chat_template = chatml_vision_template(TINY_DEFAULT_SYSTEM)
    return fast


def processor(tok):
    """Qwen2.5-VL's own processor where torchvision is there (vllm loads it), else the image-only one."""
    from transformers import Qwen2VLImageProcessorPil

    try:
        from transformers import Qwen2_5_VLProcessor, Qwen2VLImageProcessor, Qwen2VLVideoProcessor

        parts = dict(image_processor=Qwen2VLImageProcessor(), video_processor=Qwen2VLVideoProcessor())
        return Qwen2_5_VLProcessor(tokenizer=tok, chat_template=tok.chat_template, **parts)
    except (ImportError, ValueError):
        from thinksafe.models.processors import ImageOnlyQwen2_5_VLProcessor

        return ImageOnlyQwen2_5_VLProcessor(Qwen2VLImageProcessorPil(), tok, chat_template=tok.chat_template)


def build(out: Path, size: str, device: str) -> int:
    """Random weights in the size's shapes, saved as safetensors; returns the text decoder's parameters."""
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    shapes = SIZES[size]
    text = dict(shapes["text"])
    mrope = text.pop("mrope_section")
    tok = tokenizer(text["vocab_size"])
    ids = {t: tok.convert_tokens_to_ids(t) for t in ("<|image_pad|>", "<|video_pad|>", "<|vision_start|>")}
    config = Qwen2_5_VLConfig(
        text_config=dict(**text, rms_norm_eps=1e-6, max_position_embeddings=32768, tie_word_embeddings=False,
                         rope_parameters={"rope_type": "default", "rope_theta": 1e6, "mrope_section": mrope},
                         eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, bos_token_id=None),
        vision_config=dict(**shapes["vision"], out_hidden_size=text["hidden_size"], patch_size=14,
                           spatial_merge_size=2, temporal_patch_size=2),
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], tie_word_embeddings=False,
    )  # fmt: skip
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    torch.manual_seed(0)
    default = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # initialise in place in bf16: 8 B parameters in fp32 would be 33 GB
    try:
        with torch.device(device):
            model = Qwen2_5_VLForConditionalGeneration(config).eval()
    finally:
        torch.set_default_dtype(default)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    processor(tok).save_pretrained(out)
    decoder = model.model.language_model
    n_text = sum(p.numel() for p in decoder.parameters()) + model.lm_head.weight.numel()
    del model
    return n_text - decoder.embed_tokens.weight.numel()  # read per decode step: all but the embedding


def items(folder: Path, n: int) -> list[dict]:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        path = folder / f"img{i:03d}.png"
        Image.fromarray(rng.integers(0, 256, (IMAGE_SIDE, IMAGE_SIDE, 3), dtype=np.uint8)).save(path)
        out.append({"id": f"item-{i:03d}", "prompt": PROMPT, "image": str(path)})
    return out


def spec(path: Path, new_tokens: int, batch_size: int, gpus: int, backend: str) -> dict:
    return {"name": "qwen2.5-vl-7b-random", "path": str(path), "family": "qwen2_5_vl", "reasoning": "none",
            "backend": backend, "revision": "local", "resources": {"gpus": gpus},
            "decoding": {"max_new_tokens": new_tokens, "temperature": 0.0, "top_p": 1.0,
                         "batch_size": batch_size}}  # fmt: skip


def timed(fn) -> tuple[float, list]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def hf_rates(s: dict, work: list[dict]) -> tuple[float, float]:
    """(tokens/s of the whole run, decode tokens/s) through our hf backend, end-of-sequence ignored."""
    from thinksafe.models.backends.hf import HFBackend

    backend = HFBackend(s)
    backend.eos_ids = set()  # fixed-length outputs: every request makes max_new_tokens
    new_tokens = int(s["decoding"]["max_new_tokens"])
    backend.decoding["max_new_tokens"] = 1
    backend.generate(work)  # warm-up: every image once through the processor and the vision tower
    runs = {}
    for n in (1, new_tokens):
        backend.decoding["max_new_tokens"] = n
        seconds, records = timed(lambda: backend.generate(work))
        runs[n] = (seconds, sum(r["n_output_tokens"] for r in records))
    (t1, k1), (tn, kn) = runs.values()
    return kn / tn, (kn - k1) / (tn - t1)


def vllm_rates(s: dict, work: list[dict]) -> dict[str, float] | str:
    """Pipeline and raw tokens/s on one engine, and raw decode tokens/s; or why vllm did not run."""
    try:
        import vllm  # noqa: F401
    except ImportError as e:
        return f"vllm not installed ({e})"
    from thinksafe.models.backends.base import load_image
    from thinksafe.models.backends.vllm import VLLMBackend

    backend = VLLMBackend(s)
    new_tokens = int(s["decoding"]["max_new_tokens"])

    def fixed(n: int):
        from vllm import SamplingParams

        return SamplingParams(max_tokens=n, ignore_eos=True, temperature=0.0, seed=backend.seed,
                              skip_special_tokens=False)  # fmt: skip

    backend.sampling_params = lambda: fixed(new_tokens)
    backend.generate(work[:2])  # warm-up
    t_pipe, records = timed(lambda: backend.generate(work))
    inputs = backend.inputs([(item, load_image(item)) for item in work])
    rates = {"pipeline": sum(r["n_output_tokens"] for r in records) / t_pipe}
    for n in (1, new_tokens):
        seconds, outs = timed(lambda n=n: backend.llm.generate(inputs, fixed(n), use_tqdm=False))
        rates[n] = (seconds, sum(len(o.outputs[0].token_ids) for o in outs))
    (t1, k1), (tn, kn) = rates.pop(1), rates.pop(new_tokens)
    rates["raw"], rates["raw_decode"] = kn / tn, (kn - k1) / (tn - t1)
    return rates


def bandwidth(device: str) -> float:
    """Bytes per second of a large device-to-device copy, counting bytes read and written."""
    import torch

    x = torch.empty(2**30 if device.startswith("cuda") else 2**27, dtype=torch.uint8, device=device)
    y = torch.empty_like(x)
    y.copy_(x)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    sync()
    t0 = time.perf_counter()
    for _ in range(10):
        y.copy_(x)
    sync()
    return 2 * 10 * x.numel() / (time.perf_counter() - t0)


def roofline(n_weights: int, bytes_per_param: int, kv_per_token: int, batch: int, context: int, bw: float):
    """Decode tokens/s if every step only read the weights once and each row's KV cache once."""
    step_bytes = n_weights * bytes_per_param + batch * context * kv_per_token
    return batch * bw / step_bytes


def versions() -> str:
    found = []
    for name in ("torch", "transformers", "vllm"):
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} absent")
    return ", ".join(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="7b")
    parser.add_argument("--items", type=int, default=64, help="requests for the vllm runs")
    parser.add_argument("--hf-items", type=int, default=16, help="requests for the hf runs (a rate)")
    parser.add_argument("--hf-batch-size", type=int, default=8, help="the registry's default batch")
    parser.add_argument("--new-tokens", type=int, default=512)
    args = parser.parse_args()
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu" and args.size != "tiny":
        print(f"no GPU here: the {args.size} model does not fit a CPU run; --size tiny is the smoke run")
        return 0
    gpu = torch.cuda.get_device_name(0) if device == "cuda" else "none (CPU)"
    print(
        f"device: {gpu}; {versions()}; size {args.size}, {args.new_tokens} new tokens, {IMAGE_SIDE} px images"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t_build, n_weights = timed(lambda: build(folder / "model", args.size, device))
        print(f"built in {t_build:.0f} s; decoder weights read per decode step: {n_weights / 1e6:,.1f} M")
        work = items(folder, max(args.items, args.hf_items))
        gpus = 1 if device == "cuda" else 0
        hf_spec = spec(folder / "model", args.new_tokens, args.hf_batch_size, gpus, "hf")
        hf_total, hf_decode = hf_rates(hf_spec, work[: args.hf_items])
        gc.collect()  # the hf model leaves the GPU before vllm takes its memory
        if device == "cuda":
            torch.cuda.empty_cache()
        vl = vllm_rates(spec(folder / "model", args.new_tokens, 1, gpus, "vllm"), work[: args.items])

    text = SIZES[args.size]["text"]
    head_dim = text["hidden_size"] // text["num_attention_heads"]
    bpp = 2 if device == "cuda" else 4
    kv_per_token = 2 * text["num_hidden_layers"] * text["num_key_value_heads"] * head_dim * bpp
    context = 300 + args.new_tokens // 2  # prompt with its 256 image tokens, plus half the output
    bw = bandwidth(device)
    print(f"copy bandwidth {bw / 1e9:.0f} GB/s; KV cache {kv_per_token / 1024:.0f} KiB per token\n")
    print("| run | tokens/s | ratio | target |\n|---|---|---|---|")
    hf_roof = roofline(n_weights, bpp, kv_per_token, args.hf_batch_size, context, bw)
    print(f"| hf backend, batch {args.hf_batch_size}, whole run | {hf_total:.1f} | | |")
    print(f"| hf decode vs roofline at batch {args.hf_batch_size} | {hf_decode:.1f} | "
          f"{hf_decode / hf_roof:.0%} of {hf_roof:.0f} | |")  # fmt: skip
    if isinstance(vl, str):
        print(f"| vllm rows | {vl} | | |")
        return 0
    batch = args.items
    roof = roofline(n_weights, bpp, kv_per_token, batch, context, bw)
    pipe, raw = vl["pipeline"], vl["raw"]
    print(f"| vllm backend (pipeline) vs hf backend | {pipe:.1f} | {pipe / hf_total:.1f}x | >= 10x |")
    print(f"| vllm backend vs raw vllm.LLM.generate | {raw:.1f} | {pipe / raw:.2f} | >= 0.9 |")
    print(f"| raw vllm decode vs roofline at batch {batch} | {vl['raw_decode']:.1f} | "
          f"{vl['raw_decode'] / roof:.0%} of {roof:.0f} | >= 50% |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
