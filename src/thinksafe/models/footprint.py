"""How much GPU memory a model needs before it generates: its weights at the serving dtype plus the KV
cache of one sequence at the full token budget. An estimate for a preflight, stated as such: activation
memory, the vision tower's buffers and the engine's own reserve are covered by the usable fraction.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

GIB = 1024**3
SERVE_BYTES = 2  # GPUs serve in bfloat16 (models/loading.py)
DTYPE_BYTES = {"F64": 8, "F32": 4, "BF16": 2, "F16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1,
               "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}  # fmt: skip


def local_parameters(folder: Path) -> int:
    """Parameter count from the safetensors headers of a local model folder (no tensor is read)."""
    total = 0
    for file in sorted(folder.glob("*.safetensors")):
        with file.open("rb") as f:
            (size,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(size))
        for name, tensor in header.items():
            if name == "__metadata__":
                continue
            count = 1
            for dim in tensor["shape"]:
                count *= dim
            total += count
    return total


def _text_config(config: dict) -> dict:
    return config.get("text_config") or config.get("llm_config") or config


def kv_bytes_per_token(config: dict) -> int | None:
    """Keys and values of every layer for one token at the serving dtype; None when the config does not
    say (for example multi-head latent attention, whose cache is smaller than this formula)."""
    text = _text_config(config)
    layers = text.get("num_hidden_layers")
    heads = text.get("num_attention_heads")
    if not layers or not heads:
        return None
    kv_heads = text.get("num_key_value_heads") or heads
    head_dim = text.get("head_dim") or (text.get("hidden_size", 0) // heads)
    if not head_dim:
        return None
    return 2 * layers * kv_heads * head_dim * SERVE_BYTES


def need_gib(parameters: int, config: dict, tokens: int) -> tuple[float, float | None]:
    """(weights, KV cache) in GiB for one sequence of `tokens` tokens."""
    per_token = kv_bytes_per_token(config)
    kv = None if per_token is None else per_token * tokens / GIB
    return parameters * SERVE_BYTES / GIB, kv
