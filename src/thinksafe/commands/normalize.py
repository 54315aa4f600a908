"""`thinksafe normalize`: raw benchmark files -> data/items/NAME.jsonl in the item schema.

Records that cannot be normalized are counted and logged; any such skip fails the run unless
`--allow-skips` (config `allow_skips: true`) is given."""

from __future__ import annotations

import argparse
import logging
import time
from collections import Counter
from pathlib import Path

log = logging.getLogger("thinksafe")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", required=True, help="benchmarks/sources entry as JSON, plus `name`")
    parser.add_argument("--raw", type=Path, required=True, help="data/raw/NAME")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--allow-skips", action="store_true", help="keep going when some records are skipped")
    parser.add_argument("--out", type=Path, required=True, help="data/items/NAME.jsonl")


def run(args: argparse.Namespace) -> int:
    from thinksafe import io
    from thinksafe.benchmarks import check_options, get_adapter
    from thinksafe.benchmarks.base import Skips
    from thinksafe.commands.specs import json_object
    from thinksafe.errors import ThinksafeError
    from thinksafe.names import check_name
    from thinksafe.progress import summary

    spec = json_object(args.spec)
    if "adapter" not in spec or "name" not in spec:
        raise ThinksafeError("--spec: needs keys 'adapter' and 'name'")
    check_name(spec["name"], "--spec name")
    if not args.raw.is_dir():
        raise ThinksafeError(f"--raw {args.raw}: not a directory (run download first)")
    adapter = get_adapter(spec["adapter"])
    check_options(spec)  # an option the adapter does not read is refused, never ignored
    t0 = time.monotonic()
    skips = Skips(allowed=args.allow_skips)
    items = adapter.normalize(spec, args.raw, args.seed, skips=skips)
    if skips and not skips.allowed:
        raise ThinksafeError(
            f"{args.raw}: {len(skips)} record(s) skipped (first: {skips.records[0]}); "
            "fix the input or set allow_skips: true"
        )
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ThinksafeError(f"{args.raw}: duplicate item id '{item.id}'")
        seen.add(item.id)
    if not items:
        raise ThinksafeError(f"{args.raw}: no items")
    io.write_jsonl(args.out, (item.to_dict() for item in items))
    families = Counter(item.family for item in items)
    summary(
        "normalize",
        name=spec["name"],
        items=len(items),
        skipped=len(skips),
        **{f"family_{k}": v for k, v in sorted(families.items())},
        seconds=f"{time.monotonic() - t0:.1f}",
    )
    return 0
