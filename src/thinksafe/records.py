"""The record schemas every stage reads and writes (see DESIGN.md "Records").

Records travel as plain dicts in JSONL; these dataclasses fix their fields in one place.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Family = Literal["jailbreak", "awareness", "benign", "capability"]
FAMILIES = ("jailbreak", "awareness", "benign", "capability")
TARGETS = ("thought", "answer")
# A verdict's status: `empty` means there was nothing to judge (a model with no thought).
STATUSES = ("ok", "unparseable", "error", "empty")
LABELS = ("safe", "unsafe")


@dataclass
class Item:
    id: str
    benchmark: str
    family: str
    category: str
    subset: str
    prompt: str
    image: str | None
    image_sha256: str | None
    context: str | None = None  # safe | unsafe | None (MSSBench-style paired contexts)
    pair_id: str | None = None
    reference: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)
    # How judges score it: the benchmark's Protocol resolved for this item (benchmarks/protocol.py).
    protocol: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Generation:
    id: str
    model: str
    raw: str
    thought: str | None
    answer: str
    truncated: bool
    finish_reason: str
    n_prompt_tokens: int
    n_output_tokens: int
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Verdict:
    id: str
    model: str
    target: str  # thought | answer
    label: str | None  # safe | unsafe | None when status != ok
    status: str  # ok | unparseable | error | empty
    judge: str
    prompt_sha256: str
    raw: str
    refusal: bool | None = None  # did the response refuse (for over-refusal on benign items)
    judge_revision: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stable_id(*parts: object) -> str:
    """A short id that is the same on every machine for the same parts."""
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]
