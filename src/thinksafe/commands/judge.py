"""`thinksafe judge`: thought and answer of one generation shard, judged apart by one judge."""

from __future__ import annotations

import argparse
import logging
from collections import Counter
from pathlib import Path

log = logging.getLogger("thinksafe")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", required=True, help="judge spec as JSON (config judges entry + name)")
    parser.add_argument("--items", required=True, help="data/items/<benchmark>.jsonl")
    parser.add_argument(
        "--generations", required=True, help="results/generations/<model>/<benchmark>/<shard>.jsonl"
    )
    parser.add_argument(
        "--out", required=True, help="results/judgments/<judge>/<model>/<benchmark>/<shard>.jsonl"
    )


def load_spec(text: str) -> dict:
    from thinksafe.commands.specs import json_object

    return json_object(text)


def items_by_id(path: str) -> dict[str, dict]:
    from thinksafe import io
    from thinksafe.errors import located

    out: dict[str, dict] = {}
    for n, item in enumerate(io.read_jsonl(path, kind="item"), 1):
        if item["id"] in out:
            raise located(path, f"duplicate item id {item['id']!r}", line=n)
        out[item["id"]] = item
    return out


def run(args: argparse.Namespace) -> int:
    from thinksafe import io
    from thinksafe.judges import get_judge
    from thinksafe.progress import Progress, summary

    spec = load_spec(args.spec)
    judge = get_judge(spec)
    items = items_by_id(args.items)
    generations = io.read_jsonl(args.generations, kind="generation")
    progress = Progress(f"judge {judge.name}", 2 * len(generations))
    verdicts = judge.judge(items, generations)
    progress.update(len(verdicts))
    io.write_jsonl(args.out, verdicts)
    ledger = getattr(judge, "ledger", None)
    if ledger is not None:
        io.write_json(Path(args.out).with_suffix(".ledger.json"), ledger.to_dict())
        log.info("ledger: %s", ledger.line())
    status = Counter(v["status"] for v in verdicts)
    labels = Counter(v["label"] for v in verdicts if v["status"] == "ok")
    summary(
        f"judge {judge.name}",
        verdicts=len(verdicts),
        ok=status["ok"],
        unparseable=status["unparseable"],
        error=status["error"],
        empty=status["empty"],
        safe=labels["safe"],
        unsafe=labels["unsafe"],
        seconds=f"{progress.seconds:.2f}",
    )
    return 0
