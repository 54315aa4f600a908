"""`thinksafe aggregate`: metrics.csv, Table 1, Table 2, the defense tables and the summary from the
judgments (and, for the defenses' cost, the generation .meta.json files).

Never imports torch or thinksafe.models: aggregation runs on the login node of a cluster.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

log = logging.getLogger("thinksafe")
OUTPUTS = (
    "metrics.csv",
    "table1.md",
    "table1.tex",
    "table2.md",
    "table2.tex",
    "defenses.md",
    "defenses.tex",
    "summary.md",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--spec", required=True, help="aggregate spec as JSON (rules/common.smk aggregate_spec)"
    )
    parser.add_argument("--out-dir", required=True, help="results/tables")
    parser.add_argument("--root", default=".", help="project root holding data/ and results/ (default: .)")
    parser.add_argument("--bootstrap", type=int, default=None, help="resamples (default: report.bootstrap)")


def load_spec(text: str) -> dict:
    from thinksafe.commands.specs import json_object
    from thinksafe.errors import ThinksafeError

    spec = json_object(text)
    for key in ("models", "benchmarks", "judges", "shards"):
        if key not in spec:
            raise ThinksafeError(f"--spec: key {key}: missing from the aggregate spec")
    return spec


def write_tables(metrics, spec: dict, out_dir: Path, root: Path = Path(".")) -> None:
    """Render everything first, then commit the files as one set (io.commit_files): a kill, a full
    disk or a permission error leaves the old tables, never old and new ones mixed."""
    from thinksafe import io
    from thinksafe.report import tables
    from thinksafe.report.defense_tables import cost_table, defense_table
    from thinksafe.report.provenance import stand_ins

    marks = stand_ins(spec, root)
    t1, t2, summary = (
        tables.mark_stand_ins(tables.table1(metrics, spec), marks),
        tables.mark_stand_ins(tables.table2(metrics, spec), marks),
        tables.mark_stand_ins(tables.summary(metrics, spec), marks),
    )
    defenses, cost = tables.mark_stand_ins(defense_table(metrics, spec), marks), cost_table(spec, root)
    texts = {
        "metrics.csv": tables.csv_text(metrics),
        "table1.md": t1.markdown(),
        "table1.tex": t1.latex(),
        "table2.md": t2.markdown(),
        "table2.tex": t2.latex(),
        "defenses.md": defenses.markdown() + "\n" + cost.markdown(),
        "defenses.tex": defenses.latex() + "\n" + cost.latex(),
        "summary.md": summary.markdown(),
    }
    io.commit_files(out_dir, {name: texts[name] for name in OUTPUTS})


def run(args: argparse.Namespace) -> int:
    from thinksafe.metrics.table import compute
    from thinksafe.progress import summary

    t0 = time.monotonic()
    spec = load_spec(args.spec)
    metrics = compute(spec, Path(args.root), n_boot=args.bootstrap)
    write_tables(metrics, spec, Path(args.out_dir), Path(args.root))
    summary(
        "aggregate",
        rows=len(metrics),
        models=len(spec["models"]),
        benchmarks=len(spec["benchmarks"]),
        judges=len(spec["judges"]),
        seconds=f"{time.monotonic() - t0:.2f}",
    )
    return 0
