"""Baselines in the tuning format: VLGuard (the real train.json from ../shared) and MIS; SPA-VL goes
through its adapter's own output in test_benchmarks_spa_vl.py."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from thinksafe.dataset.baselines import convert_mis, convert_vlguard
from thinksafe.dataset.sharegpt import split_target


def _png(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (24, 24), (90, 120, 150)).save(path)


def test_vlguard_pairs_from_the_real_train_file(mirror: Path, tmp_path: Path):
    entries = json.loads((mirror / "vlguard" / "data" / "train.json").read_text())[:6]
    raw = tmp_path / "vlguard-train"
    (raw / "data").mkdir(parents=True)
    (raw / "data" / "train.json").write_text(json.dumps(entries))
    for entry in entries[1:]:  # images unzipped under train/ as train.zip lays them out; the first is missing
        _png(raw / "train" / entry["image"])
    spec = {"name": "vlguard", "kind": "vlguard", "think": "empty", "sources": ["vlguard-train"]}

    built = convert_vlguard(spec, raw)

    pairs = sum(len(e["instr-resp"]) for e in entries)
    assert len(built.records) + len(built.dropped) == pairs
    assert built.drop_counts() == {"missing_image": len(entries[0]["instr-resp"])}
    for rec in built.records:
        target = rec["conversations"][1]["value"]
        assert target.startswith("<think>\n\n</think>\n")
        thought, answer = split_target(target)
        assert thought == "" and answer
    safe = [r for r in built.records if r["lineage"]["pair"] == "safe_instruction"]
    assert safe and all(r["lineage"]["category"] == "allowed" for r in safe)
    assert all(r["lineage"]["category"] == "disallowed" for r in built.records if r not in safe)


def test_think_absent_keeps_the_answer_alone(mirror: Path, tmp_path: Path):
    entries = json.loads((mirror / "vlguard" / "data" / "train.json").read_text())[:2]
    raw = tmp_path / "vlguard-train"
    raw.mkdir()
    (raw / "train.json").write_text(json.dumps(entries))
    for entry in entries:
        _png(raw / entry["image"])

    built = convert_vlguard({"name": "v", "kind": "vlguard", "think": "absent"}, raw)

    assert built.records and all("<think>" not in r["conversations"][1]["value"] for r in built.records)
    assert built.records[0]["conversations"][1]["value"] == entries[0]["instr-resp"][0]["response"]


def test_mis_keeps_both_images_with_one_token_each(tmp_path: Path):
    raw = tmp_path / "mis-train"
    _png(raw / "images" / "1" / "a.png")
    _png(raw / "images" / "1" / "b.png")
    rows = [{"id": "1", "question": "Combine these two items?", "answer": "I can't help make that.",
             "image_path1": "1/a.png", "image_path2": "1/b.png", "category": "weapon"}]  # fmt: skip
    (raw / "mis_train.json").write_text(json.dumps(rows))

    built = convert_mis({"name": "mis", "kind": "mis", "sources": ["mis-train"]}, raw)

    rec = built.records[0]
    assert len(rec["images"]) == 2
    assert rec["conversations"][0]["value"].startswith("<image><image>Combine")
