"""Paths built from upstream data stay inside their root; names that become path components are safe.

Issue 16 items 1-2: an MSSBench combined.json naming `../../../items/demo.jsonl` must not overwrite
data/items/demo.jsonl (from a mirror or over the network), a mirror's symlink is refused unless it stays
inside the mirror (and is then copied as content), and a benchmark named `..` must not empty data/.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml
from PIL import Image
from test_benchmarks_download import Upstream

from thinksafe import config, names
from thinksafe.cli import main
from thinksafe.errors import ThinksafeError
from thinksafe.io import inside

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]


# --- io.inside ---------------------------------------------------------------------------------------


def test_inside_keeps_a_nested_path_as_joined(tmp_path: Path):
    assert inside(tmp_path, "a/b/../c.png") == tmp_path / "a/b/../c.png"
    assert inside(Path("data/raw/x"), "images/1.png") == Path("data/raw/x/images/1.png")


@pytest.mark.parametrize(
    "rel, why",
    [
        ("../../../items/demo.jsonl", "leads outside"),
        ("chat/../../escape.png", "leads outside"),
        ("/etc/passwd", "empty or absolute"),
        ("", "empty or absolute"),
        ("a\x00b", "empty or absolute"),
    ],
)
def test_inside_refuses_a_path_that_leaves_its_root(tmp_path: Path, rel: str, why: str):
    with pytest.raises(ThinksafeError, match=why):
        inside(tmp_path / "root", rel, "combined.json: chat[0]")


def test_inside_follows_symlinks_before_it_checks(tmp_path: Path):
    root = tmp_path / "mirror"
    (root / "real").mkdir(parents=True)
    (root / "real/a.png").write_bytes(b"x")
    (tmp_path / "secret").write_text("s")
    os.symlink(root / "real/a.png", root / "in.png")
    os.symlink(tmp_path / "secret", root / "out.png")
    os.symlink(tmp_path, root / "outdir")

    assert inside(root, "in.png").resolve() == (root / "real/a.png").resolve()
    for rel in ("out.png", "outdir/secret"):
        with pytest.raises(ThinksafeError, match="leads outside"):
            inside(root, rel)


# --- one name pattern --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mm-safetybench", "qwen2.5-vl-7b", "tis_rebuild", "R1", "shard0"])
def test_safe_names_pass(name: str):
    assert names.check_name(name, "benchmarks") == name


@pytest.mark.parametrize("name", [".", "..", ".hidden", "a/b", "../x", "/abs", "a\\b", "", "a b", "x+y", 7])
def test_unsafe_names_are_refused_naming_the_key(name):
    with pytest.raises(ThinksafeError, match=r"^run.benchmarks\[0\]: name .* is not allowed"):
        names.check_name(name, "run.benchmarks[0]")


def test_a_tuned_model_joins_two_safe_names_with_one_plus():
    assert names.check_name("qwen+tis", "run.models[0]", tuned=True) == "qwen+tis"
    for bad in ("qwen+", "+tis", "a+b+c", "qwen+..", "../qwen+tis"):
        with pytest.raises(ThinksafeError):
            names.check_name(bad, "run.models[0]", tuned=True)


def test_the_schema_carries_the_same_patterns():
    defs = yaml.safe_load((ROOT / "config/schema.yaml").read_text())["$defs"]
    assert defs["name"]["pattern"] == names.NAME.pattern
    assert defs["tuned_name"]["pattern"] == names.TUNED.pattern


@pytest.mark.parametrize("section", ["benchmarks", "judges", "models", "sources", "datasets"])
@pytest.mark.parametrize("bad", ["..", ".", "a/b", ".x"])
def test_the_config_refuses_an_unsafe_registry_name(section: str, bad: str):
    cfg = config.load(ROOT / "config.yaml")
    cfg.setdefault(section, {})[bad] = next(iter(cfg[section].values()))
    with pytest.raises(ThinksafeError, match=rf"^config key {section}: '{bad}' does not match"):
        config.validate(cfg)


def test_the_config_refuses_an_unsafe_name_in_a_run_list():
    cfg = config.load(ROOT / "config.yaml")
    cfg["run"]["benchmarks"] = [".."]
    with pytest.raises(ThinksafeError, match=r"^config key run.benchmarks\[0\]: '..' does not match"):
        config.validate(cfg)


@pytest.mark.parametrize(
    "name, out",
    [("..", "data/raw/.."), ("figstep", "data/raw/.."), ("a/b", "data/raw/x"), (".", "data/raw/.")],
)
def test_download_refuses_a_name_that_would_replace_data(tmp_path, monkeypatch, capsys, name, out):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data/items").mkdir(parents=True)
    (tmp_path / "data/items/demo.jsonl").write_text("keep\n")
    spec = json.dumps({"adapter": "demo", "name": name})

    assert main(["download", "--spec", spec, "--out", out]) == 2

    assert "is not allowed" in capsys.readouterr().err
    assert (tmp_path / "data/items/demo.jsonl").read_text() == "keep\n"


def test_download_replaces_only_a_folder_it_wrote(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data/items").mkdir(parents=True)
    (tmp_path / "data/items/demo.jsonl").write_text("keep\n")
    spec = json.dumps({"adapter": "demo", "name": "demo"})

    assert main(["download", "--spec", spec, "--out", "data"]) == 2

    assert "--out data: not empty and has no MANIFEST.json" in capsys.readouterr().err
    assert (tmp_path / "data/items/demo.jsonl").read_text() == "keep\n"
    assert main(["download", "--spec", spec, "--out", "data/raw/demo"]) == 0
    assert main(["download", "--spec", spec, "--out", "data/raw/demo"]) == 0  # its own folder: allowed


@pytest.mark.parametrize(
    "spec, key",
    [
        ({"name": "..", "kind": "spa_vl", "sources": ["spa-vl-train"]}, "--spec name"),
        ({"name": "a", "kind": "spa_vl", "sources": ["../.."]}, "--spec sources[0]"),
        ({"name": "a", "kind": "tis_rebuild", "sources": ["demo-pool", "/etc"]}, "--spec sources[1]"),
    ],
)
def test_build_dataset_refuses_a_name_that_leaves_its_root(tmp_path, monkeypatch, capsys, spec, key):
    monkeypatch.chdir(tmp_path)
    args = ["build-dataset", "--spec", json.dumps(spec), "--raw-root", "data/raw", "--out", "data/sft/a"]

    assert main(args) == 2

    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{key}: name" in err[0] and "is not allowed" in err[0]
    assert not (tmp_path / "data").exists()


# --- MSSBench: a record's image path that climbs out ----------------------------------------------------

EVIL = "../../../items/demo.jsonl"


def _evil_combined() -> bytes:
    data = json.loads((FIXTURES / "mssbench/combined.json").read_text())
    data["chat"][0]["unsafe_image_path"] = EVIL
    return json.dumps(data).encode()


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data/items").mkdir(parents=True)
    (tmp_path / "data/items/demo.jsonl").write_text("keep\n")
    return tmp_path


def test_mssbench_from_a_mirror_cannot_write_outside_the_raw_dir(project: Path, capsys):
    mirror = project / "mirror/mssbench"
    (mirror / "chat").mkdir(parents=True)
    (mirror / "combined.json").write_bytes(_evil_combined())
    (mirror / EVIL.replace("../", "")).parent.mkdir(parents=True, exist_ok=True)
    spec = json.dumps({"adapter": "mssbench", "name": "mssbench", "subsets": ["chat"]})

    rc = main(["download", "--spec", spec, "--mirror", str(project / "mirror"), "--out", "data/raw/mssbench"])

    assert rc == 2
    assert f"path 'chat/{EVIL}' leads outside" in capsys.readouterr().err
    assert (project / "data/items/demo.jsonl").read_text() == "keep\n"
    assert not (project / "data/raw/mssbench").exists()


def test_mssbench_over_the_network_cannot_write_outside_the_cache(project: Path, monkeypatch, capsys):
    prefix = "/datasets/kzhou35/mssbench/resolve/main/"
    server = Upstream({prefix + "combined.json": _evil_combined(), prefix + f"chat/{EVIL}": b"overwritten"})
    server.thread.start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    spec = json.dumps({"adapter": "mssbench", "name": "mssbench", "subsets": ["chat"]})
    try:
        assert main(["download", "--spec", spec, "--out", "data/raw/mssbench"]) == 2
    finally:
        server.stop = True
        server.thread.join(timeout=5)

    assert "leads outside" in capsys.readouterr().err
    assert (project / "data/items/demo.jsonl").read_text() == "keep\n"
    assert [p for p, _ in server.requests] == [prefix + "combined.json"]  # no image was requested
    assert not list(project.rglob("*.jsonl.part"))


# --- symlinks in a mirror ----------------------------------------------------------------------------


def _mossbench_mirror(root: Path) -> Path:
    """MOSSBench's real information.json (read from ../shared) with its 300 images drawn."""
    src = ROOT.parent / "shared/benchmarks/mossbench/data/images_information/information.json"
    folder = root / "mossbench/data"
    (folder / "images_information").mkdir(parents=True)
    shutil.copyfile(src, folder / "images_information/information.json")
    for pid, rec in json.loads(src.read_text()).items():
        (folder / rec["image"]).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8), (int(pid) % 256, 40, 90)).save(folder / rec["image"])
    return root


def test_a_mirror_symlink_inside_the_mirror_is_copied_as_content(project: Path):
    mirror = _mossbench_mirror(project / "mirror")
    info = mirror / "mossbench/data/images_information/information.json"
    info.rename(mirror / "mossbench/data/info-real.json")
    os.symlink("../info-real.json", info)
    spec = json.dumps({"adapter": "mossbench", "name": "mossbench"})

    assert main(["download", "--spec", spec, "--mirror", str(mirror), "--out", "data/raw/mossbench"]) == 0

    placed = project / "data/raw/mossbench/data/images_information/information.json"
    assert placed.is_file() and not placed.is_symlink()
    manifest = json.loads((project / "data/raw/mossbench/MANIFEST.json").read_text())
    assert manifest["files"]["data/images_information/information.json"] == (
        "a5f7701c0a068391a3ba10714dd95f3357d664c84faf47b747e425ff9806a352"
    )


@pytest.mark.parametrize("target", ["file", "folder"])
def test_a_mirror_symlink_leaving_the_mirror_is_refused(project: Path, capsys, target: str):
    mirror = _mossbench_mirror(project / "mirror")
    outside = project / "elsewhere"
    shutil.move(mirror / "mossbench/data/images", outside)
    if target == "file":
        (mirror / "mossbench/data/images").mkdir()
        for png in outside.iterdir():
            os.symlink(png, mirror / "mossbench/data/images" / png.name)
    else:
        os.symlink(outside, mirror / "mossbench/data/images")
    spec = json.dumps({"adapter": "mossbench", "name": "mossbench"})

    assert main(["download", "--spec", spec, "--mirror", str(mirror), "--out", "data/raw/mossbench"]) == 2

    assert "leads outside" in capsys.readouterr().err
    assert not (project / "data/raw/mossbench").exists()


def test_an_unpinned_file_that_differs_from_the_pin_is_refused(project: Path, capsys):
    mirror = _mossbench_mirror(project / "mirror")
    info = mirror / "mossbench/data/images_information/information.json"
    info.write_text(info.read_text().replace("fun game", "game"))
    spec = json.dumps({"adapter": "mossbench", "name": "mossbench"})

    assert main(["download", "--spec", spec, "--mirror", str(mirror), "--out", "data/raw/mossbench"]) == 2

    assert "checksum mismatch" in capsys.readouterr().err
