"""The whole loop on the embedded default, in a fresh copy of the project: what `make demo` runs.

download → normalize → generate → judge → aggregate → report, and build_dataset → guard → finetune →
the tuned model re-evaluated by the same rules. Then a second run has nothing to do.
"""

from __future__ import annotations

import csv

import pytest
from dag import plan, project_copy, snakemake

pytestmark = pytest.mark.slow
DEMO = ("config/demo.yaml",)


def test_demo_runs_end_to_end_and_tuning_makes_the_model_safer(tmp_path, shared_dir):
    project = project_copy(tmp_path, shared_dir)

    planned = plan(project, configs=DEMO).counts
    for rule in ("download", "generate", "judge", "aggregate", "build_dataset", "finetune"):
        assert planned.get(rule, 0) >= 1, planned
    # demo-base, demo-reasoner, the tuned demo-base+tis-demo and the defended demo-reasoner@safepath
    assert planned["generate"] == 4

    snakemake(project, "--cores", "2", configs=DEMO, timeout=1500)

    tables = project / "results" / "tables"
    for name in ("metrics.csv", "table1.md", "table2.md", "defenses.md", "summary.md"):
        assert (tables / name).stat().st_size > 0
    assert "| demo-reasoner@safepath |" in (tables / "defenses.md").read_text()
    assert (project / "results" / "report.html").stat().st_size > 10_000
    assert (project / "checkpoints" / "demo-base+tis-demo" / "adapter_model.safetensors").exists()

    # Measured, not asserted as a constant: the tuned model answers the harmful demo items more safely.
    rows = list(csv.DictReader((tables / "metrics.csv").open()))

    def jailbreak_safety(model: str) -> float:
        wanted = (model, "answer", "safety_rate", "benchmark", "demo", "jailbreak")
        for r in rows:
            if (r["model"], r["target"], r["metric"], r["level"], r["benchmark"], r["family"]) == wanted:
                return float(r["value"])
        raise AssertionError(f"no jailbreak safety row for {model}")

    before, after = jailbreak_safety("demo-base"), jailbreak_safety("demo-base+tis-demo")
    print(f"demo jailbreak safety: demo-base {before:.3f} -> demo-base+tis-demo {after:.3f}")
    assert after > before

    assert plan(project, configs=DEMO).total == 0  # a second run right after does no work
