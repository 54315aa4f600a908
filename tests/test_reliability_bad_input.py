"""The bad-input corpus (tests/reliability/bad_inputs.yaml): every case stops with ONE error line naming
the file, line or key, and leaves no declared output and no temporary file behind."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from reliability import figures
from reliability.procs import BIN, env
from reliability.workspace import items_file, read_jsonl, tuning_set

from thinksafe import cli
from thinksafe.metrics.synthetic import item, spec_for, verdict, write_items, write_verdicts

pytest_plugins = ["reliability.plugin"]
ROOT = Path(__file__).resolve().parents[1]
CASES = yaml.safe_load((Path(__file__).parent / "reliability" / "bad_inputs.yaml").read_text())
AGG_SPEC = spec_for({"m": {"revision": "r"}}, ["demo"], ["rule"])
RULE_JUDGE = {"name": "rule", "kind": "rule"}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, tiny_model_dir) -> dict[str, Path]:
    """Valid inputs built once by the real CLI and project code; each case gets its own copy."""
    root = tmp_path_factory.mktemp("valid")
    tuning_set(root)  # also downloads the demo pool (data/raw/demo-pool)
    assert cli.main(["download", "--spec", json.dumps({"adapter": "demo", "name": "demo"}),
                     "--out", str(root / "data/raw/demo")]) == 0  # fmt: skip
    return {"root": root, "tiny": tiny_model_dir}


def setup_case(case: dict, prepared: dict, where: Path) -> dict[str, str]:
    """Build the case's valid starting point in `where`; returns the placeholder values."""
    values = {"agg_spec": json.dumps(AGG_SPEC), "judge": json.dumps(RULE_JUDGE)}
    for name in case.get("setup", []):
        if name == "demo_raw":
            shutil.copytree(prepared["root"] / "data/raw/demo", where / "data/raw/demo")
            first = sorted((where / "data/raw/demo/images").iterdir())[0]
            values["demo_image"] = first.relative_to(where).as_posix()
        elif name == "sft":
            shutil.copytree(prepared["root"] / "data/sft/tis-tiny", where / "data/sft/tis-tiny")
            first = json.loads((where / "data/sft/tis-tiny/train.json").read_text())[0]["images"][0]
            values["sft_image"] = f"data/sft/tis-tiny/{first}"
        elif name == "tiny":
            shutil.copytree(prepared["tiny"], where / "models/tiny")
        elif name == "items":
            items_file(where, 6, images=False)
        elif name == "gens":
            gens = [{"id": it["id"], "model": "m", "raw": "No.", "thought": "Hm.", "answer": "No.",
                     "truncated": False, "finish_reason": "stop", "n_prompt_tokens": 1, "n_output_tokens": 1,
                     "error": None} for it in read_jsonl(where / "data/items/unit.jsonl")]  # fmt: skip
            (where / "results").mkdir(exist_ok=True)
            (where / "results/gen.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gens))
        elif name == "agg":
            items = [item(f"demo-{i:02d}", "demo", "jailbreak") for i in range(6)]
            write_items(where, "demo", items)
            write_verdicts(where, "rule", "m", "demo", [verdict(it["id"], "m", t, "safe") for it in items
                                                        for t in ("thought", "answer")])  # fmt: skip
        else:
            raise AssertionError(f"unknown setup {name}")
    return values


def fill(text: str, values: dict[str, str]) -> str:
    for k, v in values.items():
        text = text.replace("{" + k + "}", v)
    return text


def apply_changes(case: dict, where: Path, values: dict[str, str]) -> None:
    for rel, text in (case.get("files") or {}).items():
        path = where / fill(rel, values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for change in case.get("replace", []):
        path = where / change["path"]
        text = path.read_text()
        assert change["old"] in text, (case["id"], change)
        path.write_text(text.replace(change["old"], change["new"], 1))
    for rel in case.get("delete", []):
        (where / fill(rel, values)).unlink()


def run_snakemake(case: dict, where: Path) -> tuple[int, str]:
    shutil.copy(ROOT / "config.yaml", where / "config.yaml")
    (where / "bad.yaml").write_text(case["config"])
    proc = subprocess.run(
        [str(BIN / "snakemake"), "-n", "--cores", "1", "-s", str(ROOT / "Snakefile"),
         "--directory", str(where), "--configfile", str(ROOT / "config/demo.yaml"), "bad.yaml"],
        cwd=where, env=env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return proc.returncode, proc.stderr + proc.stdout


def run_cli(case: dict, where: Path, values: dict[str, str], capsys, monkeypatch) -> tuple[int, str]:
    monkeypatch.chdir(where)
    capsys.readouterr()
    code = cli.main([fill(a, values) for a in case["argv"]])
    return code, capsys.readouterr().err


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("thinksafe") and ": " in line]


def leftovers(where: Path, before: set[Path]) -> list[str]:
    """Temporary files of thinksafe.io (`.NAME.*.tmp`, `.tmpdir`) the failed run left behind."""
    return sorted(p.name for p in where.rglob(".*tmp*") if p not in before)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_stops_with_one_located_error(case, prepared, tmp_path, capsys, monkeypatch):
    values = setup_case(case, prepared, tmp_path)
    apply_changes(case, tmp_path, values)
    before = set(tmp_path.rglob("*"))
    if case["area"] == "config":
        code, err = run_snakemake(case, tmp_path)
        ok_code = code != 0
    else:
        code, err = run_cli(case, tmp_path, values, capsys, monkeypatch)
        ok_code = code == 2
    lines = error_lines(err)
    expect = fill(case["expect"], values)
    produced = [o for o in case.get("outputs", []) if (tmp_path / o).exists()]
    if case["area"] == "config":
        produced += [d for d in ("data", "results", "checkpoints") if (tmp_path / d).exists()]
    clear = ok_code and len(lines) == 1 and expect in lines[0] and "Traceback" not in err
    clean = not produced and not leftovers(tmp_path, before)
    figures.add(bad_input_cases=1, bad_input_clear=int(clear and clean))
    assert ok_code, (code, err[-2000:])
    assert len(lines) == 1 and "Traceback" not in err, err[-3000:]
    assert expect in lines[0], lines[0]
    assert not produced and not leftovers(tmp_path, before), (produced, leftovers(tmp_path, before))


def test_the_corpus_spans_every_area_with_25_cases_or_more():
    areas = {c["area"] for c in CASES}
    assert areas == {"config", "benchmark", "image", "registry", "tuning", "judge"}
    assert len(CASES) >= 25 and len({c["id"] for c in CASES}) == len(CASES)
