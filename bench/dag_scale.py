"""DAG scale: how long `snakemake -n` takes to plan the full reproduction, and how that grows with jobs.

The full reproduction (config.yaml: 13 MLRM/base pairs plus the tuned models, every benchmark, two
judges) is planned with the SLURM profile, as a user on a login node would, at several shard counts.
Each plan runs in an empty scratch directory so no existing output changes it.

    python bench/dag_scale.py [--shards 1 2 4 8 16] [--repeat 2]

Target (issue 11): under 20 s on 2 cores for >= 1,000 jobs.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 20.0
JOB_TOTAL = re.compile(r"^total\s+(\d+)\s*$", re.M)


def plan(shards: int, workdir: Path) -> tuple[int, float, float]:
    """Dry-run the full reproduction at `shards` generation jobs per (model, benchmark).

    Returns (jobs, wall seconds, CPU seconds): the CPU time does not grow when other work shares the
    cores, the wall time does."""
    overlay = workdir / f"shards-{shards}.yaml"
    # The audit data path in config.yaml is relative to the project; pin it so the plan matches a real run.
    audit = yaml.safe_load((ROOT / "config.yaml").read_text())["judge_audit"]["data"]
    overlay.write_text(f"run: {{shards: {shards}}}\njudge_audit: {{data: {(ROOT / audit).resolve()}}}\n")
    cmd = [
        sys.executable, "-m", "snakemake", "-n", "--quiet", "rules",
        "--snakefile", str(ROOT / "Snakefile"),
        "--profile", str(ROOT / "profiles" / "slurm"),
        "--configfile", str(ROOT / "config.yaml"), str(overlay),
        "--directory", str(workdir),
    ]  # fmt: skip
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    cpu0 = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    seconds = time.perf_counter() - start
    cpu = _children_cpu() - cpu0
    match = JOB_TOTAL.search(proc.stdout + proc.stderr)
    if proc.returncode != 0 or not match:
        raise SystemExit(f"snakemake -n failed for shards={shards}:\n{proc.stderr[-2000:]}")
    return int(match.group(1)), seconds, cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--repeat", type=int, default=2, help="runs per point; the best is reported")
    args = parser.parse_args()

    rows = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="dag-scale-") as tmp:
        for shards in args.shards:
            runs = [plan(shards, Path(tmp)) for _ in range(args.repeat)]
            rows.append((shards, runs[0][0], min(r[1] for r in runs), min(r[2] for r in runs)))
    load = max(load, os.getloadavg()[0])

    import snakemake

    print(f"# DAG scale: snakemake {snakemake.__version__} -n --profile profiles/slurm, full reproduction")
    print(f"# machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"# best of {args.repeat} runs per row; target < {TARGET_S:.0f} s at >= 1,000 jobs")
    print(f"# load average (1 min) during the runs: up to {load:.1f} on {os.cpu_count()} cores")
    print("# CPU s is what the plan costs on an idle machine; wall s grows with other work on the cores")
    print()
    base_jobs, base_cpu = rows[0][1], rows[0][3]
    print("| shards | jobs | wall s | CPU s | CPU ms/job | jobs ratio | CPU ratio | target (wall) |")
    print("|---:|---:|---:|---:|---:|---:|---:|:---|")
    for shards, jobs, wall, cpu in rows:
        verdict = ("met" if wall < TARGET_S else "missed") if jobs >= 1000 else "-"
        print(
            f"| {shards} | {jobs} | {wall:.1f} | {cpu:.1f} | {1000 * cpu / jobs:.2f} | "
            f"{jobs / base_jobs:.1f}x | {cpu / base_cpu:.1f}x | {verdict} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
