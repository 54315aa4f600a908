"""Run every benchmark in bench/ one after another and print their tables (`make bench`).

Each benchmark measures its figures side by side in one run and prints ratios; none is a timed test.
Run them on an otherwise idle machine: they share the CPU with nothing else by design.

    python bench/run_all.py [name ...]      # e.g. python bench/run_all.py judges dag_scale
"""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ORDER = [
    "judges",              # rule judge throughput, llm judge concurrency, cached rerun
    "aggregate_scale",     # 13 pairs x 5 benchmarks x 5,000 items
    "dag_scale",           # snakemake -n on the full reproduction
    "benchmark_sources",   # download / normalize times
    "generation_batching", # hf backend batched vs one-by-one on demo-base
    "finetune_throughput", # our LoRA trainer vs a plain TRL SFTTrainer
    "gpu_generation",      # 7B-sized hf vs vllm and the roofline (says so and stops without a GPU)
]


def main(names: list[str]) -> int:
    print(f"machine: {platform.machine()}, {platform.processor() or '?'}; python {platform.python_version()}")
    failed = []
    for name in names or ORDER:
        print(f"\n===== bench/{name}.py =====", flush=True)
        t0 = time.monotonic()
        rc = subprocess.call([sys.executable, str(BENCH / f"{name}.py")])
        print(f"----- {name}: exit {rc}, {time.monotonic() - t0:.1f} s", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
