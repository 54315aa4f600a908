"""`thinksafe audit`: a judge's agreement with human labels, beside the published judges' figures.

thinksafe audit --judge comply                          # config.yaml's judge, the shipped JBB set
thinksafe audit --judge comply --data xstest-v2 --mirror ../shared
thinksafe audit --judge rule --data harmbench-text --mirror DIR  # DIR/judge-validation/harmbench/data/...
thinksafe audit --judge rule --data old.csv --encoding mac_roman
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger("thinksafe")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--judge", help="a judge name from the config's `judges:`")
    who.add_argument("--spec", help="judge spec as JSON (config judges entry + name)")
    parser.add_argument(
        "--config", nargs="+", default=["config.yaml"], help="config files (later ones overlay)"
    )
    parser.add_argument(
        "--data",
        default="jbb-judge-comparison",
        help="audit rows (CSV or JSONL, schema in docs/judges.md), or a set: jbb-judge-comparison (shipped), "
        "xstest-v2, harmbench-text, harmbench-multimodal (pinned; need --mirror or network)",
    )
    parser.add_argument(
        "--encoding", default="utf-8", help="of a CSV/JSONL file (legacy files: mac_roman, cp1252)"
    )
    parser.add_argument(
        "--mirror",
        type=Path,
        help="offline mirror holding judge-validation/xstest-v2/ or judge-validation/harmbench/data/",
    )
    parser.add_argument(
        "--refit", action="store_true", help="also refit the judge's heads on this data (CV), labelled so"
    )
    parser.add_argument(
        "--out", required=True, help="results/audit/<judge>.json (the .md is written beside it)"
    )


def judge_spec(args: argparse.Namespace) -> dict:
    from thinksafe.commands.judge import load_spec
    from thinksafe.errors import ThinksafeError

    if args.spec:
        return load_spec(args.spec)
    from thinksafe import config

    cfg = config.load(*args.config)
    judges = cfg.get("judges") or {}
    if args.judge not in judges:
        raise ThinksafeError(
            f"{args.config[-1]}: judges: no judge '{args.judge}' (known: {', '.join(sorted(judges))})"
        )
    return dict(judges[args.judge], name=args.judge)


def run(args: argparse.Namespace) -> int:
    from thinksafe import io
    from thinksafe.judges import audit, get_judge, validation
    from thinksafe.progress import summary

    judge = get_judge(judge_spec(args))
    if args.data in validation.PINNED_SETS:
        rows = validation.load_set(args.data, args.mirror)
    else:
        rows = validation.load(args.data, encoding=args.encoding)
    report, verdicts = audit.run_audit(judge, rows, refit=args.refit)
    report["data"]["path"] = args.data
    ledger = getattr(judge, "ledger", None)
    if ledger is not None:
        report["ledger"] = ledger.to_dict()
    out = Path(args.out)
    io.write_json(out, report)
    io.write_text(out.with_suffix(".md"), audit.markdown(report, args.data))
    # Per-row verdicts beside the report (not in it: the HTML report shows the JSON whole).
    io.write_jsonl(
        out.with_suffix(".rows.jsonl"), audit.row_records(rows, verdicts, audit.fitted_rows(judge, rows))
    )
    a = report["agreement"]
    print(audit.markdown(report, args.data))
    summary(
        f"audit {judge.name}",
        rows=a["n"],
        figure=report["figure"].split(" ")[0],
        accuracy=f"{a['accuracy']:.4f}",
        kappa=f"{a['kappa']:.4f}" if a["kappa"] is not None else "none",
        unparseable=f"{a['unparseable_rate']:.4f}",
    )
    return 0
