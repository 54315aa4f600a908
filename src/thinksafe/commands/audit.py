"""`thinksafe audit`: a judge's agreement with human labels, beside the published judges' figures."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger("thinksafe")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", required=True, help="judge spec as JSON (config judges entry + name)")
    parser.add_argument("--data", required=True, help="judge-comparison.csv (JailbreakBench, human-labelled)")
    parser.add_argument(
        "--out", required=True, help="results/audit/<judge>.json (the .md is written beside it)"
    )


def run(args: argparse.Namespace) -> int:
    from thinksafe import io
    from thinksafe.commands.judge import load_spec
    from thinksafe.judges import audit, get_judge
    from thinksafe.progress import summary

    judge = get_judge(load_spec(args.spec))
    rows = audit.load(args.data)
    report, verdicts = audit.run_audit(judge, rows)
    report["data"]["path"] = args.data
    ledger = getattr(judge, "ledger", None)
    if ledger is not None:
        report["ledger"] = ledger.to_dict()
    out = Path(args.out)
    io.write_json(out, report)
    io.write_text(out.with_suffix(".md"), audit.markdown(report, args.data))
    # Per-row verdicts beside the report (not in it: the HTML report shows the JSON whole).
    io.write_jsonl(out.with_suffix(".rows.jsonl"), audit.row_records(rows, verdicts))
    a = report["agreement"]
    summary(
        f"audit {judge.name}",
        rows=a["n"],
        accuracy=f"{a['accuracy']:.4f}",
        kappa=f"{a['kappa']:.4f}" if a["kappa"] is not None else "none",
        unparseable=f"{a['unparseable_rate']:.4f}",
    )
    return 0
