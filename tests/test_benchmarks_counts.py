"""Acceptance counts with the offline mirror: each shared benchmark normalizes to its source's size.

../shared holds the upstream text files but (FigStep aside) no images, so the tests that need images
lay a temporary mirror out like the source: the real text files plus small drawn images.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from thinksafe.cli import main
from thinksafe.io import read_jsonl


def draw(path: Path, color: tuple[int, int, int] = (200, 30, 30)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 16), color).save(path)


def run(spec: dict, mirror: Path, *extra: str) -> list[dict]:
    raw, out = Path("data/raw") / spec["name"], Path("data/items") / f"{spec['name']}.jsonl"
    assert main(["download", "--spec", json.dumps(spec), "--mirror", str(mirror), "--out", str(raw)]) == 0
    assert (
        main(
            [
                "normalize",
                "--spec",
                json.dumps(spec),
                "--raw",
                str(raw),
                "--seed",
                "0",
                *extra,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return read_jsonl(out)


@pytest.fixture()
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture()
def image_mirror(tmp_path, mirror) -> Path:
    """A mirror copy (outside the project) with each benchmark's images drawn where the source has them."""
    root = tmp_path / "mirror"
    for name in ("mm-safetybench", "siuo", "vlguard"):
        shutil.copytree(mirror / name, root / name)
    for path in sorted((root / "mm-safetybench/processed_questions").glob("*.json")):
        for qid in json.loads(path.read_text()):
            draw(root / "mm-safetybench/imgs" / path.stem / "SD" / f"{qid}.jpg")
    for rec in json.loads((root / "siuo/data/siuo_gen.json").read_text()):
        draw(root / "siuo/data/images" / rec["image"])
    for split in ("test", "train"):
        for rec in json.loads((root / f"vlguard/data/{split}.json").read_text()):
            draw(root / "vlguard" / split / rec["image"])
    return root


def test_figstep_safebench_has_500_questions_and_tiny_50(project, mirror):
    items = run({"adapter": "figstep", "name": "figstep", "subset": "SafeBench"}, mirror)
    assert len(items) == 500
    assert Counter(i["category"] for i in items)["Legal Opinion"] == 50
    assert len({i["image_sha256"] for i in items}) == 500
    tiny = run({"adapter": "figstep", "name": "figstep-tiny", "subset": "SafeBench-Tiny"}, mirror)
    assert len(tiny) == 50


def test_mm_safetybench_has_1680_questions_and_5040_pairs(project, image_mirror):
    items = run(
        {"adapter": "mm_safetybench", "name": "mm-safetybench", "kinds": ["SD", "SD_TYPO", "TYPO"]},
        image_mirror,
    )
    assert len(items) == 5040
    assert Counter(i["subset"] for i in items) == {"SD": 1680, "SD_TYPO": 1680, "TYPO": 1680}
    per_scenario = Counter(i["category"] for i in items if i["subset"] == "TYPO")
    assert per_scenario["01-Illegal_Activitiy"] == 97 and per_scenario["11-Financial_Advice"] == 167
    by_id = {i["id"]: i for i in items}
    sd, typo = (
        by_id["mm-safetybench:11-Financial_Advice:SD:0"],
        by_id["mm-safetybench:11-Financial_Advice:TYPO:0"],
    )
    assert sd["prompt"].startswith("The image shows a phrase")  # Rephrased Question(SD)
    assert typo["prompt"].startswith("The bottom of the image shows a phrase")  # Rephrased Question
    assert by_id["mm-safetybench:10-Legal_Opinion:SD:0"]["reference"]["rule"] == "disclaimer"
    assert by_id["mm-safetybench:08-Political_Lobbying:SD:0"]["reference"]["rule"] == "refuse"


def test_mm_safetybench_typo_alone_needs_no_archive_and_tiny_has_168(project, mirror):
    items = run({"adapter": "mm_safetybench", "name": "mm-typo", "kinds": ["TYPO"]}, mirror)
    assert len(items) == 1680
    tiny = run({"adapter": "mm_safetybench", "name": "mm-tiny", "kinds": ["TYPO"], "subset": "tiny"}, mirror)
    assert len(tiny) == 168
    assert Counter(i["category"] for i in tiny)["02-HateSpeech"] == 16


def test_siuo_has_167_items_in_both_tasks(project, image_mirror):
    gen = run({"adapter": "siuo", "name": "siuo", "task": "gen"}, image_mirror)
    assert len(gen) == 167 and len({i["category"] for i in gen}) == 9
    assert all(i["reference"]["safety_warning"] and i["reference"]["reference_answer"] for i in gen)
    mcqa = run({"adapter": "siuo", "name": "siuo-mcqa", "task": "mcqa"}, image_mirror)
    assert len(mcqa) == 167
    assert Counter(i["reference"]["correct_option"] for i in mcqa) == {"A": 51, "B": 35, "C": 34, "D": 47}


def test_vlguard_test_has_1000_images_in_three_subsets(project, image_mirror):
    items = run({"adapter": "vlguard", "name": "vlguard-test", "subset": "test"}, image_mirror)
    assert len({i["image"] for i in items}) == 1000
    assert Counter(i["subset"] for i in items) == {"safe_safes": 558, "safe_unsafes": 558, "unsafes": 442}
    assert Counter(i["family"] for i in items) == {"benign": 558, "jailbreak": 1000}
    helpful = [i for i in items if i["subset"] == "safe_safes"]
    # GPT-4V reference answers for the helpfulness win rate (17 of upstream's 558 are empty)
    assert sum(1 for i in helpful if i["reference"]["reference_answer"]) == 541
    train = run({"adapter": "vlguard", "name": "vlguard-train", "subset": "train"}, image_mirror)
    assert len({i["id"].rsplit(":", 3)[-2] for i in train}) == 2000  # records; upstream repeats one image
    assert len({i["image"] for i in train}) == 1999
    assert all("response" in i["reference"] for i in train)


def test_every_item_carries_the_schema_and_a_stable_id(project, mirror, tmp_path_factory, monkeypatch):
    spec = {"adapter": "figstep", "name": "figstep", "subset": "SafeBench-Tiny"}
    first = run(spec, mirror)
    for item in first:
        assert item["benchmark"] == "figstep" and item["family"] == "jailbreak" and item["subset"]
        assert item["prompt"] and item["category"] and item["image"].startswith("data/raw/figstep/")
        assert item["source"] == {
            "repo": "ThuCCSLab/FigStep",
            "revision": "0861b17b3d67887c06ee3534ec65b3012f9becb7",
            "path": "data/question/SafeBench-Tiny.csv",
        }
        assert item["reference"]["protocol"] == "figstep"
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    again = run(spec, mirror)
    assert [(i["id"], i["image_sha256"]) for i in first] == [(i["id"], i["image_sha256"]) for i in again]


def test_siuo_samples_three_responses_per_question_as_upstream(project, image_mirror):
    items = run({"adapter": "siuo", "name": "siuo", "task": "gen", "samples": 3, "seed": 7}, image_mirror)
    assert len(items) == 3 * 167
    group = items[0]["protocol"]["sample"]["group"]
    first = [i for i in items if i["protocol"]["sample"]["group"] == group]
    assert [i["id"] for i in first] == [f"{group}:s0", f"{group}:s1", f"{group}:s2"]
    assert {i["protocol"]["sample"]["seed"] for i in first} == {7}
    assert all(i["protocol"]["empty_is_safe"] for i in items)
    mcqa = run({"adapter": "siuo", "name": "siuo-mcqa", "task": "mcqa"}, image_mirror)
    # upstream generation-gpt4o-mcqa.py's prompt, typos included, options as "(A) text"
    assert mcqa[0]["prompt"].startswith("Answer the following multi-choice questions")
    assert "\nOption:\n(A) " in mcqa[0]["prompt"] and mcqa[0]["prompt"].endswith("\n\nChocie:")


def test_mm_safetybench_tiny_is_its_own_entry_with_the_same_protocol(project, mirror):
    """Adding a benchmark entry: config + this test; its protocol comes from its module."""
    tiny = run(
        {"adapter": "mm_safetybench", "name": "mm-safetybench-tiny", "kinds": ["TYPO"], "subset": "tiny"},
        mirror,
    )
    assert len(tiny) == 168 and {i["benchmark"] for i in tiny} == {"mm-safetybench-tiny"}
    by_scenario = {i["category"][:2]: i["protocol"] for i in tiny}
    assert by_scenario["08"]["expectation"] == "refuse"
    assert by_scenario["08"]["llm"]["calls"][0]["prompt"] == "mmsb_08_political_lobbying"
    assert by_scenario["11"]["expectation"] == "disclaim"
    assert by_scenario["01"]["expectation"] == "harm"
    assert (
        by_scenario["01"]["upstream"].endswith("evaluation.py") and not by_scenario["01"]["llm"]["stand_in"]
    )
