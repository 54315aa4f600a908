"""The embedded demo benchmark and its tuning pool: rendered offline, stable, disjoint."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from thinksafe.cli import main
from thinksafe.io import read_jsonl
from thinksafe.records import sha256_file


def build(name: str, adapter: str, root: Path, *extra: str) -> tuple[int, list[dict]]:
    spec = json.dumps({"adapter": adapter, "name": name})
    raw, out = root / "data/raw" / name, root / "data/items" / f"{name}.jsonl"
    assert main(["download", "--spec", spec, "--out", str(raw)]) == 0
    rc = main(["normalize", "--spec", spec, "--raw", str(raw), "--seed", "0", *extra, "--out", str(out)])
    return rc, read_jsonl(out) if out.exists() else []


@pytest.fixture()
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_demo_has_the_three_families_with_rendered_images(project):
    rc, items = build("demo", "demo", project)
    assert rc == 0
    assert Counter(i["family"] for i in items) == {"jailbreak": 24, "awareness": 16, "benign": 16}
    for item in items:
        assert item["image"].startswith("data/raw/demo/images/")  # relative to the project root
        assert sha256_file(item["image"]) == item["image_sha256"]
        assert Image.open(item["image"]).size == (168, 168)
        assert item["reference"]["protocol"] == "demo"
        assert item["source"]["revision"].startswith("sha256:")
    # The demo model's vision tower is random: the text prompt must carry the request itself.
    jailbreak = [i for i in items if i["family"] == "jailbreak"]
    assert all(i["prompt"].startswith("Steps to ") for i in jailbreak)
    assert {i["reference"]["expected"] for i in jailbreak} == {"refuse"}


def test_awareness_items_come_in_safe_and_unsafe_pairs(project):
    _, items = build("demo", "demo", project)
    pairs: dict[str, dict[str, dict]] = {}
    for item in items:
        if item["family"] == "awareness":
            pairs.setdefault(item["pair_id"], {})[item["context"]] = item
    assert len(pairs) == 8
    for pair in pairs.values():
        assert set(pair) == {"safe", "unsafe"}
        assert pair["unsafe"]["reference"]["expected"] == "warn"
        assert pair["safe"]["reference"]["expected"] == "comply"
        # one question, two pictured contexts
        assert pair["safe"]["prompt"].split(". ")[-1] == pair["unsafe"]["prompt"].split(". ")[-1]


def test_ids_and_images_are_the_same_on_every_run(project, tmp_path_factory, monkeypatch):
    _, first = build("demo", "demo", project)
    other = tmp_path_factory.mktemp("again")
    monkeypatch.chdir(other)
    _, second = build("demo", "demo", other)
    assert [(i["id"], i["image_sha256"], i["image"]) for i in first] == [
        (i["id"], i["image_sha256"], i["image"]) for i in second
    ]


def test_the_tuning_pool_is_disjoint_from_the_demo_in_prompt_and_image(project):
    _, demo = build("demo", "demo", project)
    rc, pool = build("demo-pool", "demo_pool", project)
    assert rc == 0 and len(pool) == 48
    assert {i["family"] for i in pool} == {"jailbreak", "awareness", "benign"}
    assert all(i["category"] for i in pool)
    assert not {i["prompt"] for i in demo} & {i["prompt"] for i in pool}
    assert not {i["image_sha256"] for i in demo} & {i["image_sha256"] for i in pool}
    assert not {i["reference"]["caption"] for i in demo} & {i["reference"]["caption"] for i in pool}


def test_pool_images_are_far_from_demo_images_under_perceptual_hashes(project):
    """The contamination guard flags images whose dHash and pHash are both close; keep a wide margin."""
    from thinksafe.dataset.imagehash import dhash, hamming_matrix, phash

    _, demo = build("demo", "demo", project)
    _, pool = build("demo-pool", "demo_pool", project)
    for hash_fn, floor in ((dhash, 48), (phash, 80)):
        a = np.array([hash_fn(i["image"]) for i in pool])
        b = np.array([hash_fn(i["image"]) for i in demo])
        assert hamming_matrix(a, b).min() >= floor


def test_a_second_download_does_no_work(project, caplog):
    spec = json.dumps({"adapter": "demo", "name": "demo"})
    assert main(["download", "--spec", spec, "--out", "data/raw/demo"]) == 0
    stamp = Path("data/raw/demo/images/jb-01.png").stat().st_mtime_ns
    caplog.set_level("INFO")
    assert main(["download", "--spec", spec, "--out", "data/raw/demo"]) == 0
    assert "up to date" in caplog.text
    assert Path("data/raw/demo/images/jb-01.png").stat().st_mtime_ns == stamp


def test_an_undecodable_image_is_a_counted_skip_that_fails_unless_allowed(project, capsys):
    spec = json.dumps({"adapter": "demo", "name": "demo"})
    assert main(["download", "--spec", spec, "--out", "data/raw/demo"]) == 0
    Path("data/raw/demo/images/bn-03.png").write_bytes(b"not a png")
    args = [
        "normalize",
        "--spec",
        spec,
        "--raw",
        "data/raw/demo",
        "--seed",
        "0",
        "--out",
        "data/items/demo.jsonl",
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "1 record(s) skipped" in err and "bn-03.png" in err and "does not decode" in err
    assert not Path("data/items/demo.jsonl").exists()
    assert main([*args[:-2], "--allow-skips", *args[-2:]]) == 0
    assert len(read_jsonl("data/items/demo.jsonl")) == 55


def test_every_evaluated_benchmark_names_a_protocol_the_judges_know():
    from thinksafe.benchmarks import get_adapter
    from thinksafe.benchmarks.protocol import protocols

    PROTOCOLS = protocols()

    evaluated = (
        "demo",
        "mm_safetybench",
        "figstep",
        "jailbreakv_28k",
        "siuo",
        "mssbench",
        "vlguard",
        "mossbench",
        "pope",
    )
    assert {
        name: get_adapter(name).PROTOCOL for name in evaluated if get_adapter(name).PROTOCOL not in PROTOCOLS
    } == {}


def test_an_option_the_embedded_set_does_not_have_is_an_error_not_ignored(tmp_path):
    import pytest

    from thinksafe.benchmarks import get_adapter
    from thinksafe.errors import ThinksafeError

    adapter = get_adapter("demo")
    raw = tmp_path / "raw"
    raw.mkdir()
    adapter.download({"adapter": "demo", "name": "demo"}, raw, None)
    with pytest.raises(ThinksafeError, match=r"config key benchmarks.demo.sample: not an option"):
        adapter.normalize({"adapter": "demo", "name": "demo", "sample": 10}, raw, 0)
