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
from reliability.bombs import declared_png
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
    for rel in case.get("mkdir", []):
        (where / fill(rel, values)).mkdir(parents=True)
    if "encode" in case:
        path = where / case["encode"]["path"]
        path.write_bytes(path.read_text(encoding="utf-8").encode(case["encode"]["encoding"]))
    if "png" in case:
        png = case["png"]
        declared_png(where / fill(png["path"], values), png["width"], png["height"])


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
    leaked = "Traceback" in err or not clean  # a traceback, a half-written output or a temporary file
    figures.add(bad_input_cases=1, bad_input_clear=int(clear and clean), bad_input_leaked=int(leaked))
    assert ok_code, (code, err[-2000:])
    assert len(lines) == 1 and "Traceback" not in err, err[-3000:]
    assert expect in lines[0], lines[0]
    assert not produced and not leftovers(tmp_path, before), (produced, leftovers(tmp_path, before))


def test_the_corpus_spans_every_area_with_25_cases_or_more():
    areas = {c["area"] for c in CASES}
    assert areas == {"config", "benchmark", "image", "registry", "tuning", "judge", "records"}
    assert len(CASES) >= 25 and len({c["id"] for c in CASES}) == len(CASES)


# --- records that cannot run fail on their own record; the job goes on with the rest ---------------------


def record_figures(tried: int, handled: int, lost: int) -> None:
    figures.add(record_cases=tried, record_handled=handled, records_lost=lost)


def test_generate_fails_only_the_records_over_a_budget(prepared, tmp_path):
    """Two images over the pixel budget (one past Pillow's own bomb limit) and two prompts over the tiny
    model's 2,048-token context, one of them 1 MB, among four ordinary items: exit 0, six records in item
    order, the four bad ones as error records that say why, the others generated."""
    from reliability.bombs import huge_prompt
    from reliability.procs import thinksafe
    from reliability.workspace import model_spec

    items_path = items_file(tmp_path, 8)
    items = read_jsonl(items_path)
    bad = {
        "unit-001": "over the pixel budget of 50,000,000",  # 20000x20000: Pillow's DecompressionBombError
        "unit-002": "8000x8000 = 64,000,000 pixels, over the pixel budget",
        "unit-003": "prompt too long: ",  # 1 MB
        "unit-006": "exceed the model's context of 2,048 tokens",  # just over
    }
    items[1]["image"] = str(declared_png(tmp_path / "data/raw/unit/bomb.png", 20000, 20000))
    items[2]["image"] = str(declared_png(tmp_path / "data/raw/unit/big.png", 8000, 8000))
    items[3]["prompt"] = huge_prompt(1 << 20)
    items[6]["prompt"] = huge_prompt(9000)
    items_path.write_text("".join(json.dumps(it) + "\n" for it in items))
    spec = model_spec(prepared["tiny"], name="m")
    result = thinksafe("generate", "--spec", json.dumps(spec), "--items", "data/items/unit.jsonl",
                       "--shard", "00", "--n-shards", "1", "--out", "results/gen/00.jsonl", cwd=tmp_path,
                       timeout=240)  # fmt: skip
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    out = read_jsonl(tmp_path / "results/gen/00.jsonl")
    assert [r["id"] for r in out] == [it["id"] for it in items]  # none lost, none reordered
    handled = 0
    for rec in out:
        if rec["id"] in bad:
            assert rec["finish_reason"] == "error" and bad[rec["id"]] in rec["error"], rec["error"]
            handled += 1
        else:
            assert rec["error"] is None and rec["n_output_tokens"] > 0
    meta = json.loads((tmp_path / "results/gen/00.meta.json").read_text())
    assert meta["counts"]["errors"] == len(bad)
    record_figures(len(bad), handled, len(items) - len(out))


def test_normalize_refuses_an_image_over_the_budget_and_counts_it(
    prepared, tmp_path, capsys, monkeypatch, caplog
):
    """With allow_skips the run goes on: the item is left out, counted in the summary and logged by name."""
    shutil.copytree(prepared["root"] / "data/raw/demo", tmp_path / "data/raw/demo")
    images = sorted((tmp_path / "data/raw/demo/images").iterdir())
    monkeypatch.chdir(tmp_path)
    args = ["normalize", "--spec", json.dumps({"adapter": "demo", "name": "demo"}), "--raw", "data/raw/demo",
            "--seed", "0", "--out", "data/items/demo.jsonl"]  # fmt: skip
    assert cli.main(args) == 0
    whole = read_jsonl(tmp_path / "data/items/demo.jsonl")
    declared_png(images[0], 20000, 20000)
    declared_png(images[1], 9000, 9000)
    caplog.set_level("INFO", logger="thinksafe")
    assert cli.main([*args, "--allow-skips"]) == 0
    kept = read_jsonl(tmp_path / "data/items/demo.jsonl")
    refused = [w for w in caplog.messages if w.startswith("skipped:") and "pixel budget" in w]
    summary = next(m for m in caplog.messages if m.startswith("SUMMARY normalize"))
    uses = {it["id"] for it in whole if Path(it["image"]).name in (images[0].name, images[1].name)}
    assert {it["id"] for it in whole} - {it["id"] for it in kept} == uses  # exactly the bombs' items
    assert len(refused) == len(uses) and f"skipped={len(uses)}" in summary
    record_figures(len(uses), len(refused), len(whole) - len(kept) - len(refused))


@pytest.mark.parametrize("size", [(20000, 20000), (8000, 8000)])
def test_every_reader_of_images_turns_a_bomb_into_a_record_level_error(tmp_path, size):
    """Report thumbnails, the model backends, the contamination guard, tuning-record checks and training
    data each meet the same PNG: a note, an error record, a hash left out, a bad record; never a crash."""
    from thinksafe.dataset.guard import Entry
    from thinksafe.dataset.sharegpt import BadRecord, check_image
    from thinksafe.images import ImageTooLarge
    from thinksafe.models.backends.base import ImageError, load_image
    from thinksafe.report.examples import thumbnail
    from thinksafe.train.data import load_image as training_image

    bomb = declared_png(tmp_path / "bomb.png", *size)
    outcomes = []
    uri, note = thumbnail(tmp_path, str(bomb))
    outcomes.append(uri is None and "ImageTooLarge" in note)
    with pytest.raises(ImageError, match="pixel budget"):
        load_image({"id": "x", "image": str(bomb)})
    outcomes.append(True)
    entry = Entry("x", "prompt", bomb)
    entry.hash_image()
    outcomes.append(entry.sha256 is not None and entry.dhash is None)  # still matches by sha256
    with pytest.raises(BadRecord, match="pixel budget"):
        check_image(bomb)
    outcomes.append(True)
    with pytest.raises(ImageTooLarge):  # load_examples counts it as `unreadable`
        training_image([bomb])
    outcomes.append(True)
    record_figures(len(outcomes), sum(outcomes), 0)
    assert all(outcomes)
