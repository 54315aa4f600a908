"""`thinksafe report`: one self-contained HTML file with tables, figures, provenance, judge audits and
an example browser (completions redacted and truncated unless --show-completions)."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_EXAMPLES = 8  # items per benchmark in the browser
DEFAULT_MAX_CHARS = 400


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--spec", required=True, help="aggregate spec as JSON (rules/common.smk aggregate_spec)"
    )
    parser.add_argument("--tables", required=True, help="results/tables (reads metrics.csv)")
    parser.add_argument("--figures", required=True, help="results/figures")
    parser.add_argument("--out", required=True, help="results/report.html")
    parser.add_argument("--root", default=".", help="project root holding data/ and results/ (default: .)")
    parser.add_argument(
        "--show-completions",
        action="store_true",
        help="show every completion in full (default: redact unsafe ones, truncate the rest)",
    )
    parser.add_argument(
        "--examples", type=int, default=None, help="items per benchmark in the example browser"
    )


def run(args: argparse.Namespace) -> int:
    from thinksafe import io
    from thinksafe.commands.aggregate import load_spec
    from thinksafe.commands.figures import read_metrics
    from thinksafe.progress import summary
    from thinksafe.report import defense_tables, examples, html, tables
    from thinksafe.report.provenance import stand_ins

    spec = load_spec(args.spec)
    options = spec.get("report") or {}
    redact = bool(options.get("redact", True))
    max_chars = int(options.get("max_chars", DEFAULT_MAX_CHARS))
    per_benchmark = (
        args.examples if args.examples is not None else int(options.get("examples", DEFAULT_EXAMPLES))
    )
    root = Path(args.root)
    metrics = read_metrics(Path(args.tables))
    marks = stand_ins(spec, root)
    grids = {
        "summary": tables.mark_stand_ins(tables.summary(metrics, spec), marks),
        "table1": tables.mark_stand_ins(tables.table1(metrics, spec), marks),
        "table2": tables.mark_stand_ins(tables.table2(metrics, spec), marks),
        "defenses": tables.mark_stand_ins(defense_tables.defense_table(metrics, spec), marks),
        "defense_cost": defense_tables.cost_table(spec, root),
    }
    chosen = examples.collect(spec, root, per_benchmark, redact, max_chars, args.show_completions)
    page = html.render(
        spec, metrics, grids, Path(args.figures), root, chosen, redact, max_chars, args.show_completions
    )
    io.write_text(args.out, page)
    summary(
        "report",
        out=args.out,
        examples=len(chosen),
        kilobytes=len(page.encode()) // 1024,
        redacted=redact and not args.show_completions,
    )
    return 0
