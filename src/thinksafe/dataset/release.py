"""Import the released TiS set (HF Holly301/Think-in-Safety) and verify it.

The release is `train_data.json` (a JSON list of sharegpt records) and `images.zip`, unzipped so that
each record's `images/...` path resolves under the same folder. Verified: the file itself by its sha256
(against the adapter's pin when the revision is pinned, else against the checksum download recorded in
MANIFEST.json, so an edited copy is caught), then every image present and decodable, one `<image>`
token per image, every target a closed `<think>` block followed by an answer. The record count is
counted from the file and recorded with its checksum in the card (the paper reports 4,396; `count` in
the dataset spec asserts a number). Failures are dropped with a counted reason; records are otherwise
kept as released.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from thinksafe.dataset.categories import category_of_thought
from thinksafe.dataset.output import BuiltSet
from thinksafe.dataset.sharegpt import THINK_OPEN, BadRecord, check_record, turns
from thinksafe.errors import ThinksafeError, located
from thinksafe.io import read_json
from thinksafe.records import sha256_file

RELEASE_FILE = "train_data.json"
RELEASE_TEACHER = "released by the authors (an R1-class text teacher fed captions; paper.md §7.4)"


def find_release(raw_dir: Path) -> Path:
    hits = sorted(raw_dir.rglob(RELEASE_FILE))
    if not hits:
        raise located(raw_dir, f"no {RELEASE_FILE} in the TiS release folder")
    return hits[0]


def verify_file(path: Path, raw_dir: Path) -> dict:
    """The release file's sha256, checked against the pinned one, else against MANIFEST.json's."""
    from thinksafe.benchmarks import tis_release
    from thinksafe.commands.download import MANIFEST

    actual = sha256_file(path)
    pinned = tis_release.FILES[0].sha256
    if pinned is not None and actual != pinned:
        raise located(path, f"checksum mismatch (sha256 {actual}, pinned {pinned} in {tis_release.__name__})")
    recorded = None
    manifest = raw_dir / MANIFEST
    if manifest.is_file():
        recorded = (read_json(manifest).get("files") or {}).get(path.relative_to(raw_dir).as_posix())
        if recorded is not None and actual != recorded:
            raise located(path, f"changed since download (sha256 {actual}, {manifest} has {recorded})")
    return {"sha256": actual, "checked_against": "pin" if pinned else ("manifest" if recorded else "nothing")}


def import_release(spec: dict, raw_dir: Path) -> BuiltSet:
    path = find_release(raw_dir)
    checksum = verify_file(path, raw_dir)
    data = read_json(path)
    if not isinstance(data, list):
        raise located(path, "the release must be a JSON list of records")
    if "count" in spec and len(data) != spec["count"]:
        raise located(path, f"{len(data)} records, expected {spec['count']} (datasets.{spec['name']}.count)")
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
        "release": f"{len(data)} records in {path.name}, sha256 {checksum['sha256']} "
        f"(checked against: {checksum['checked_against']})",
        "teacher": RELEASE_TEACHER,
        "warnings": dict(warnings.most_common()),
    }
    if not built.records:
        raise ThinksafeError(f"{path}: no record passed verification ({built.drop_counts()})")
    return built
