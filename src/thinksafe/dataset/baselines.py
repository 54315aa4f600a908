"""The prior safety-tuning sets in the TiS format: VLGuard, SPA-VL (chosen responses) and MIS.

None of them has a reasoning trace, so the target gets an empty think block (`think: empty`, the
default: `<think>\\n\\n</think>\\n` + answer) or none (`think: absent`). The raw folders are laid out as
upstream ships them (paper notes, benchmarks.md §7); a record whose image is missing or whose answer
is empty is dropped with a counted reason.
"""

from __future__ import annotations

import io as _io
import json
from collections.abc import Iterator
from pathlib import Path

from thinksafe.dataset.categories import ALLOWED, DISALLOWED
from thinksafe.dataset.output import BuiltSet
from thinksafe.dataset.sharegpt import (
    EMPTY_ANSWER,
    EMPTY_PROMPT,
    MALFORMED,
    BadRecord,
    check_image,
    format_target,
    make_record,
    prompt_of,
    split_target,
)
from thinksafe.errors import ThinksafeError, located
from thinksafe.io import read_json, read_jsonl

IMAGE_ROOTS = ("", "train", "images", "image", "train_images", "data")


def resolve_image(rel: str, roots: list[Path]) -> Path | None:
    """The first existing file for an upstream image path under any of the usual unzip roots."""
    for root in roots:
        for sub in IMAGE_ROOTS:
            p = root / sub / rel
            if p.is_file():
                return p
    return None


def inside(path: Path, root: Path) -> str:
    """The image's path under its source folder (unique where basenames are not), else its name."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def _roots(raw_dir: Path, data_file: Path) -> list[Path]:
    return list(dict.fromkeys([data_file.parent, raw_dir, data_file.parent.parent]))


def _data_files(raw_dir: Path, patterns: tuple[str, ...]) -> list[Path]:
    files = sorted(p for pat in patterns for p in raw_dir.rglob(pat) if "images" not in p.parts)
    if not files:
        raise located(raw_dir, f"no data file matching {', '.join(patterns)}")
    return files


class _Converter:
    """Shared bookkeeping: place images, check texts, drop with a reason."""

    def __init__(self, spec: dict, source: str, raw_dir: Path):
        self.spec, self.source, self.raw_dir = spec, source, raw_dir
        self.think = spec.get("think", "empty")
        self.built = BuiltSet(name=spec["name"], kind=spec["kind"])
        self.seen = 0

    def add(self, prompt: str, answer: str, images: list[Path | bytes], lineage: dict) -> None:
        self.seen += 1
        lineage = {"source": self.source, "teacher": None, **lineage}
        try:
            if not prompt_of(prompt or ""):
                raise BadRecord(EMPTY_PROMPT, "no instruction")
            if not (answer or "").strip():
                raise BadRecord(EMPTY_ANSWER, "no response")
            placed = []
            for k, img in enumerate(images):
                if isinstance(img, bytes):
                    rel = f"images/{self.source}/{lineage.get('id', self.seen)}_{k}.png"
                    self.built.blobs[rel] = img
                else:
                    check_image(img)
                    rel = f"images/{self.source}/{inside(img, self.raw_dir)}"
                    self.built.files[rel] = img
                placed.append(rel)
            target = format_target(None, answer, self.think)
            split_target(target, require_think=self.think != "absent")
        except BadRecord as e:
            self.built.drop("convert", e.reason, e.detail, lineage)
            return
        self.built.records.append(make_record(prompt_of(prompt), target, placed, lineage))

    def missing(self, rel: str, lineage: dict) -> None:
        self.seen += 1
        self.built.drop("convert", "missing_image", rel, {"source": self.source, **lineage})

    def finish(self, files: list[Path]) -> BuiltSet:
        b = self.built
        b.stages = [("source pairs", self.seen), ("converted", len(b.records))]
        b.meta = {
            "sources": [str(f) for f in files],
            "think": self.think,
            "teacher": "none (upstream responses)",
        }
        if not b.records:
            raise ThinksafeError(f"dataset {b.name}: no usable record in {files[0]} ({b.drop_counts()})")
        return b


def convert_vlguard(spec: dict, raw_dir: Path) -> BuiltSet:
    """VLGuard train: safe images give a helpful and a refused pair, unsafe images one refused pair."""
    files = [p for p in _data_files(raw_dir, ("train.json",))]
    conv = _Converter(spec, spec.get("sources", ["vlguard-train"])[0], raw_dir)
    for data_file in files:
        roots = _roots(raw_dir, data_file)
        for entry in read_json(data_file):
            for turn in entry.get("instr-resp", []):
                key = next(
                    (k for k in ("safe_instruction", "unsafe_instruction", "instruction") if k in turn), None
                )
                lineage = {
                    "id": entry.get("id"),
                    "pair": key,
                    "category": ALLOWED if key == "safe_instruction" else DISALLOWED,
                    "harmful_category": entry.get("harmful_category"),
                }
                if key is None:
                    conv.seen += 1
                    conv.built.drop(
                        "convert", MALFORMED, "no instruction key", {"source": conv.source, **lineage}
                    )
                    continue
                image = resolve_image(entry.get("image", ""), roots)
                if image is None:
                    conv.missing(entry.get("image", ""), lineage)
                    continue
                conv.add(turn[key], turn.get("response", ""), [image], lineage)
    return conv.finish(files)


def _spa_rows(path: Path) -> Iterator[dict]:
    if path.suffix == ".parquet":
        import pandas as pd

        yield from pd.read_parquet(path).to_dict("records")
    elif path.suffix == ".jsonl":
        yield from read_jsonl(path)
    else:
        data = read_json(path)
        yield from (data if isinstance(data, list) else [data])


def _image_value(value: object, roots: list[Path]) -> Path | bytes | None:
    if isinstance(value, dict):  # parquet Image feature: {"bytes": ..., "path": ...}
        if value.get("bytes"):
            return _png(value["bytes"])
        value = value.get("path")
    if isinstance(value, bytes | bytearray):
        return _png(bytes(value))
    return resolve_image(str(value), roots) if value else None


def _png(data: bytes) -> bytes:
    from thinksafe.images import open_image

    with open_image(_io.BytesIO(data)) as im:
        out = _io.BytesIO()
        im.convert("RGB").save(out, format="PNG")
        return out.getvalue()


def convert_spa_vl(spec: dict, raw_dir: Path) -> BuiltSet:
    """SPA-VL train (parquet, or the repo's converted JSON): question and its *chosen* response."""
    files = _data_files(raw_dir, ("*.parquet", "*.jsonl", "*.json"))
    conv = _Converter(spec, spec.get("sources", ["spa-vl-train"])[0], raw_dir)
    for data_file in files:
        roots = _roots(raw_dir, data_file)
        for n, row in enumerate(_spa_rows(data_file)):
            lineage = {
                "id": str(row.get("id", row.get("image_name", f"{data_file.name}:{n}"))),
                "category": DISALLOWED,
                "harm": "/".join(str(row[k]) for k in ("class1", "class2", "class3") if row.get(k)) or None,
            }
            image = _image_value(row.get("image"), roots)
            if image is None:
                conv.missing(str(row.get("image_name") or row.get("image")), lineage)
                continue
            conv.add(str(row.get("question") or ""), str(row.get("chosen") or ""), [image], lineage)
    return conv.finish(files)


def convert_mis(spec: dict, raw_dir: Path) -> BuiltSet:
    """MIS train: multi-image safety instructions with their safety-reasoning answers (all images kept)."""
    files = _data_files(raw_dir, ("*.json", "*.jsonl"))
    conv = _Converter(spec, spec.get("sources", ["mis-train"])[0], raw_dir)
    for data_file in files:
        roots = _roots(raw_dir, data_file)
        rows = read_jsonl(data_file) if data_file.suffix == ".jsonl" else read_json(data_file)
        for n, row in enumerate(rows):
            lineage = {"id": str(row.get("id", f"{data_file.name}:{n}")), "category": row.get("category")}
            if "conversations" in row:
                turns_ = row["conversations"]
                question = next(
                    (t.get("value", "") for t in turns_ if t.get("from") in ("human", "user")), ""
                )
                answer = next(
                    (t.get("value", "") for t in turns_ if t.get("from") in ("gpt", "assistant")), ""
                )
                rels = row.get("images") or row.get("image") or []
            else:
                question = row.get("question", "")
                answer = row.get("answer") or row.get("response") or row.get("output") or ""
                rels = [row[k] for k in sorted(row) if k.startswith("image_path") and row[k]]
            rels = [rels] if isinstance(rels, str) else list(rels)
            images = [resolve_image(r, roots) for r in rels]
            if not rels or any(i is None for i in images):
                conv.missing(json.dumps(rels), lineage)
                continue
            conv.add(question, answer, images, lineage)
    return conv.finish(files)
