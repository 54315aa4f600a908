"""The whole loop on the embedded default, in a fresh copy of the project: what `make demo` runs.

download → normalize → generate → judge → aggregate → report, and build_dataset → guard → finetune →
the tuned model re-evaluated by the same rules. Then a second run has nothing to do.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def fresh_checkout(tmp: Path, shared: Path) -> Path:
    """The tracked files only, with ../shared beside them, as CI lays out a clone."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    project = tmp / "thinksafe"
    for name in filter(None, files.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, project / name)
    (tmp / "shared").symlink_to(shared)
    return project


def snakemake(project: Path, *args: str, timeout: int) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}", HF_HUB_OFFLINE="1")
    return subprocess.run(
        [str(BIN / "snakemake"), "--cores", "2", "--configfile", "config/demo.yaml", *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=timeout,
    )


def planned_jobs(stdout: str) -> dict[str, int]:
    if "Job stats:" not in stdout:
        return {}
    table = stdout.split("Job stats:")[1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m[1] != "total"}


def test_demo_runs_end_to_end_and_tuning_makes_the_model_safer(tmp_path, shared_dir):
    project = fresh_checkout(tmp_path, shared_dir)

    plan = planned_jobs(snakemake(project, "-n", timeout=300).stdout)
    for rule in ("download", "generate", "judge", "aggregate", "build_dataset", "finetune"):
        assert plan.get(rule, 0) >= 1, plan
    assert plan["generate"] == 3  # demo-base, demo-reasoner and the tuned demo-base+tis-demo

    run = snakemake(project, timeout=1500)
    assert run.returncode == 0, run.stderr[-4000:]

    tables = project / "results" / "tables"
    for name in ("metrics.csv", "table1.md", "table2.md", "summary.md"):
        assert (tables / name).stat().st_size > 0
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

    again = snakemake(project, "-n", timeout=300)
    assert again.returncode == 0
    assert planned_jobs(again.stdout) == {}, again.stdout[-2000:]
