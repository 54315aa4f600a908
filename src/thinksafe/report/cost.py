"""The report's cost section: what the run spent, beside what `thinksafe plan` said it would.

Spent: wall hours and GPU-hours from the `benchmark:` files Snakemake writes for every job
(logs/benchmarks/<rule>/...tsv; column `s` is the job's wall seconds, `max_rss` its peak memory in MB), a
job's GPUs taken from the plan (its dry run recorded each GPU job's benchmark file and `gpu` resource); API
calls, tokens and dollars from the judges' ledgers (results/judgments/**/*.ledger.json, judges/ledger.py).
Planned: results/plan.json, written by `thinksafe plan --out results/plan.json` before the run.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from thinksafe import io
from thinksafe.plan.stages import STAGES, stage_of

PLAN_FILE = "results/plan.json"
BENCHMARKS = "logs/benchmarks"


@dataclass
class Spent:
    stage: str
    jobs: int = 0
    hours: float = 0.0
    gpu_h: float = 0.0
    max_rss_mb: float = 0.0
    gpu_unknown: int = 0  # benchmark files of this stage the plan did not list


@dataclass
class ApiSpent:
    judge: str
    shards: int = 0
    requests: int = 0
    cache_hits: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    usd: float = 0.0
    unpriced: int = 0  # ledgers with no price (cost_usd null)


@dataclass
class Cost:
    stages: dict[str, Spent]
    api: dict[str, ApiSpent] = field(default_factory=dict)
    plan: dict | None = None


def read_benchmark(path: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one Snakemake benchmark file; repeats (`benchmark: repeat(...)`)
    are averaged."""
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows:
        return 0.0, 0.0

    def number(row: dict, key: str) -> float:
        try:
            return float(row.get(key) or 0)
        except ValueError:  # `NA` where the platform could not measure
            return 0.0

    seconds = sum(number(r, "s") for r in rows) / len(rows)
    return seconds, max(number(r, "max_rss") for r in rows)


def spent(root: Path, plan: dict | None) -> dict[str, Spent]:
    gpus = (plan or {}).get("gpus_by_benchmark", {})
    out = {s: Spent(s) for s in STAGES}
    base = root / BENCHMARKS
    for path in sorted(base.rglob("*.tsv")) if base.is_dir() else []:
        rel = path.relative_to(root).as_posix()
        row = out[stage_of(path.relative_to(base).parts[0])]
        seconds, rss = read_benchmark(path)
        row.jobs += 1
        row.hours += seconds / 3600
        row.max_rss_mb = max(row.max_rss_mb, rss)
        if rel in gpus:
            row.gpu_h += seconds / 3600 * float(gpus[rel])
        elif plan is not None:
            row.gpu_unknown += 1
    return out


def api_spent(root: Path) -> dict[str, ApiSpent]:
    out: dict[str, ApiSpent] = {}
    base = root / "results" / "judgments"
    for path in sorted(base.rglob("*.ledger.json")) if base.is_dir() else []:
        ledger = io.read_json(path)
        judge = path.relative_to(base).parts[0]
        row = out.setdefault(judge, ApiSpent(judge))
        row.shards += 1
        for name in ("requests", "cache_hits", "failed", "prompt_tokens", "completion_tokens"):
            setattr(row, name, getattr(row, name) + int(ledger.get(name) or 0))
        if ledger.get("cost_usd") is None:
            row.unpriced += 1
        else:
            row.usd += float(ledger["cost_usd"])
    return out


def read_plan(root: Path) -> dict | None:
    path = root / PLAN_FILE
    return io.read_json(path) if path.is_file() else None


def collect(root: Path) -> Cost:
    plan = read_plan(root)
    return Cost(spent(root, plan), api_spent(root), plan)


def tables(cost: Cost) -> tuple[list[str], list[list[str]], list[str], list[list[str]]]:
    """(header, rows) of the stage table and of the API table, plan beside spent."""
    planned = (cost.plan or {}).get("stages", {})
    dash = "–"

    def plan_cell(stage: str, key: str, fmt: str = "{:,.2f}") -> str:
        return fmt.format(planned[stage][key]) if stage in planned else dash

    head = [
        "stage",
        "jobs planned",
        "jobs run",
        "wall h",
        "GPU-h planned",
        "GPU-h asked",
        "GPU-h spent",
        "peak RSS MB",
    ]
    rows = []
    for name, s in cost.stages.items():
        if not s.jobs and name not in planned:
            continue
        gpu = f"{s.gpu_h:,.2f}" + (f" (+{s.gpu_unknown} jobs not in the plan)" if s.gpu_unknown else "")
        rows.append(
            [
                name,
                plan_cell(name, "jobs", "{:,}"),
                f"{s.jobs:,}",
                f"{s.hours:,.2f}",
                plan_cell(name, "gpu_h"),
                plan_cell(name, "reserved_gpu_h"),
                gpu,
                f"{s.max_rss_mb:,.0f}",
            ]
        )
    judge_plan = planned.get("judge", {})
    api_head = [
        "judge",
        "ledgers",
        "requests",
        "cache hits",
        "failed",
        "tokens in",
        "tokens out",
        "USD spent",
    ]
    api_rows = [
        [
            a.judge,
            f"{a.shards:,}",
            f"{a.requests:,}",
            f"{a.cache_hits:,}",
            f"{a.failed:,}",
            f"{a.prompt_tokens:,}",
            f"{a.completion_tokens:,}",
            f"{a.usd:,.4f}" + (f" (+{a.unpriced} unpriced)" if a.unpriced else ""),
        ]
        for a in cost.api.values()
    ]
    if judge_plan:
        api_rows.append(
            [
                "planned (all API judges)",
                dash,
                f"{judge_plan['api_calls']:,}",
                dash,
                dash,
                f"{judge_plan['tokens_in']:,}",
                f"{judge_plan['tokens_out']:,}",
                f"{judge_plan['usd']:,.4f}",
            ]
        )
    return head, rows, api_head, api_rows


def section_html(root: Path, table_html) -> str:
    """The cost section's HTML (`table_html(header, rows)` is the report's table writer)."""
    from html import escape

    cost = collect(root)
    head, rows, api_head, api_rows = tables(cost)
    when = "no plan recorded: run `thinksafe plan --out results/plan.json` before the run to see it here"
    if cost.plan is not None:
        files = " ".join(cost.plan.get("config", []))
        when = f"plan: {escape(files)}, profile {escape(str(cost.plan.get('profile')))}"
    return (
        table_html(head, rows)
        + table_html(api_head, api_rows)
        + f'<p class="note">Spent: wall hours from each job\'s Snakemake benchmark file ({BENCHMARKS}), '
        "GPU-hours as wall hours × the job's gpu resource in the plan; API use from the judges' ledgers. "
        "Planned: "
        f"estimates at the generation budget, an upper bound (docs/plan.md). {when}.</p>"
    )
