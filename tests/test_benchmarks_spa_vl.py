"""SPA-VL end to end (download → normalize → build-dataset) on parquet with the real train schema.

The train split's columns are image (struct of bytes and path), question, chosen, rejected and
image_name; class1/2/3 exist only in validation/test. The row is the real one of
tests/fixtures/spa-vl/train_rows.json (see tests/fixtures/README.md); its image is drawn here.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from thinksafe.benchmarks import spa_vl
from thinksafe.cli import main
from thinksafe.io import read_jsonl

REAL = json.loads((Path(__file__).parent / "fixtures/spa-vl/train_rows.json").read_text())
# The schema `datasets` writes for SPA-VL's default config (HF card: image, question, chosen, rejected,
# image_name); the Image feature is stored as a struct of bytes and path.
TRAIN_SCHEMA = pa.schema(
    [
        ("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
        ("question", pa.string()),
        ("chosen", pa.string()),
        ("rejected", pa.string()),
        ("image_name", pa.string()),
    ]
)
SOURCE = {"adapter": "spa_vl", "name": "spa-vl-train", "subset": "train"}


def _jpeg(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (24, 24), (seed * 53 % 256, 80, 140)).save(buf, format="JPEG")
    return buf.getvalue()


def write_mirror(root: Path, rows: list[dict]) -> Path:
    """rows spread over the 8 train shards upstream has (some shards empty), as `datasets` writes them."""
    data = root / "spa-vl" / "data"
    data.mkdir(parents=True)
    for shard in range(8):
        mine = [r for i, r in enumerate(rows) if i % 8 == shard]
        table = pa.Table.from_pylist(
            [{**r, "image": {"bytes": _jpeg(i), "path": None}} for i, r in enumerate(mine)],
            schema=TRAIN_SCHEMA,
        )
        pq.write_table(table, data / f"train-{shard:05d}-of-00008.parquet")
    return root


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def download(mirror: Path, spec: dict = SOURCE) -> int:
    return main(
        ["download", "--spec", json.dumps(spec), "--mirror", str(mirror), "--out", "data/raw/spa-vl-train"]
    )


def normalize(spec: dict = SOURCE) -> int:
    return main(
        ["normalize", "--spec", json.dumps(spec), "--raw", "data/raw/spa-vl-train",
         "--out", "data/items/spa-vl-train.jsonl"]
    )  # fmt: skip


def build(spec: dict) -> int:
    out = f"data/sft/{spec['name']}"
    return main(["build-dataset", "--spec", json.dumps(spec), "--raw-root", "data/raw", "--out", out])


def test_the_train_split_has_no_class_columns_so_the_taxonomy_comes_from_image_name():
    row = REAL[0]
    assert "class1" not in row
    assert spa_vl.taxonomy(row) == ["Representation & ToxicityHarms", "Unfair", "racial"]
    assert spa_vl.taxonomy({"class1": "Malicious Use", "class2": "Security threats", "class3": "weapon"}) == [
        "Malicious Use", "Security threats", "weapon"]  # fmt: skip
    assert spa_vl.taxonomy({"image_name": "170.jpg"}) == ["", "", ""]


def test_download_normalize_and_build_dataset_go_through_the_adapters_output(project: Path):
    mirror = write_mirror(
        project / "mirror", [*REAL, {**REAL[0], "chosen": ""}]
    )  # the second: chosen emptied

    assert download(mirror) == 0 and normalize() == 0
    items = read_jsonl("data/items/spa-vl-train.jsonl")
    assert [i["category"] for i in items] == ["Representation & ToxicityHarms/Unfair/racial"] * 2
    assert (
        items[0]["image"]
        == "data/raw/spa-vl-train/images/Representation & ToxicityHarms/Unfair/racial/170.jpg"
    )
    unpacked = [json.loads(line) for line in Path("data/raw/spa-vl-train/train.jsonl").open()]
    assert "image" not in unpacked[0] and unpacked[0]["image_file"].startswith("images/")

    assert build({"name": "spa-vl", "kind": "spa_vl", "think": "empty", "sources": ["spa-vl-train"]}) == 0
    records = json.loads(Path("data/sft/spa-vl/train.json").read_text())
    assert len(records) == 1
    assert records[0]["conversations"][1]["value"] == "<think>\n\n</think>\n" + REAL[0]["chosen"]
    assert records[0]["lineage"]["harm"] == "Representation & ToxicityHarms/Unfair/racial"
    assert Path("data/sft/spa-vl", records[0]["images"][0]).is_file()
    stats = json.loads(Path("data/sft/spa-vl/stats.json").read_text())
    assert stats["drop_reasons"] == {"empty_answer": 1}


def test_categories_select_by_any_taxonomy_level_and_one_that_matches_nothing_is_an_error(project, capsys):
    assert download(write_mirror(project / "mirror", REAL)) == 0

    assert normalize({**SOURCE, "categories": ["Unfair"]}) == 0
    assert len(read_jsonl("data/items/spa-vl-train.jsonl")) == 1

    assert normalize({**SOURCE, "categories": ["racial", "weapon"]}) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "sources.spa-vl-train.categories[1]: 'weapon' matches no row" in err
    assert "racial" in err  # names what the split does have


def test_the_tis_rebuild_selects_spa_vl_topics_from_the_real_train_schema(project: Path, capsys):
    assert download(write_mirror(project / "mirror", REAL)) == 0 and normalize() == 0
    spec = {"name": "tis-rebuild", "kind": "tis_rebuild", "sources": ["spa-vl-train"], "teacher": "template",
            "captioner": "template", "judge": "rule"}  # fmt: skip

    assert build({**spec, "topics": {"spa-vl-train": ["racial"]}}) == 0
    stats = json.loads(Path("data/sft/tis-rebuild/stats.json").read_text())
    assert stats["stages"][1] == {"stage": "safety topics", "records": 1}

    assert build({**spec, "name": "tis-b", "topics": {"spa-vl-train": ["racial", "weapon"]}}) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "datasets.tis-b.topics.spa-vl-train[1]: 'weapon' selects no item of source 'spa-vl-train'" in err
    assert build({**spec, "name": "tis-c", "topics": {"vlguard-train": ["weapon"]}}) == 2
    assert "topics.vlguard-train: not one of the sources" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name", ["../../../items/demo.jsonl", "/tmp/thinksafe-abs.jpg", "a/../../../../escape.jpg"]
)
def test_an_image_name_that_leaves_the_raw_folder_stops_the_download(project: Path, capsys, name: str):
    (project / "data/items").mkdir(parents=True)
    (project / "data/items/demo.jsonl").write_text("keep\n")

    assert download(write_mirror(project / "mirror", [{**REAL[0], "image_name": name}])) == 2

    assert "image_name" in capsys.readouterr().err
    assert (project / "data/items/demo.jsonl").read_text() == "keep\n"
    assert not Path("/tmp/thinksafe-abs.jpg").exists() and not (project / "data/escape.jpg").exists()
    assert not (project / "data/raw/spa-vl-train").exists()
