"""Import the released TiS set (HF Holly301/Think-in-Safety) and verify it.

The release is `train_data.json` (a JSON list of sharegpt records) and `images.zip`, unzipped so that
each record's `images/...` path resolves under the same folder. Verified: the record count (4,396 by
default; `count` in the dataset spec for fixtures), every image present and decodable, one `<image>`
token per image, every target a closed `<think>` block followed by an answer. Failures are dropped
with a counted reason; records are otherwise kept as released.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from thinksafe.dataset.categories import category_of_thought
from thinksafe.dataset.output import BuiltSet
from thinksafe.dataset.sharegpt import THINK_OPEN, BadRecord, check_record, turns
from thinksafe.errors import ThinksafeError, located
from thinksafe.io import read_json

RELEASE_FILE = "train_data.json"
RELEASE_COUNT = 4396
RELEASE_TEACHER = "released by the authors (an R1-class text teacher fed captions; paper.md §7.4)"


def find_release(raw_dir: Path) -> Path:
    hits = sorted(raw_dir.rglob(RELEASE_FILE))
    if not hits:
        raise located(raw_dir, f"no {RELEASE_FILE} in the TiS release folder")
    return hits[0]


def import_release(spec: dict, raw_dir: Path) -> BuiltSet:
    path = find_release(raw_dir)
    data = read_json(path)
    if not isinstance(data, list):
        raise located(path, "the release must be a JSON list of records")
    expected = int(spec.get("count", RELEASE_COUNT))
    if len(data) != expected:
        raise located(path, f"{len(data)} records, expected {expected} (datasets.{spec['name']}.count)")
    built = BuiltSet(name=spec["name"], kind=spec["kind"])
    built.stage("release records", len(data))
    warnings: Counter[str] = Counter()
    root = path.parent
    for index, record in enumerate(data):
        lineage = {
            "source": spec.get("sources", ["tis-release"])[0],
            "index": index,
            "teacher": RELEASE_TEACHER,
        }
        try:
            thought, _answer = check_record(record, root)
        except BadRecord as e:
            built.drop("verify", e.reason, e.detail, lineage)
            continue
        _, gpt, images = turns(record)
        if not gpt.lstrip().startswith(THINK_OPEN):
            warnings["text before <think>"] += 1  # e.g. "**Safety Chain of Thought**:" (paper.md §7.2)
        if "reference answer" in (thought or "").lower():
            warnings["thought mentions the reference answer"] += 1
        lineage["category"] = category_of_thought(thought)
        if lineage["category"] is None:
            warnings["thought names no request category"] += 1
        built.records.append({**record, "images": images, "lineage": lineage})
        for rel in images:
            built.files[rel] = root / rel
    built.stage("verified", len(built.records))
    built.meta = {
        "sources": [str(path)],
        "teacher": RELEASE_TEACHER,
        "warnings": dict(warnings.most_common()),
    }
    if not built.records:
        raise ThinksafeError(f"{path}: no record passed verification ({built.drop_counts()})")
    return built
