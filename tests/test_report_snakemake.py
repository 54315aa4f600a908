"""The aggregate, figures and report rules run under Snakemake on a demo-shaped run, and
`snakemake --report` collects their outputs with the captions from report/."""

from __future__ import annotations

import json

import pytest
from dag import project_copy, snakemake

from thinksafe.cli import main
from thinksafe.metrics.synthetic import item, verdict, write_items, write_verdicts

pytestmark = pytest.mark.slow
DEMO = ("config/demo.yaml",)
MODELS = ("demo-base", "demo-reasoner", "demo-base+tis-demo", "demo-reasoner@safepath")  # config/demo.yaml
JUDGE = "comply"  # config/demo.yaml's judge


def write_demo_run(project) -> None:
    """Judged records for the demo's three models, as generate and judge would leave them."""
    items = [
        item(
            f"demo:{i:02d}",
            "demo",
            ("jailbreak", "awareness", "benign")[i % 3],
            category=f"c{i % 2}",
            context=("safe", "unsafe")[i % 2] if i % 3 == 1 else None,
        )
        for i in range(12)
    ]
    write_items(project, "demo", items)
    for m, model in enumerate(MODELS):
        gens, verdicts = [], []
        for i, it in enumerate(items):
            safe = (i + m) % 3 != 0
            thought = None if model == "demo-base" else f"thinking about {it['id']}"
            gens.append(
                {
                    "id": it["id"],
                    "model": model,
                    "raw": "",
                    "thought": thought,
                    "answer": f"answer {i}",
                    "truncated": False,
                    "finish_reason": "stop",
                    "n_prompt_tokens": 1,
                    "n_output_tokens": 1,
                    "error": None,
                }
            )
            verdicts.append(
                verdict(
                    it["id"],
                    model,
                    "thought",
                    "safe" if thought else None,
                    "ok" if thought else "empty",
                    JUDGE,
                )
            )
            verdicts.append(
                verdict(it["id"], model, "answer", "safe" if safe else "unsafe", judge=JUDGE, refusal=safe)
            )
        out = project / "results" / "generations" / model / "demo"
        out.mkdir(parents=True)
        (out / "00.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gens))
        (out / "00.meta.json").write_text(json.dumps({"model": model, "seed": 0, "model_revision": "local"}))
        write_verdicts(project, JUDGE, model, "demo", verdicts)


def test_rules_run_and_snakemake_report_collects_them(tmp_path, shared_dir):
    project = project_copy(tmp_path, shared_dir)
    write_demo_run(project)
    # The judge audit on the shipped human labels, by the real command (its rule is not under test here).
    data = project / "src" / "thinksafe" / "judges" / "validation" / "jbb-judge-comparison.jsonl"
    audit = ["audit", "--spec", json.dumps({"kind": JUDGE, "name": JUDGE}), "--data", str(data)]
    assert main([*audit, "--out", str(project / "results" / "audit" / f"{JUDGE}.json")]) == 0
    # Only the last three rules may run: everything upstream is the records written above.
    snakemake(
        project,
        "--cores",
        "1",
        "--allowed-rules",
        "aggregate",
        "figures",
        "report",
        "--",
        "results/report.html",
        configs=DEMO,
        timeout=600,
    )
    summary = (project / "results" / "tables" / "summary.md").read_text()
    assert all(f"| {m} |" in summary for m in MODELS)
    page = (project / "results" / "report.html").read_text()
    assert "Judge audit" in page and "jbb-judge-comparison.jsonl" in page
    out = snakemake(project, "--report", str(tmp_path / "snakemake-report.html"), configs=DEMO, timeout=600)
    collected = out.stdout + out.stderr
    for name in (
        "metrics.csv",
        "table1.md",
        "table2.md",
        "summary.md",
        "report.html",
        "degradation.png",
        "categories.png",
        "quadrants.png",
    ):
        assert f"Adding {name}" in collected, name
    assert (tmp_path / "snakemake-report.html").stat().st_size > 100_000
