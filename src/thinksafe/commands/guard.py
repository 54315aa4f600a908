"""`thinksafe guard`: fail if a tuning image or prompt appears in an evaluation item file in use."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from thinksafe.errors import ThinksafeError

log = logging.getLogger("thinksafe")
SHOWN = 3  # overlaps named in the one-line error; the log lists every one


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sft", required=True, type=Path, help="the tuning set folder (data/sft/NAME)")
    p.add_argument("--items", required=True, type=Path, nargs="+", help="evaluation item files in use")
    p.add_argument("--out", required=True, type=Path, help="the guard report (written only when clean)")
    p.add_argument("--dhash-bits", type=int, default=24, help="of 256")
    p.add_argument("--phash-bits", type=int, default=40, help="of 256")
    p.add_argument("--prompt-jaccard", type=float, default=0.7, help="character 5-gram Jaccard")
    p.add_argument("--min-prompt-chars", type=int, default=25, help="shorter (generic) prompts: not compared")
    p.add_argument(
        "--image-prompt-words", type=int, default=12, help="image-pointing prompts this short: not compared"
    )
    p.add_argument(
        "--template-repeats",
        type=int,
        default=3,
        help="prompts repeated this often in their set: not compared",
    )


def run(args: argparse.Namespace) -> int:
    from thinksafe import io
    from thinksafe.dataset.guard import Thresholds, check
    from thinksafe.progress import summary

    for path in args.items:
        if not path.is_file():
            raise ThinksafeError(f"{path}: items file not found")
    report = check(
        args.sft,
        args.items,
        Thresholds(
            args.dhash_bits,
            args.phash_bits,
            args.prompt_jaccard,
            args.min_prompt_chars,
            args.image_prompt_words,
            args.template_repeats,
        ),
    )
    overlaps = report["overlaps"]
    summary("guard", **report["checked"], overlaps=len(overlaps))
    if overlaps:
        for o in overlaps:
            log.error("overlap %s", o)
        shown = "; ".join(f"{o['kind']}: {o['tuning']} ~ {o['eval']}" for o in overlaps[:SHOWN])
        more = f" (and {len(overlaps) - SHOWN} more in the log)" if len(overlaps) > SHOWN else ""
        raise ThinksafeError(
            f"{args.sft}: {len(overlaps)} overlaps with evaluation items {report['counts']}: {shown}{more}"
        )
    io.write_json(args.out, report)
    return 0
