"""Download and normalize throughput of the benchmark adapters, from the offline mirror (../shared).

Times, side by side in one run: a cold download (files verified by sha256 and hard-linked or copied,
typographic images rendered), the same download again (nothing to do: MANIFEST.json matches), and
normalize (every image opened and decoded, sha256 taken). FigStep renders its 500 760x760 PNGs;
MM-SafetyBench TYPO renders 1,680 key-phrase images; the demo renders 56 small cards.

    python bench/benchmark_sources.py [--mirror ../shared/benchmarks]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = [
    ("demo", {"adapter": "demo", "name": "demo"}),
    ("figstep SafeBench", {"adapter": "figstep", "name": "figstep", "subset": "SafeBench"}),
    ("mm-safetybench TYPO", {"adapter": "mm_safetybench", "name": "mm-typo", "kinds": ["TYPO"]}),
]


def timed(argv: list[str]) -> float:
    from thinksafe.cli import main

    t0 = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):
        rc = main(argv)
    if rc != 0:
        raise SystemExit(f"failed: thinksafe {' '.join(argv[:1])} {argv[2]}")
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=ROOT.parent / "shared" / "benchmarks")
    args = parser.parse_args()
    mirror = args.mirror.resolve()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")
    head = ("source", "items", "download s", "again s", "ratio", "normalize s", "items/s")
    print(f"{head[0]:22} {head[1]:>6} {head[2]:>11} {head[3]:>8} {head[4]:>7} {head[5]:>12} {head[6]:>8}")
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        for label, spec in CASES:
            s, raw, out = json.dumps(spec), f"data/raw/{spec['name']}", f"data/items/{spec['name']}.jsonl"
            flags = ["--mirror", str(mirror)] if spec["adapter"] != "demo" else []
            cold = timed(["download", "--spec", s, *flags, "--out", raw])
            again = timed(["download", "--spec", s, *flags, "--out", raw])
            norm = timed(["normalize", "--spec", s, "--raw", raw, "--seed", "0", "--out", out])
            n = sum(1 for _ in open(out))
            ratio = cold / again
            print(f"{label:22} {n:6d} {cold:11.2f} {again:8.2f} {ratio:6.0f}x {norm:12.2f} {n / norm:8.0f}")


if __name__ == "__main__":
    main()
