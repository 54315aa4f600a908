"""The record schemas every stage reads and writes (see DESIGN.md "Records").

Records travel as plain dicts in JSONL; these dataclasses fix their fields in one place, and SCHEMAS
holds the check every reader applies (through `io.read_jsonl(path, kind=...)`): a record is a JSON
object, its required fields are there, and every field it has is of its kind's type. A bad record stops
with one line naming the file, the line and the field.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from thinksafe.errors import located

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


@dataclass(frozen=True)
class Field:
    """One field of a record kind: the JSON types it may hold, whether every record needs it, and the
    values allowed when the set is closed."""

    types: tuple[type, ...]
    required: bool = False
    choices: tuple[str, ...] | None = None


STR, OPT_STR = (str,), (str, type(None))
INT, BOOL, OPT_BOOL, OBJ = (int,), (bool,), (bool, type(None)), (dict,)
CONTEXTS = ("safe", "unsafe")
# Required: what some reader cannot do without. Everything else a writer sets is type-checked when present
# (hand-made test or user files may leave optional fields out; a wrong type is always an error).
SCHEMAS: dict[str, dict[str, Field]] = {
    "item": {
        "id": Field(STR, required=True),
        "prompt": Field(STR, required=True),
        "benchmark": Field(STR),
        "family": Field(STR, choices=FAMILIES),
        "category": Field(OPT_STR),
        "subset": Field(OPT_STR),
        "image": Field(OPT_STR),
        "image_sha256": Field(OPT_STR),
        "context": Field(OPT_STR, choices=CONTEXTS),
        "pair_id": Field(OPT_STR),
        "reference": Field(OBJ),
        "source": Field(OBJ),
    },
    "generation": {
        "id": Field(STR, required=True),
        "model": Field(STR),
        "raw": Field(OPT_STR),
        "thought": Field(OPT_STR),
        "answer": Field(OPT_STR),
        "truncated": Field(BOOL),
        "finish_reason": Field(OPT_STR),
        "n_prompt_tokens": Field(INT),
        "n_output_tokens": Field(INT),
        "error": Field(OPT_STR),
        # a self_check defense's two passes (defenses/self_check.py); the record's own fields are the final
        "self_check": Field(OBJ),
    },
    "verdict": {
        "id": Field(STR, required=True),
        "target": Field(STR, required=True, choices=TARGETS),
        "status": Field(STR, required=True, choices=STATUSES),
        "label": Field(OPT_STR, choices=LABELS),
        "model": Field(STR),
        "judge": Field(STR),
        "prompt_sha256": Field(OPT_STR),
        "raw": Field(OPT_STR),
        "refusal": Field(OPT_BOOL),
        "judge_revision": Field(OPT_STR),
        "extra": Field(OBJ),
    },
}
JSON_NAMES = {
    str: "a string",
    int: "an integer",
    bool: "true or false",
    dict: "an object",
    type(None): "null",
}


def _json_type(value: object) -> str:
    names = {str: "a string", bool: "a boolean", int: "a number", float: "a number", dict: "an object"}
    return names.get(type(value), "null" if value is None else "a list" if isinstance(value, list) else "?")


def _is(value: object, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types:
        return False  # JSON true is not a number here
    return isinstance(value, types)


def check(kind: str, record: object, path: object, line: int | None = None) -> dict:
    """`record` as a record of `kind`, or one error naming the file, line and field."""
    if not isinstance(record, dict):
        raise located(path, f"expected a JSON object ({kind} record), got {_json_type(record)}", line=line)
    for name, spec in SCHEMAS[kind].items():
        if name not in record:
            if spec.required:
                raise located(path, f"missing field (every {kind} record has it)", line=line, key=name)
            continue
        value = record[name]
        if not _is(value, spec.types):
            want = " or ".join(JSON_NAMES[t] for t in spec.types)
            raise located(path, f"must be {want}, got {_json_type(value)} {value!r:.40}", line=line, key=name)
        if spec.choices is not None and value is not None and value not in spec.choices:
            raise located(path, f"{value!r:.40} is not one of {', '.join(spec.choices)}", line=line, key=name)
    return record


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
