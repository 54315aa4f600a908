"""The throughput table (throughput.yaml, each row with its source) and the model sizes it is looked up by."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from thinksafe.errors import ThinksafeError

TABLE = Path(__file__).with_name("throughput.yaml")
# Built here, not on the hub: its size from notes/feasibility.md §3 (134.9 M parameters).
BUILT_PARAMS_B = {"demo-base": 0.135, "tiny": 0.0002}
# `7b`, `72B`, `11b`; `a3b` is a mixture-of-experts' active size (Kimi-VL-A3B): decode reads mostly active
# experts' weights at small batches, so the active size is taken (ASSUMPTION).
_SIZE = re.compile(r"(?:^|[-_/.])a?(\d+(?:\.\d+)?)b(?=$|[-_.])", re.I)


@dataclass(frozen=True)
class Rate:
    tokens_per_s: float
    source: str  # the anchor row's kind and how it was scaled


@cache
def table() -> dict:
    return yaml.safe_load(TABLE.read_text())


def params_b(spec: dict) -> float | None:
    """Billions of parameters of a resolved registry entry: `params_b` if set, a built model's known size,
    else the size in its name or hf_id; None when none says."""
    if spec.get("params_b"):
        return float(spec["params_b"])
    if spec.get("build") in BUILT_PARAMS_B:
        return BUILT_PARAMS_B[spec["build"]]
    for text in (spec.get("tuned_from") or spec.get("name") or "", spec.get("hf_id") or ""):
        found = _SIZE.search(text)
        if found:
            return float(found.group(1))
    return None


def decode_rate(backend: str, size_b: float, gpus: int, device: str) -> Rate:
    """Generated tokens/s of one job: the nearest anchor row of this backend and device, scaled by weight
    bytes per GPU (ASSUMPTION: decode is memory-bandwidth bound)."""
    where = "cpu" if gpus == 0 else device
    rows = [r for r in table()["generate"] if r["backend"] == backend and r["device"] == where]
    if not rows:
        raise ThinksafeError(f"throughput table {TABLE.name}: no row for backend {backend} on {where}")
    row = min(rows, key=lambda r: abs(r["params_b"] - size_b))
    per_gpu = size_b / max(gpus, 1)
    anchor = row["params_b"] / max(row["gpus"], 1)
    rate = row["tokens_per_s"] * anchor / per_gpu
    scaled = "" if per_gpu == anchor else f", scaled ×{anchor / per_gpu:.3g} by weights per GPU"
    return Rate(rate, f"{row['kind']} {row['backend']} {row['params_b']}B on {row['device']}{scaled}")


def train_tokens_per_s(size_b: float, method: str, device: str) -> float:
    """Training tokens/s per GPU: MFU × peak FLOPs / (FLOPs per token per parameter × parameters)."""
    ft = table()["finetune"]
    per_token = ft["flops_per_token_per_param"]["full" if method == "full" else "lora"] * size_b * 1e9
    return ft["mfu"] * ft["peak_tflops"][device] * 1e12 / per_token


def load_hours(size_b: float) -> float:
    """Hours a generate job spends loading its model and starting the engine (the `load` rows)."""
    rows = sorted(table()["load"], key=lambda r: r["params_b"])
    row = next((r for r in rows if size_b <= r["params_b"]), rows[-1])
    return row["minutes"] / 60
