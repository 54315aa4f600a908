"""The defense tables, beside Table 2: each defended model `<model>@<defense>` against the model it
defends, on the same items, with the same paired statistics as the tuning table; and what each defense
costs (tokens and seconds per item, from the generation .meta.json files)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from thinksafe.report.provenance import shard_metas
from thinksafe.report.tables import DASH, Grid, Lookup, _header, fmt_delta, fmt_rate, safety_columns

# (family, rate, its paired Δ, column)
EXTRA = (
    ("benign", "over_refusal_rate", "delta_over_refusal_rate", "over-refusal"),
    ("capability", "score", "delta_score", "capability"),
)


def defended(spec: dict) -> dict[str, list[str]]:
    """The undefended model → its defended models, in run order."""
    out: dict[str, list[str]] = {}
    for name, m in spec["models"].items():
        if m.get("defended_from"):
            out.setdefault(m["defended_from"], []).append(name)
    return out


def _label(spec: dict, name: str) -> str:
    d = spec["models"][name]["defense"]
    return f"{d['name']} ({d['kind']})"


def defense_table(metrics: pd.DataFrame, spec: dict) -> Grid:
    judge = spec["judges"][0]
    look = Lookup(metrics, judge)
    cols = safety_columns(metrics, list(spec["benchmarks"]))
    extra = [e for e in EXTRA if e[0] in set(metrics["family"])]
    rows = []
    for original, names in defended(spec).items():
        rows.append(
            [original, "none (undefended)"]
            + [fmt_rate(look.get(original, "score", f, b)) for f, b in cols]
            + [fmt_rate(look.get(original, metric, fam)) for fam, metric, _, _ in extra]
        )
        for name in names:
            rows.append(
                [name, _label(spec, name)]
                + [fmt_rate(look.get(name, "score", f, b)) for f, b in cols]
                + [fmt_rate(look.get(name, metric, fam)) for fam, metric, _, _ in extra]
            )
            rows.append(
                [f"Δ vs {original}", _label(spec, name)]
                + [fmt_delta(look.get(name, "delta_score", f, b, reference=original)) for f, b in cols]
                + [fmt_delta(look.get(name, delta, fam, reference=original)) for fam, _, delta, _ in extra]
            )
    return Grid(
        "Defenses: each defended model against the same model undefended",
        ["model", "defense"] + _header(cols) + [label for _, _, _, label in extra],
        rows,
        [
            f"Judge: {judge}; safety score and capability in %, over-refusal = % of benign controls refused.",
            "Δ in percentage points on the same items, paired bootstrap interval, McNemar exact p "
            "(over-refusal: + = more benign controls refused).",
        ],
    )


def per_item(metas: list[dict]) -> dict[str, float | None]:
    """Prompt and output tokens per item over every shard; seconds per item over the shards that
    generated now (a resumed shard's seconds cover only its rest)."""
    items = sum(m.get("counts", {}).get("items", 0) for m in metas)
    now = [m for m in metas if m.get("counts", {}).get("generated_now")]
    n_now = sum(m["counts"]["generated_now"] for m in now)

    def tokens(key: str) -> float | None:
        return sum(m["counts"].get(key, 0) for m in metas) / items if items else None

    return {
        "prompt": tokens("prompt_tokens"),
        "output": tokens("output_tokens"),
        "seconds": sum(float(m.get("seconds", 0)) for m in now) / n_now if n_now else None,
    }


def _cell(value: float | None, reference: float | None, digits: int) -> str:
    if value is None:
        return DASH
    if reference is None:
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} ({value - reference:+.{digits}f})"


def cost_table(spec: dict, root: Path) -> Grid:
    rows = []
    for original, names in defended(spec).items():
        ref = per_item(shard_metas(spec, root, original))
        rows.append([original, "none (undefended)"] + [_cell(ref[k], None, d) for k, d in _COST])
        for name in names:
            cost = per_item(shard_metas(spec, root, name))
            rows.append([name, _label(spec, name)] + [_cell(cost[k], ref[k], d) for k, d in _COST])
    return Grid(
        "Defense cost per item",
        ["model", "defense", "prompt tokens / item", "output tokens / item", "seconds / item"],
        rows,
        [
            "From the generation .meta.json files: tokens summed over every pass (a self-check counts its "
            "draft and its review), divided by the items; seconds of the generate jobs (model load "
            "included) per item they generated. In brackets: the extra cost over the undefended model.",
        ],
    )


_COST = (("prompt", 1), ("output", 1), ("seconds", 3))
