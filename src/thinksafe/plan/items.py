"""How many items a benchmark (or tuning source) has: counted from data/items/<name>.jsonl when normalize
has run, else its known size under the entry's options, each with where the number comes from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

COUNTS_TEST = "tests/test_benchmarks_counts.py"
DOCS = "docs/benchmarks.md (adapters table)"


@dataclass(frozen=True)
class Count:
    n: int | None  # None: not known before normalize runs
    source: str


def _mm_safetybench(spec: dict) -> Count:
    per_kind = 168 if spec.get("subset") == "tiny" else 1680
    kinds = spec.get("kinds") or ["SD", "SD_TYPO", "TYPO"]
    return Count(per_kind * len(kinds), f"{per_kind} per image kind × {len(kinds)} ({COUNTS_TEST})")


def _figstep(spec: dict) -> Count:
    tiny = spec.get("subset") == "SafeBench-Tiny"
    return Count(50 if tiny else 500, f"{spec.get('subset', 'SafeBench')} ({COUNTS_TEST})")


def _jailbreakv(spec: dict) -> Count:
    full = spec.get("subset") == "full"
    return Count(28000 if full else 280, "jailbreakv_28k module docstring (mini 280, full 28,000)")


def _siuo(spec: dict) -> Count:
    if spec.get("task", "gen") != "gen":
        return Count(167, f"167 questions ({COUNTS_TEST})")
    samples = int(spec.get("samples", 1))
    return Count(167 * samples, f"167 questions × {samples} samples ({COUNTS_TEST})")


def _mssbench(spec: dict) -> Count:
    tasks = spec.get("subsets") or ["chat", "embodied"]
    if spec.get("sample"):  # ASSUMPTION: each task has at least `sample` queries
        n = 2 * int(spec["sample"]) * len(tasks)
        return Count(n, f"{spec['sample']} pairs × 2 contexts × {len(tasks)} tasks (mssbench module; assumes "
                        "each task has that many queries)")  # fmt: skip
    if len(tasks) == 2:
        return Count(1960, "1,960 query-image pairs in data v1.1 (shared notes/benchmarks.md §5)")
    return Count(None, "one MSSBench task without `sample`: its size is not known offline")


def _vlguard(spec: dict) -> Count:
    if spec.get("subset", "test") == "train":
        return Count(2000, f"2,000 train records ({COUNTS_TEST})")
    sizes = {"safe_safes": 558, "safe_unsafes": 558, "unsafes": 442}
    chosen = spec.get("subsets") or list(sizes)
    return Count(sum(sizes[s] for s in chosen if s in sizes), f"558/558/442 per subset ({COUNTS_TEST})")


def _pope(spec: dict) -> Count:
    sets = spec.get("subsets") or ["random", "popular", "adversarial"]
    per = min(int(spec.get("sample") or 3000), 3000)
    return Count(per * len(sets), f"{per} per set × {len(sets)} (pope module: 3,000 per set)")


def _sampled(total: int, source: str) -> Callable[[dict], Count]:
    def count(spec: dict) -> Count:
        n = min(int(spec.get("sample") or total), total)
        return Count(n, source if n == total else f"sample {n} of {source}")

    return count


KNOWN: dict[str, Callable[[dict], Count]] = {
    "demo": lambda spec: Count(56, f"demo_items.json ({DOCS})"),
    "demo_pool": lambda spec: Count(48, f"demo_pool_items.json ({DOCS})"),
    "mm_safetybench": _mm_safetybench,
    "figstep": _figstep,
    "jailbreakv_28k": _jailbreakv,
    "siuo": _siuo,
    "mssbench": _mssbench,
    "vlguard": _vlguard,
    "mossbench": lambda spec: Count(300, f"300 pairs ({DOCS})"),
    "pope": _pope,
    "spa_vl": _sampled(93300, f"93.3k rows ({DOCS}; `categories` narrow it further)"),
    "tis_release": lambda spec: Count(4396, "4,396 records (the paper, per docs/benchmarks.md)"),
}


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def item_count(name: str, spec: dict, project: Path = Path(".")) -> Count:
    """Items of benchmark or source `name` (its config entry `spec`)."""
    path = project / "data" / "items" / f"{name}.jsonl"
    if path.is_file():
        return Count(count_lines(path), f"counted in {path.relative_to(project)}")
    known = KNOWN.get(spec.get("adapter", ""))
    if known is None:
        return Count(None, f"adapter {spec.get('adapter')!r}: no known size; run normalize to count it")
    return known(spec)
