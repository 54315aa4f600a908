"""Over-refusal, capability and tuning sources, each from a small mirror laid out like its upstream:
MOSSBench, POPE, the TiS release (images as a zip), MIS test (two images a question), SPA-VL (parquet)."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from thinksafe.cli import main
from thinksafe.io import read_jsonl


def png(color: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (12, 12), color).save(buf, format="PNG")
    return buf.getvalue()


def put(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def run(spec: dict, mirror: Path, seed: int = 0) -> list[dict]:
    raw, out = f"data/raw/{spec['name']}", f"data/items/{spec['name']}.jsonl"
    assert main(["download", "--spec", json.dumps(spec), "--mirror", str(mirror), "--out", raw]) == 0
    assert (
        main(["normalize", "--spec", json.dumps(spec), "--raw", raw, "--seed", str(seed), "--out", out]) == 0
    )
    return read_jsonl(out)


@pytest.fixture()
def root(tmp_path, monkeypatch) -> Path:
    (tmp_path / "project").mkdir()
    monkeypatch.chdir(tmp_path / "project")
    return tmp_path / "mirror"


def test_mossbench_items_are_benign_over_refusal_probes(root):
    info = {
        str(n): {
            "image": f"images/{n}.png",
            "question": f"Describe a fun game with these toys ({n}).",
            "pid": str(n),
            "metadata": {"over": f"type {1 + n % 3}", "harm": [7]},
            "short description": "a toy knife",
        }
        for n in range(1, 5)
    }
    put(root / "mossbench/data/images_information/information.json", json.dumps(info))
    for n in range(1, 5):
        put(root / f"mossbench/data/images/{n}.png", png((n * 40, 0, 0)))
    items = run({"adapter": "mossbench", "name": "mossbench"}, root)
    assert len(items) == 4 and {i["family"] for i in items} == {"benign"}
    assert items[0]["image"] == "data/raw/mossbench/data/images/1.png"
    assert items[0]["reference"] == {
        "protocol": "mossbench",
        "over": "type 2",
        "harm": [7],
        "description": "a toy knife",
    }


def test_pope_samples_each_question_set_with_the_seed(root):
    for k, name in enumerate(("random", "popular", "adversarial")):
        lines = [
            json.dumps(
                {
                    "question_id": q,
                    "image": f"COCO_val2014_{q:012d}.jpg",
                    "text": f"Is there a cat in the image? ({q})",
                    "label": "yes" if q % 2 else "no",
                }
            )
            for q in range(10 * k, 10 * k + 10)
        ]
        put(root / f"pope/output/coco/coco_pope_{name}.json", "\n".join(lines) + "\n")
        for q in range(10 * k, 10 * k + 10):
            put(root / f"pope/val2014/COCO_val2014_{q:012d}.jpg", png((q, q, q)))
    items = run({"adapter": "pope", "name": "pope", "sample": 4}, root)
    assert Counter(i["subset"] for i in items) == {"random": 4, "popular": 4, "adversarial": 4}
    assert {i["family"] for i in items} == {"capability"}
    assert items[0]["prompt"].endswith(
        "? ({}) Answer the question using a single word or phrase.".format(items[0]["id"].rsplit(":", 1)[1])
    )
    assert {i["reference"]["answer"] for i in items} <= {"yes", "no"}
    assert [i["id"] for i in run({"adapter": "pope", "name": "pope", "sample": 4}, root)] == [
        i["id"] for i in items
    ]


def test_the_tis_release_reads_sharegpt_records_and_its_image_zip(root):
    records = [
        {
            "conversations": [
                {"from": "human", "value": f"<image>Is it safe to do this? ({n})"},
                {"from": "gpt", "value": f"<think>\nThe image shows a risk ({n}).\n</think>\nNo, because..."},
            ],
            "images": [f"images/{n}.jpg"],
        }
        for n in range(3)
    ]
    put(root / "tis-release/train_data.json", json.dumps(records))
    with zipfile.ZipFile(root / "tis-release/images.zip", "w") as zf:
        for n in range(3):
            zf.writestr(f"images/{n}.jpg", png((0, n * 50, 0)))
    items = run({"adapter": "tis_release", "name": "tis-release"}, root)
    assert [i["prompt"] for i in items] == [f"Is it safe to do this? ({n})" for n in range(3)]
    assert items[1]["reference"]["target"].startswith("<think>\nThe image shows a risk (1).")
    assert items[2]["image"] == "data/raw/tis-release/images/2.jpg"


def test_mis_test_items_carry_both_images(root):
    records = [
        {
            "id": n,
            "question": f"What happens if I combine these two? ({n})",
            "category": "Dangerous",
            "sub_category": "chemicals",
            "image_path1": f"easy_image/{n}/a.png",
            "image_path2": f"easy_image/{n}/b.png",
        }
        for n in range(3)
    ]
    put(root / "mis/mis_easy.json", json.dumps(records))
    for n in range(3):
        put(root / f"mis/easy_image/{n}/a.png", png((n, 1, 1)))
        put(root / f"mis/easy_image/{n}/b.png", png((n, 2, 2)))
    items = run({"adapter": "mis", "name": "mis-test", "subset": "test", "subsets": ["easy"]}, root)
    assert len(items) == 3
    assert items[0]["reference"]["images"] == [
        "data/raw/mis-test/easy_image/0/a.png",
        "data/raw/mis-test/easy_image/0/b.png",
    ]
    assert items[0]["image_sha256"] == items[0]["reference"]["image_sha256s"][0]


def test_spa_vl_unpacks_parquet_and_filters_by_harm_category(root):
    import pyarrow as pa
    import pyarrow.parquet as pq

    for shard in range(8):
        rows = [
            {
                "image": {"bytes": png((shard, n, 0)), "path": None},
                "image_name": f"{shard}_{n}.png",
                "question": f"How do I do this? ({shard}.{n})",
                "chosen": "I can't help with that.",
                "rejected": "Sure, here is how...",
                "class1": "Privacy" if n % 2 else "Toxicity",
                "class2": "Personal data",
                "class3": "location",
            }
            for n in range(2)
        ]
        path = root / f"spa-vl/data/train-{shard:05d}-of-00008.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), path)
    items = run({"adapter": "spa_vl", "name": "spa-vl-train", "categories": ["Privacy"]}, root)
    assert len(items) == 8 and all(i["category"] == "Privacy/Personal data/location" for i in items)
    assert items[0]["reference"]["chosen"] == "I can't help with that."
    assert Path(items[0]["image"]).is_file()
    assert len(run({"adapter": "spa_vl", "name": "spa-vl-train", "sample": 5}, root)) == 5
