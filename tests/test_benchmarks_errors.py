"""Bad input stops with one clear error and no declared output; skipped records are counted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from thinksafe.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
JBV_CSV = "jailbreakv-28k/JailBreakV_28K/mini_JailBreakV_28K.csv"
HEADER = "id,jailbreak_query,redteam_query,format,policy,image_path,from,selected_mini,transfer_from_llm\n"


@pytest.fixture()
def project(tmp_path, monkeypatch) -> Path:
    (tmp_path / "project").mkdir()
    monkeypatch.chdir(tmp_path / "project")
    return tmp_path / "project"


def jbv_mirror(root: Path, rows: list[str]) -> Path:
    """A JailBreakV-28K mirror holding `rows` and an image for every one of them."""
    path = root / JBV_CSV
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(rows))
    for n in range(len(rows)):
        image = path.parent / f"llm_transfer_attack/nature_{n}.jpeg"
        image.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8), "white").save(image)
    return root


def row(n: int) -> str:
    image = f"llm_transfer_attack/nature_{n}.jpeg"
    return f'{n},"[synthetic] query {n}",[synthetic] q{n},Template,Fraud,{image},AdvBench,True,True\n'


def download(spec: dict, mirror: Path) -> int:
    return main(
        ["download", "--spec", json.dumps(spec), "--mirror", str(mirror), "--out", f"data/raw/{spec['name']}"]
    )


def normalize(spec: dict, *extra: str) -> int:
    return main(
        [
            "normalize",
            "--spec",
            json.dumps(spec),
            "--raw",
            f"data/raw/{spec['name']}",
            "--seed",
            "0",
            *extra,
            "--out",
            f"data/items/{spec['name']}.jsonl",
        ]
    )


def error(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    return lines[-1]


def test_a_checksum_mismatch_stops_the_download(project, tmp_path, mirror, capsys):
    shutil.copytree(mirror / "figstep-safebench", tmp_path / "m/figstep-safebench")
    csv = tmp_path / "m/figstep-safebench/question/safebench.csv"
    csv.write_bytes(csv.read_bytes().replace(b"Steps to plead", b"Steps to plead!", 1))
    assert download({"adapter": "figstep", "name": "figstep"}, tmp_path / "m") == 2
    message = error(capsys)
    assert "safebench.csv: checksum mismatch" in message
    assert not Path("data/raw/figstep").exists() and not any(Path("data/raw").iterdir())


def test_a_mirror_lacking_a_file_names_it(project, tmp_path, mirror, capsys):
    shutil.copytree(mirror / "figstep-safebench", tmp_path / "m/figstep-safebench")
    (tmp_path / "m/figstep-safebench/question/SafeBench-Tiny.csv").unlink()
    assert download({"adapter": "figstep", "name": "figstep"}, tmp_path / "m") == 2
    assert "lacks figstep-safebench/question/SafeBench-Tiny.csv" in error(capsys)
    assert not Path("data/raw/figstep").exists()


def test_a_mirror_without_images_fails_unless_they_can_be_rendered(project, mirror, capsys):
    assert download({"adapter": "siuo", "name": "siuo"}, mirror) == 2
    assert "lacks the images: neither siuo/data/images/ nor siuo/data/SIUO-images.zip" in error(capsys)
    assert download({"adapter": "vlguard", "name": "vlguard", "subset": "test"}, mirror) == 2
    assert "vlguard/test.zip" in error(capsys)
    assert not Path("data/raw/siuo").exists() and not Path("data/raw/vlguard").exists()


def test_a_mirror_lacking_one_image_names_it(project, tmp_path, capsys):
    root = jbv_mirror(tmp_path / "m", [row(0), row(1)])
    (root / "jailbreakv-28k/JailBreakV_28K/llm_transfer_attack/nature_1.jpeg").unlink()
    assert download({"adapter": "jailbreakv_28k", "name": "jbv"}, root) == 2
    assert "lacks jailbreakv-28k/JailBreakV_28K/llm_transfer_attack/nature_1.jpeg" in error(capsys)


def test_a_malformed_csv_names_the_file_and_line(project, tmp_path, capsys):
    ragged = "2,only three,fields\n"
    root = jbv_mirror(tmp_path / "m", [row(0), row(1), ragged])
    assert download({"adapter": "jailbreakv_28k", "name": "jbv"}, root) == 2
    message = error(capsys)
    assert message.endswith("mini_JailBreakV_28K.csv:4: malformed CSV: 3 fields, the header has 9")
    assert f"{root / JBV_CSV}:4" in message and ".tmpdir" not in message  # the user's file, not a copy


def test_malformed_json_names_the_file_and_line(project, tmp_path, capsys):
    shutil.copytree(FIXTURES / "mssbench", tmp_path / "m/mssbench")
    path = tmp_path / "m/mssbench/combined.json"
    path.write_text(path.read_text().replace('"Type": "property damage",', '"Type": "property damage"', 1))
    assert download({"adapter": "mssbench", "name": "mssbench"}, tmp_path / "m") == 2
    message = error(capsys)
    assert f"{path}:17: malformed JSON" in message and ".tmpdir" not in message
    assert not Path("data/raw/mssbench").exists()


def test_a_field_of_the_wrong_type_names_the_file_record_and_type(project, tmp_path, capsys):
    shutil.copytree(FIXTURES / "mssbench", tmp_path / "m/mssbench")
    path = tmp_path / "m/mssbench/combined.json"
    data = json.loads(path.read_text())
    data["chat"][0]["unsafe_image_path"] = 5
    path.write_text(json.dumps(data))
    assert download({"adapter": "mssbench", "name": "mssbench"}, tmp_path / "m") == 2
    message = error(capsys)
    assert message.endswith(f"{path}: chat[0]: field 'unsafe_image_path' is int, expected str")


def test_an_unknown_subset_names_the_config_key(project, mirror, capsys):
    assert download({"adapter": "figstep", "name": "figstep", "subset": "SafeBench-Huge"}, mirror) == 2
    assert "config key benchmarks.figstep.subset: unknown value 'SafeBench-Huge'" in error(capsys)
    assert download({"adapter": "mm_safetybench", "name": "mm", "kinds": ["TYPO", "SKETCH"]}, mirror) == 2
    assert "config key benchmarks.mm.kinds[1]: unknown value 'SKETCH'" in error(capsys)
    assert (
        main(["download", "--spec", '{"adapter": "hades", "name": "hades"}', "--out", "data/raw/hades"]) == 2
    )
    assert "unknown benchmark adapter 'hades'" in error(capsys)


def test_undecodable_images_are_counted_skips_that_fail_unless_allowed(project, tmp_path, capsys, caplog):
    root = jbv_mirror(tmp_path / "m", [row(0), row(1), row(2)])
    (root / "jailbreakv-28k/JailBreakV_28K/llm_transfer_attack/nature_2.jpeg").write_bytes(
        b"\xff\xd8 truncated"
    )
    spec = {"adapter": "jailbreakv_28k", "name": "jbv"}
    assert download(spec, root) == 0
    assert normalize(spec) == 2
    message = error(capsys)
    assert "1 record(s) skipped" in message and "mini_JailBreakV_28K.csv:4" in message
    assert "nature_2.jpeg" in message and "does not decode" in message
    assert not Path("data/items/jbv.jsonl").exists()
    caplog.set_level("INFO")
    assert normalize(spec, "--allow-skips") == 0
    assert "SUMMARY normalize name=jbv items=2 skipped=1" in caplog.text
    assert len(Path("data/items/jbv.jsonl").read_text().splitlines()) == 2
