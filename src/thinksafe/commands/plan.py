"""`thinksafe plan`: before a run, what it will cost per stage (jobs, cluster submissions, GPU-hours, API
calls, tokens, dollars, disk); the jobs come from Snakemake's own dry run with the chosen profile."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        nargs="+",
        default=["config.yaml"],
        help="config overlays as `snakemake --configfile` takes them (config.yaml always applies first)",
    )
    p.add_argument("--profile", default="profiles/slurm", help="Snakemake profile (submissions come from it)")
    p.add_argument("--gpu", default="a100", choices=("a100", "h100"), help="throughput-table GPU rows")
    p.add_argument("--project", default=".", help="the project folder (its Snakefile, data/ and results/)")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.add_argument("--out", help="also write the plan as JSON here (the report's cost section reads it)")


def run(args: argparse.Namespace) -> int:
    from thinksafe import config as tsconfig
    from thinksafe import io
    from thinksafe.models import lock
    from thinksafe.plan.dag import dry_run
    from thinksafe.plan.estimate import estimate
    from thinksafe.plan.render import as_json, table

    project = Path(args.project)
    # The Snakefile's `configfile: config.yaml` applies first, the --configfile overlays after it.
    files = list(dict.fromkeys(["config.yaml", *args.config]))
    config = lock.load_locked(tsconfig.load(*[project / c for c in files]), project)
    dag = dry_run(project, list(args.config), Path(args.profile) if args.profile else None)
    plan = estimate(config, dag, project, args.gpu)
    data = as_json(plan)
    data["config"], data["profile"] = list(args.config), args.profile
    if args.out:
        io.write_json(args.out, data)
    print(json.dumps(data, indent=1) if args.json else table(plan))
    return 0
