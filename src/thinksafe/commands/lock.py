"""`thinksafe lock`: pin every hub model of a run to the commit its revision names today."""

from __future__ import annotations

import argparse
from pathlib import Path

from thinksafe import config as tsconfig
from thinksafe.models import lock


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", nargs="+", default=["config.yaml"], help="config files (later ones overlay)")
    p.add_argument("--out", help="the lock file (default: the config's `lock`, else models.lock.yaml)")


def run(args: argparse.Namespace) -> int:
    config = tsconfig.load(*args.config)
    out = Path(args.out or config.get("lock") or "models.lock.yaml")
    previous = lock.read(out) if out.is_file() else None
    pinned = lock.resolve(config, previous)
    lock.write(out, pinned)
    for section in lock.SECTIONS:
        for name, entry in pinned[section].items():
            print(f"{section}.{name}: {entry['hf_id']}@{entry['revision']} -> {entry['commit']}")
    print(f"wrote {out} ({sum(len(pinned[s]) for s in lock.SECTIONS)} entries, {pinned['endpoint']})")
    return 0
