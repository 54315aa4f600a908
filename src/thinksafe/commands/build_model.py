"""`thinksafe build-model --kind demo-base|tiny --out DIR`: build a local model, atomically."""

from __future__ import annotations

import argparse
import logging
import time

log = logging.getLogger("thinksafe")

KINDS = ("demo-base", "tiny")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", required=True, choices=KINDS)
    parser.add_argument("--out", required=True, help="output directory (replaced whole or not at all)")


def run(args: argparse.Namespace) -> int:
    from thinksafe.models import build

    t0 = time.monotonic()
    builder = build.build_demo_base if args.kind == "demo-base" else build.build_tiny
    builder(args.out)
    log.info("SUMMARY build-model kind=%s out=%s seconds=%.1f", args.kind, args.out, time.monotonic() - t0)
    return 0
