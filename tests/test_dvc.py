"""DVC versions the run's artifacts; a fresh clone pulls them and has nothing to recompute.

One writer publishes after Snakemake (scripts/dvc-publish: dvc commit + dvc push to a local-directory
remote); a `git clone` elsewhere runs scripts/dvc-pull (dvc pull, then `snakemake --touch`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from subprocess import PIPE

import pytest
import yaml
from dag import BIN, CONFIGS, ROOT, TINY, env, git, plan, run, small_run

pytestmark = pytest.mark.slow
# The artifact families the tiny DAG makes; results/audit is off in tiny.yaml.
FAMILIES = {
    "models": "data/models/tiny",
    "raw": "data/raw/demo",
    "items": "data/items/demo.jsonl",
    "generations": "results/generations/tiny-reasoner/demo/00.jsonl",
    "judgments": "results/judgments/rule/tiny-reasoner/demo/00.jsonl",
    "sft": "data/sft/tis-tiny",
    "guard": "results/guard/tis-tiny.json",
    "adapters": "checkpoints/tiny-base+tis-tiny",
    "tables": "results/tables/metrics.csv",
    "figures": "results/figures",
    "report": "results/report.html",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory, shared_dir) -> Path:
    return small_run(tmp_path_factory, shared_dir)


def test_no_rule_calls_dvc():
    # DVC's repository lock: dvc runs once, after Snakemake, never inside parallel jobs.
    for smk in [ROOT / "Snakefile", *(ROOT / "rules").glob("*.smk")]:
        assert "dvc " not in smk.read_text(), smk


def test_publish_then_clone_and_pull_has_nothing_to_do(project, tmp_path):
    remote = tmp_path / "dvc-remote"
    run(["dvc", "remote", "add", "--default", "store", str(remote)], project, timeout=60)
    run([str(project / "scripts" / "dvc-publish")], project, timeout=300)

    lock = yaml.safe_load((project / "dvc.lock").read_text())
    assert set(lock["stages"]) == set(FAMILIES)
    assert any(remote.rglob("*")), "nothing was pushed"
    # Publishing touched nothing Snakemake cares about.
    assert plan(project).total == 0
    git(project, "add", "dvc.lock", ".dvc/config")
    git(project, "commit", "-q", "-m", "artifacts of the tiny run")

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(project), str(clone))
    shutil.copytree(CONFIGS, clone / "tests" / "configs", dirs_exist_ok=True)
    before = plan(clone)
    assert before.counts["generate"] == 3  # a bare clone would recompute everything

    run([str(clone / "scripts" / "dvc-pull"), "--", "--configfile", *TINY], clone, timeout=300)
    for path in FAMILIES.values():
        assert (clone / path).exists(), path
    assert plan(clone).total == 0


def test_publish_refuses_while_snakemake_runs(project, tmp_path):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(project), str(clone))
    lock_file = clone / "dvc.lock"
    before = lock_file.read_text() if lock_file.exists() else None
    # A real run holding its lock in the clone: publishing now would record half-written artifacts.
    cmd = [str(BIN / "snakemake"), "--cores", "1", "--configfile", *TINY, "--forcerun", "build_demo_model"]
    proc = subprocess.Popen(cmd, cwd=clone, env=env(), stdout=PIPE, stderr=PIPE, start_new_session=True)
    try:
        locks = clone / ".snakemake" / "locks"
        deadline = time.monotonic() + 120
        while not (locks.is_dir() and any(locks.iterdir())):
            assert proc.poll() is None and time.monotonic() < deadline, "snakemake never took its lock"
            time.sleep(0.2)
        refused = run([str(clone / "scripts" / "dvc-publish")], clone, timeout=60, check=False)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert refused.returncode == 1
    assert "Snakemake is running" in refused.stderr
    assert (lock_file.read_text() if lock_file.exists() else None) == before
