"""Disk full and read-only output directories: one clear error line, no corrupt declared output, and an
earlier good output left exactly as it was (thinksafe.io writes a temporary sibling and renames)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from reliability import figures
from reliability.mounts import fill, tmpfs
from reliability.workspace import items_file, model_spec

from thinksafe import cli
from thinksafe.metrics.synthetic import item, spec_for, verdict, write_items, write_verdicts

pytest_plugins = ["reliability.plugin"]
AGG_SPEC = spec_for({"m": {"revision": "r"}}, ["demo"], ["rule"])


def run(argv: list[str], capsys) -> tuple[int, list[str]]:
    capsys.readouterr()
    try:
        code = cli.main(argv)
    except OSError as e:  # counted as unclear: a traceback instead of a located error line
        return -1, [repr(e)]
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if line.startswith("thinksafe ")]


def check(code: int, lines: list[str], where: Path, declared: list[Path], words: tuple[str, ...]) -> None:
    clear = code == 2 and len(lines) == 1 and any(w in lines[0] for w in words) and str(where) in lines[0]
    leftovers = [p.name for p in where.rglob("*") if ".tmp" in p.name]
    corrupt = [p.name for p in declared if p.exists()]
    figures.add(disk_cases=1, disk_clear=int(clear and not leftovers and not corrupt))
    assert code == 2 and len(lines) == 1, lines
    assert any(w in lines[0] for w in words) and str(where) in lines[0], lines[0]
    assert not corrupt and not leftovers, (corrupt, leftovers)


def agg_run(root: Path) -> None:
    items = [item(f"demo-{i:02d}", "demo", ("jailbreak", "benign")[i % 2]) for i in range(40)]
    write_items(root, "demo", items)
    verdicts = [verdict(it["id"], "m", t, ("safe", "unsafe")[i % 3 == 0])
                for i, it in enumerate(items) for t in ("thought", "answer")]  # fmt: skip
    write_verdicts(root, "rule", "m", "demo", verdicts)


FULL = ("No space left on device",)
READ_ONLY = ("Read-only file system",)


def test_generate_onto_a_full_disk(tiny_model_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    items = items_file(tmp_path, 30)
    with tmpfs(tmp_path / "full", 64) as disk:
        fill(disk, 2048)  # room for a few records, not for thirty
        out = disk / "gen" / "00.jsonl"
        spec = json.dumps(model_spec(tiny_model_dir))
        code, lines = run(["generate", "--spec", spec, "--items", str(items), "--shard", "00",
                           "--n-shards", "1", "--out", str(out)], capsys)  # fmt: skip
        check(code, lines, disk, [out, disk / "gen" / "00.meta.json"], FULL)


def test_tables_onto_a_full_disk_keep_the_previous_tables(tmp_path, capsys):
    agg_run(tmp_path)
    with tmpfs(tmp_path / "full", 256) as disk:
        out = disk / "tables"
        argv = ["aggregate", "--spec", json.dumps(AGG_SPEC), "--out-dir", str(out), "--root", str(tmp_path)]
        assert run(argv, capsys)[0] == 0
        before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}
        fill(disk, 0)
        code, lines = run([*argv, "--bootstrap", "50"], capsys)
        after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}
        assert after == before  # every table as it was: never half-overwritten
        check(code, lines, disk, [], FULL)


def test_download_onto_a_full_disk_leaves_no_raw_dir(tmp_path, capsys):
    with tmpfs(tmp_path / "full", 64) as disk:
        out = disk / "raw" / "demo"
        code, lines = run(["download", "--spec", json.dumps({"adapter": "demo", "name": "demo"}),
                           "--out", str(out)], capsys)  # fmt: skip
        check(code, lines, disk, [out], FULL)


@pytest.mark.parametrize("stage", ["generate", "aggregate", "download"])
def test_read_only_output_directory(stage, tiny_model_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with tmpfs(tmp_path / "ro", 64, read_only=True) as disk:
        if stage == "generate":
            argv = ["generate", "--spec", json.dumps(model_spec(tiny_model_dir)), "--items",
                    str(items_file(tmp_path, 3)), "--shard", "00", "--n-shards", "1",
                    "--out", str(disk / "gen/00.jsonl")]  # fmt: skip
            declared = [disk / "gen/00.jsonl"]
        elif stage == "aggregate":
            agg_run(tmp_path)
            argv = [
                "aggregate",
                "--spec",
                json.dumps(AGG_SPEC),
                "--out-dir",
                str(disk),
                "--root",
                str(tmp_path),
            ]
            declared = [disk / "metrics.csv"]
        else:
            argv = ["download", "--spec", json.dumps({"adapter": "demo", "name": "demo"}),
                    "--out", str(disk / "raw/demo")]  # fmt: skip
            declared = [disk / "raw/demo"]
        code, lines = run(argv, capsys)
        check(code, lines, disk, declared, READ_ONLY)
