"""`thinksafe judge`: thought and answer of generation shards, judged apart by one judge.

The rule passes every shard of one model (all benchmarks): `--items`, `--generations` and `--out` pair by
position, and the judge is loaded once (MiniLM, a classifier, one API client and rate limiter) for all.
"""

from __future__ import annotations

import argparse
import logging
from collections import Counter
from pathlib import Path

log = logging.getLogger("thinksafe")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", required=True, help="judge spec: JSON or @file (judges entry + name)")
    parser.add_argument("--items", required=True, nargs="+", help="data/items/<benchmark>.jsonl, per shard")
    parser.add_argument(
        "--generations", required=True, nargs="+", help="results/generations/<model>/<bench>/<shard>.jsonl"
    )
    parser.add_argument(
        "--out", required=True, nargs="+", help="results/judgments/<judge>/<model>/<benchmark>/<shard>.jsonl"
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
    from thinksafe.errors import ThinksafeError
    from thinksafe.judges import get_judge

    if not len(args.items) == len(args.generations) == len(args.out):
        raise ThinksafeError(
            f"--items, --generations and --out give {len(args.items)}, {len(args.generations)} and "
            f"{len(args.out)} files: one of each per shard, in order"
        )
    judge = get_judge(load_spec(args.spec))
    items: dict[str, dict[str, dict]] = {}  # one read per items file, however many shards use it
    for items_file, generations, out in zip(args.items, args.generations, args.out, strict=True):
        if items_file not in items:
            items[items_file] = items_by_id(items_file)
        judge_shard(judge, items[items_file], generations, out)
    return 0


def judge_shard(judge, items: dict[str, dict], generations_file: str, out: str) -> None:
    from thinksafe import io
    from thinksafe.progress import Progress, summary

    generations = io.read_jsonl(generations_file, kind="generation")
    label = f"judge {judge.name} {generations_file}"
    progress = Progress(label, 2 * len(generations))
    ledger = getattr(judge, "ledger", None)
    before = ledger.counts() if ledger is not None else {}
    verdicts = judge.judge(items, generations)
    progress.update(len(verdicts))
    io.write_jsonl(out, verdicts)
    if ledger is not None:
        # The judge's ledger counts the whole job; each shard's sidecar holds what this shard spent.
        spent = shard_ledger(ledger, before)
        io.write_json(Path(out).with_suffix(".ledger.json"), spent.to_dict())
        log.info("ledger: %s", spent.line())
    status = Counter(v["status"] for v in verdicts)
    labels = Counter(v["label"] for v in verdicts if v["status"] == "ok")
    summary(
        label,
        verdicts=len(verdicts),
        ok=status["ok"],
        unparseable=status["unparseable"],
        error=status["error"],
        empty=status["empty"],
        safe=labels["safe"],
        unsafe=labels["unsafe"],
        seconds=f"{progress.seconds:.2f}",
    )


def shard_ledger(ledger, before: dict):
    """A copy of `ledger` holding only what was counted since the snapshot `before`."""
    from dataclasses import replace

    now = ledger.counts()
    spent = {k: v - before[k] for k, v in now.items() if isinstance(v, int) and not isinstance(v, bool)}
    return replace(ledger, **spent)
