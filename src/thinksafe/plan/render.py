"""The plan as a table for people and as JSON for machines."""

from __future__ import annotations

from dataclasses import asdict

from thinksafe.plan.estimate import Plan, Stage

COLUMNS = (
    "stage",
    "jobs",
    "submissions",
    "GPU-h asked",
    "GPU-h est.",
    "CPU-h est.",
    "API calls",
    "tokens in",
    "tokens out",
    "USD",
    "disk",
)


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def number(x: float) -> str:
    if x == 0:
        return "0"
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.1f} M"
    return f"{x:,.0f}" if abs(x) >= 100 or float(x).is_integer() else f"{x:.2f}"


def cells(stage: Stage) -> list[str]:
    usd = f"{stage.usd:,.2f}" + (" +?" if stage.unpriced_calls else "")
    return [
        stage.name,
        str(stage.jobs),
        str(stage.submissions),
        number(stage.reserved_gpu_h),
        number(stage.gpu_h),
        number(stage.cpu_h),
        number(stage.api_calls),
        number(stage.tokens_in),
        number(stage.tokens_out),
        usd,
        human_bytes(stage.disk_bytes),
    ]


def markdown(header: list[str] | tuple[str, ...], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def table(plan: Plan) -> str:
    rows = [cells(s) for s in plan.stages.values() if s.jobs or s.name != "other"]
    total = cells(plan.total())
    total[0] = "**total**"
    out = [markdown(COLUMNS, rows + [total])]
    if plan.models:
        header = ("generation", "backend", "params", "GPUs", "items", "tokens (budget)", "loads", "hours",
                  "throughput")  # fmt: skip
        rows = [
            [m.model, m.backend, "?" if m.params_b is None else f"{m.params_b:g} B", str(m.gpus),
             number(m.items), number(m.tokens), str(m.loads), "?" if m.hours is None else number(m.hours),
             m.rate]
            for m in sorted(plan.models, key=lambda m: m.model)
        ]  # fmt: skip
        out += ["", markdown(header, rows)]
    if plan.benchmarks:
        out.append("")
        out.append(
            markdown(
                ("benchmark", "items", "count from"),
                [[b, "?" if c.n is None else f"{c.n:,}", c.source] for b, c in plan.benchmarks.items()],
            )
        )
    out.append("")
    out.append(
        f"GPU: {plan.device} rows of the throughput table; dry run {plan.dag_seconds:.1f} s. "
        "Generation at max_new_tokens (an upper bound); docs/plan.md says what each column means."
    )
    out += [f"note: {n}" for n in plan.notes]
    return "\n".join(out)


def as_json(plan: Plan) -> dict:
    data = asdict(plan)
    data["total"] = asdict(plan.total())
    return data
