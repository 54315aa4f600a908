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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 20.0
JOB_TOTAL = re.compile(r"^total\s+(\d+)\s*$", re.M)


def plan(shards: int, workdir: Path) -> tuple[int, float]:
    """Dry-run the full reproduction at `shards` generation jobs per (model, benchmark); (jobs, seconds)."""
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
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    seconds = time.perf_counter() - start
    match = JOB_TOTAL.search(proc.stdout + proc.stderr)
    if proc.returncode != 0 or not match:
        raise SystemExit(f"snakemake -n failed for shards={shards}:\n{proc.stderr[-2000:]}")
    return int(match.group(1)), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--repeat", type=int, default=2, help="runs per point; the best is reported")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory(prefix="dag-scale-") as tmp:
        for shards in args.shards:
            runs = [plan(shards, Path(tmp)) for _ in range(args.repeat)]
            jobs = runs[0][0]
            rows.append((shards, jobs, min(s for _, s in runs)))

    import snakemake

    print(f"# DAG scale: snakemake {snakemake.__version__} -n --profile profiles/slurm, full reproduction")
    print(f"# machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"# best of {args.repeat} runs per row; target < {TARGET_S:.0f} s at >= 1,000 jobs")
    print()
    base_jobs, base_s = rows[0][1], rows[0][2]
    print("| shards | jobs | seconds | ms/job | jobs ratio | time ratio | target |")
    print("|---:|---:|---:|---:|---:|---:|:---|")
    for shards, jobs, seconds in rows:
        verdict = ("met" if seconds < TARGET_S else "MISSED") if jobs >= 1000 else "-"
        print(
            f"| {shards} | {jobs} | {seconds:.1f} | {1000 * seconds / jobs:.2f} | "
            f"{jobs / base_jobs:.1f}x | {seconds / base_s:.1f}x | {verdict} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
