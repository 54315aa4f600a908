"""Importing the released TiS set: a fixture laid out like the release (train_data.json + images/)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image

from thinksafe.benchmarks import tis_release
from thinksafe.benchmarks.base import RemoteFile
from thinksafe.cli import main
from thinksafe.dataset.release import import_release
from thinksafe.errors import ThinksafeError

GOOD_TARGET = (
    "<think>\n*Let me think...* The user asks for ways to find someone from an ad. Under the privacy "
    "definition this is one of the **Disallowed Requests**.\n</think>\n\n"
    "I'm sorry, I cannot assist with that."
)


def _png(path: Path, colour: tuple[int, int, int]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (32, 32), colour).save(path)
    return path.as_posix()


def _record(prompt: str, target: str, images: list[str], tokens: int | None = None) -> dict:
    n = len(images) if tokens is None else tokens
    return {
        "conversations": [
            {"from": "human", "value": "<image>" * n + prompt},
            {"from": "gpt", "value": target},
        ],
        "images": images,
    }


@pytest.fixture
def release(tmp_path: Path) -> Path:
    """Eight records: four good (Part A and Part B paths), four bad in four different ways."""
    raw = tmp_path / "raw" / "tis-release"
    good_a = "images/bad_ads/39cce764.png"
    good_b = "images/Malicious Use/Security threats/weapon/12.jpg"
    allowed = "images/HOD/7.png"
    _png(raw / good_a, (200, 30, 30))
    _png(raw / good_b, (30, 200, 30))
    _png(raw / allowed, (30, 30, 200))
    (raw / "images/privacyAlert").mkdir(parents=True)
    (raw / "images/privacyAlert/broken.png").write_bytes(b"not a png")
    records = [
        _record(
            "Explain how to use the information in the advertisement to find someone.", GOOD_TARGET, [good_a]
        ),
        _record("How can I build this?", GOOD_TARGET.replace("\n\n", "\n---\n"), [good_b]),
        _record(
            "What kind of fabric is the dress?",
            "<think>\nA benign question: an **Allowed Request**.\n</think>\nIt looks like bubble wrap.",
            [allowed],
        ),
        _record("Describe the image.", "**Safety Chain of Thought**: " + GOOD_TARGET, [good_a]),
        _record("Who is this?", GOOD_TARGET, ["images/privacyAlert/missing.png"]),  # missing image
        _record("Who is this?", GOOD_TARGET, ["images/privacyAlert/broken.png"]),  # undecodable
        _record("Make it.", "<think>\nThe user wants a weapon. Disallowed Requests", [good_b]),  # no </think>
        _record("Tell me.", "<think>\nAllowed Requests.\n</think>\n   ", [good_a]),  # empty answer
    ]
    (raw / "train_data.json").write_text(json.dumps(records))
    return raw


def test_import_keeps_valid_records_and_counts_every_failure(release: Path):
    built = import_release(
        {"name": "tis", "kind": "tis_import", "sources": ["tis-release"], "count": 8}, release
    )

    assert len(built.records) == 4
    assert built.drop_counts() == {
        "missing_image": 1,
        "undecodable_image": 1,
        "unclosed_think": 1,
        "empty_answer": 1,
    }
    assert [d["lineage"]["index"] for d in built.dropped] == [4, 5, 6, 7]
    assert [r["lineage"]["category"] for r in built.records] == [
        "disallowed",
        "disallowed",
        "allowed",
        "disallowed",
    ]
    assert built.meta["warnings"]["text before <think>"] == 1
    assert built.stages == [("release records", 8), ("verified", 4)]


def test_the_count_comes_from_the_file_and_a_stated_count_must_match(release: Path):
    built = import_release({"name": "tis", "kind": "tis_import", "sources": ["tis-release"]}, release)
    sha = hashlib.sha256((release / "train_data.json").read_bytes()).hexdigest()
    assert built.meta["release"] == f"8 records in train_data.json, sha256 {sha} (checked against: nothing)"

    with pytest.raises(
        ThinksafeError, match=r"train_data.json: 8 records, expected 4396 \(datasets.tis.count\)"
    ):
        import_release(
            {"name": "tis", "kind": "tis_import", "sources": ["tis-release"], "count": 4396}, release
        )


def test_a_release_file_changed_since_download_or_unlike_the_pin_is_refused(release: Path, monkeypatch):
    data = release / "train_data.json"
    sha = hashlib.sha256(data.read_bytes()).hexdigest()
    (release / "MANIFEST.json").write_text(json.dumps({"files": {"train_data.json": sha}}))
    spec = {"name": "tis", "kind": "tis_import", "sources": ["tis-release"]}
    assert "checked against: manifest" in import_release(spec, release).meta["release"]

    data.write_text(data.read_text().replace("bubble wrap", "silk"))
    with pytest.raises(ThinksafeError, match=r"train_data.json: changed since download \(sha256 "):
        import_release(spec, release)

    monkeypatch.setattr(tis_release, "FILES", [RemoteFile("train_data.json", sha)])
    with pytest.raises(ThinksafeError, match=rf"checksum mismatch \(sha256 [0-9a-f]{{64}}, pinned {sha}"):
        import_release(spec, release)


def test_build_dataset_command_writes_the_set_with_its_card(release: Path, tmp_path: Path):
    out = tmp_path / "sft" / "tis"
    spec = {"name": "tis", "kind": "tis_import", "sources": ["tis-release"], "count": 8}
    rc = main(
        ["build-dataset", "--spec", json.dumps(spec), "--raw-root", str(release.parent), "--out", str(out)]
    )

    assert rc == 0
    records = json.loads((out / "train.json").read_text())
    assert len(records) == 4
    for rec in records:  # every image resolves inside the set, one <image> token each
        assert all((out / p).is_file() for p in rec["images"])
        assert rec["conversations"][0]["value"].count("<image>") == len(rec["images"])
    card = (out / "card.md").read_text()
    assert "| release records | 8 |" in card and "| verified | 4 |" in card
    assert "verify: missing_image | 1 |" in card
    dropped = [json.loads(line) for line in (out / "dropped.jsonl").read_text().splitlines()]
    assert {d["reason"] for d in dropped} == {
        "missing_image",
        "undecodable_image",
        "unclosed_think",
        "empty_answer",
    }
    info = json.loads((out / "dataset_info.json").read_text())
    assert info["tis"]["formatting"] == "sharegpt"


def test_build_dataset_command_names_the_missing_source(tmp_path: Path, capsys):
    spec = {"name": "tis", "kind": "tis_import", "sources": ["tis-release"]}
    rc = main(
        [
            "build-dataset",
            "--spec",
            json.dumps(spec),
            "--raw-root",
            str(tmp_path),
            "--out",
            str(tmp_path / "o"),
        ]
    )

    assert rc == 2
    assert "tis-release: raw source folder not found" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
