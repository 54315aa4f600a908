"""`thinksafe build-dataset`: a tuning set (TiS import or rebuild, or a baseline) to data/sft/NAME."""

from __future__ import annotations

import argparse
from pathlib import Path

from thinksafe.commands.specs import json_object
from thinksafe.names import check_name


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec", required=True, help="dataset spec JSON (config datasets entry + name)")
    p.add_argument(
        "--teacher-spec", default="null", help="teacher model spec JSON, or null (template teacher)"
    )
    p.add_argument("--raw-root", required=True, type=Path, help="data/raw: one folder per source")
    p.add_argument("--items-root", type=Path, help="normalized source items (default: RAW_ROOT/../items)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, type=Path)


def run(args: argparse.Namespace) -> int:
    from thinksafe.dataset.build import build

    spec = json_object(args.spec)
    # Source names become folders under --raw-root and --items-root: `../..` would read outside them.
    check_name(spec.get("name"), "--spec name")
    for i, source in enumerate(spec.get("sources") or []):
        check_name(source, f"--spec sources[{i}]")
    teacher = json_object(args.teacher_spec, "--teacher-spec", nullable=True)
    items_root = args.items_root or args.raw_root.parent / "items"
    build(spec, teacher, args.raw_root, items_root, args.out, args.seed)
    return 0
