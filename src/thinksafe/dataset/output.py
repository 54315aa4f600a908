"""Write a built tuning set to data/sft/<name>/ in one atomic step.

Layout: train.json (the records), images/ (hard links, or copies across file systems), dropped.jsonl
(every dropped record with its reason and lineage), stats.json (counts at every stage), card.md, and a
dataset_info.json so LLaMA-Factory loads the folder as it is.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from thinksafe import io
from thinksafe.dataset.card import render_card


@dataclass
class BuiltSet:
    name: str
    kind: str
    records: list[dict] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)  # image path inside the set -> source file
    blobs: dict[str, bytes] = field(default_factory=dict)  # image path inside the set -> encoded bytes
    dropped: list[dict] = field(default_factory=list)  # {reason, detail, stage, lineage}
    stages: list[tuple[str, int]] = field(default_factory=list)  # (stage, records after it), in order
    meta: dict = field(default_factory=dict)  # sources, teacher, captioner, judge, think mode, notes

    def drop(self, stage: str, reason: str, detail: str, lineage: dict) -> None:
        self.dropped.append({"stage": stage, "reason": reason, "detail": detail, "lineage": lineage})

    def stage(self, name: str, count: int) -> None:
        self.stages.append((name, count))

    def drop_counts(self) -> dict[str, int]:
        return dict(Counter(d["reason"] for d in self.dropped).most_common())

    def stats(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "records": len(self.records),
            "dropped": len(self.dropped),
            "stages": [{"stage": s, "records": n} for s, n in self.stages],
            "drop_reasons": self.drop_counts(),
            "meta": self.meta,
        }


def _place(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)  # no second copy of a 400 MB image folder when the file system allows
    except OSError:
        shutil.copyfile(src, dst)


def dataset_info(name: str) -> dict:
    return {
        name: {
            "file_name": "train.json",
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "images": "images"},
            "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt"},
        }
    }


def write_set(built: BuiltSet, out: str | Path) -> None:
    """The whole folder appears at `out` or nothing does."""
    with io.atomic_dir(out) as tmp:
        for rel, src in built.files.items():
            _place(src, tmp / rel)
        for rel, data in built.blobs.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_bytes(data)
        (tmp / "train.json").write_text(json.dumps(built.records, ensure_ascii=False, indent=1) + "\n")
        with (tmp / "dropped.jsonl").open("w", encoding="utf-8") as f:
            for rec in built.dropped:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        (tmp / "stats.json").write_text(json.dumps(built.stats(), indent=2, ensure_ascii=False) + "\n")
        (tmp / "dataset_info.json").write_text(json.dumps(dataset_info(built.name), indent=2) + "\n")
        (tmp / "card.md").write_text(render_card(built), encoding="utf-8")
