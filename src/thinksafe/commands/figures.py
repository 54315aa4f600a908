"""`thinksafe figures`: degradation bars, the per-category heatmap and the thought/answer quadrants."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger("thinksafe")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tables", required=True, help="results/tables (reads metrics.csv)")
    parser.add_argument("--out", required=True, help="results/figures (written whole or not at all)")
    parser.add_argument("--judge", default=None, help="judge to plot (default: the run's first)")


def read_metrics(tables: Path):
    import pandas as pd

    from thinksafe.errors import located

    path = tables / "metrics.csv"
    if not path.exists():
        raise located(path, "file not found (run `thinksafe aggregate` first)")
    # `reference` is text; read as such, or a run with no pairs makes it an all-NaN float column.
    metrics = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"reference": str})
    if "reference" in metrics:
        metrics["reference"] = metrics["reference"].fillna("")
    missing = {"judge", "model", "metric", "value", "lo", "hi", "level"} - set(metrics.columns)
    if missing:
        raise located(path, f"not a metrics table (missing columns: {', '.join(sorted(missing))})")
    return metrics


def run(args: argparse.Namespace) -> int:
    from thinksafe import io
    from thinksafe.progress import summary
    from thinksafe.report.figures import draw_all

    metrics = read_metrics(Path(args.tables))
    with io.atomic_dir(args.out) as tmp:
        paths = draw_all(metrics, tmp, args.judge)
    summary("figures", files=len(paths), out=args.out)
    return 0
