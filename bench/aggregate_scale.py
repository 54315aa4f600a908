"""Aggregation at the paper's scale: 13 (base, MLRM) pairs × 5 benchmarks × 5,000 items, one judge.

That is 26 models × 25,000 items × 2 targets = 1.3 M verdicts. The run is written to a temporary
directory as real record files, then `thinksafe aggregate` is timed stage by stage at a quarter, half
and the full item count, so the table shows how the time grows. Target: under 10 s at full size.

    python bench/aggregate_scale.py [--pairs 13] [--benchmarks 5] [--items 5000] [--bootstrap 1000]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

TARGET_S = 10.0


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def measure(root: Path, spec: dict, n_boot: int) -> dict[str, float]:
    import numpy as np

    from thinksafe.commands.aggregate import write_tables
    from thinksafe.metrics import outcomes, table
    from thinksafe.metrics.cells import indicator_counts
    from thinksafe.metrics.composite import delta_rows, paired_counts, score_rows
    from thinksafe.metrics.quadrants import quadrant_counts, quadrant_rows
    from thinksafe.metrics.rates import rate_rows

    rng = np.random.default_rng(0)
    t: dict[str, float] = {}
    o, t["read + align"] = timed(outcomes.build, spec, root)
    counts, t["cell counts"] = timed(indicator_counts, o)
    _, t["rates (Wilson)"] = timed(rate_rows, counts)
    _, t["scores (bootstrap)"] = timed(score_rows, counts, rng, n_boot)
    _, t["deltas (paired)"] = timed(lambda: delta_rows(paired_counts(o, table.pairs(spec)), rng, n_boot))
    _, t["quadrants"] = timed(lambda: quadrant_rows(quadrant_counts(o, table.thinking_models(o))))
    cpu0 = time.process_time()
    metrics, t["end to end: compute"] = timed(table.compute, spec, root, n_boot)
    _, t["end to end: tables"] = timed(write_tables, metrics, spec, root / "results" / "tables")
    t["end to end: total"] = t["end to end: compute"] + t["end to end: tables"]
    # CPU seconds of this process (all threads): what the run costs when it does not share its cores.
    t["end to end: CPU seconds"] = time.process_time() - cpu0
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=13)
    parser.add_argument("--benchmarks", type=int, default=5)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()

    from thinksafe.metrics.synthetic import write_run

    sizes = sorted({max(1, args.items // 4), max(1, args.items // 2), args.items})
    results = {}
    with tempfile.TemporaryDirectory(prefix="aggregate-scale-") as tmp:
        for n_items in sizes:
            root = Path(tmp) / f"n{n_items}"
            spec, t_write = timed(write_run, root, args.pairs, args.benchmarks, n_items)
            verdicts = 2 * len(spec["models"]) * args.benchmarks * n_items
            t = measure(root, spec, args.bootstrap)
            t["verdicts"] = verdicts
            results[n_items] = t
            print(
                f"# wrote {verdicts:,} verdicts for {n_items} items/benchmark in {t_write:.1f} s", flush=True
            )

    full = results[args.items]
    print()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores visible, Python {platform.python_version()}"
    )
    print(
        f"run: {args.pairs} pairs ({2 * args.pairs} models) × {args.benchmarks} benchmarks × n items, "
        f"1 judge, {args.bootstrap} bootstrap resamples"
    )
    print()
    stages = [k for k in full if k != "verdicts"]
    print("| stage | " + " | ".join(f"{n:,} items (s)" for n in sizes) + " | share of total at full size |")
    print("|---|" + "---:|" * (len(sizes) + 1))
    for stage in stages:
        share = (
            "" if stage.startswith("end to end") else f"{100 * full[stage] / full['end to end: total']:.0f}%"
        )
        print(f"| {stage} | " + " | ".join(f"{results[n][stage]:.2f}" for n in sizes) + f" | {share} |")
    print("| verdicts | " + " | ".join(f"{results[n]['verdicts']:,}" for n in sizes) + " | |")
    per_m = [results[n]["end to end: total"] / results[n]["verdicts"] * 1e6 for n in sizes]
    print("| µs per verdict | " + " | ".join(f"{v:.2f}" for v in per_m) + " | |")
    print()
    total = full["end to end: total"]
    growth = full["end to end: total"] / results[sizes[0]]["end to end: total"]
    print(f"load average while measuring (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"full size: {total:.2f} s for {full['verdicts']:,} verdicts; target {TARGET_S:.0f} s; "
        f"ratio target / measured = {TARGET_S / total:.2f}× ({'met' if total < TARGET_S else 'NOT met'})"
    )
    print(
        f"growth from {sizes[0]:,} to {sizes[-1]:,} items: {growth:.2f}× time for "
        f"{sizes[-1] / sizes[0]:.0f}× data"
    )


if __name__ == "__main__":
    main()
