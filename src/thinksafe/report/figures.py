"""The figures, drawn from metrics.csv alone (matplotlib, Agg backend), each as PNG and PDF.

- degradation: Δ safety score of each reasoning model against its base, per benchmark (the paper's
  Figure 1, bottom), with 95% paired-bootstrap intervals; tuned models against their original, and
  defended models (`<model>@<defense>`) against the undefended one, beside it.
- categories: a heatmap of the answer safety rate per model × (benchmark, category).
- quadrants: for each thinking model and family, the shares of the four (thought, answer) outcomes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from thinksafe.config import DEFENSE_SEP, TUNED_SEP  # noqa: E402
from thinksafe.metrics.cells import ALL  # noqa: E402
from thinksafe.metrics.quadrants import QUADRANTS  # noqa: E402
from thinksafe.report.tables import SAFETY_FAMILIES  # noqa: E402

FIGURES = ("degradation", "categories", "quadrants")
QUADRANT_COLOURS = ("#4c9a2a", "#e0a030", "#7fb3d5", "#c0392b")


def _save(fig: plt.Figure, out: Path, name: str) -> list[Path]:
    paths = [out / f"{name}.png", out / f"{name}.pdf"]
    fig.savefig(paths[0], dpi=130, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight")
    plt.close(fig)
    return paths


def _empty(ax: plt.Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=11, color="#555")
    ax.set_xticks([])


def _family_order(family: str) -> int:
    return SAFETY_FAMILIES.index(family) if family in SAFETY_FAMILIES else len(SAFETY_FAMILIES)


def primary_judge(metrics: pd.DataFrame) -> str:
    """The tables' judge: the first in the run, which is the first to appear in metrics.csv."""
    return str(metrics["judge"].iloc[0]) if len(metrics) else ""


def degradation(metrics: pd.DataFrame, judge: str, out: Path) -> list[Path]:
    d = metrics[
        (metrics["judge"] == judge)
        & (metrics["metric"] == "delta_score")
        & (metrics["target"] == "answer")
        & (metrics["level"] == "benchmark")
        & metrics["family"].isin(SAFETY_FAMILIES)
    ]
    defended = d["model"].str.contains(DEFENSE_SEP, regex=False)  # `<model>@<defense>`: vs the undefended
    tuned = d["model"].str.contains(TUNED_SEP, regex=False) & ~defended
    panels = [
        ("reasoning model − base", d[~tuned & ~defended]),
        ("tuned − original", d[tuned]),
        ("defended − undefended", d[defended]),
    ]
    panels = [p for p in panels if not p[1].empty] or [("reasoning model − base", d)]
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.2), squeeze=False)
    for ax, (title, sel) in zip(axes[0], panels, strict=True):
        ax.set_title(f"Δ safety score, {title} (judge: {judge})", fontsize=10)
        ax.set_ylabel("Δ safety score (percentage points)")
        ax.set_xlabel("benchmark (family)")
        ax.axhline(0, color="black", linewidth=0.8)
        if sel.empty:
            _empty(ax, "no model pairs in this run")
            continue
        groups = sorted(
            dict.fromkeys(zip(sel["family"], sel["benchmark"], strict=True)),
            key=lambda g: _family_order(g[0]),
        )
        models = list(dict.fromkeys(sel["model"]))
        width = 0.8 / len(models)
        x = np.arange(len(groups))
        colours = plt.get_cmap("tab10" if len(models) <= 10 else "tab20")
        for i, model in enumerate(models):
            rows = sel[sel["model"] == model].set_index(["family", "benchmark"]).reindex(groups)
            value = 100 * rows["value"].to_numpy(dtype=float)
            err = np.vstack(
                [
                    value - 100 * rows["lo"].to_numpy(dtype=float),
                    100 * rows["hi"].to_numpy(dtype=float) - value,
                ]
            )
            ax.bar(
                x + (i - (len(models) - 1) / 2) * width,
                value,
                width,
                yerr=np.nan_to_num(err),
                capsize=3,
                color=colours(i % colours.N),
                label=f"{model} vs {sel.loc[sel['model'] == model, 'reference'].iloc[0]}",
            )
        ax.set_xticks(x, [f"{b}\n({f})" for f, b in groups])
        # Below its own panel: beside it, the first panel's legend ran into the second panel.
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1)
    return _save(fig, out, "degradation")


def categories(metrics: pd.DataFrame, judge: str, out: Path) -> list[Path]:
    c = metrics[
        (metrics["judge"] == judge)
        & (metrics["metric"] == "safety_rate")
        & (metrics["target"] == "answer")
        & (metrics["level"] == "category")
        & metrics["family"].isin(SAFETY_FAMILIES)
    ]
    models = list(dict.fromkeys(c["model"]))
    c = c.sort_values("family", key=lambda s: s.map(_family_order), kind="stable")  # keeps run order within
    cols = list(dict.fromkeys(zip(c["family"], c["benchmark"], c["category"], strict=True)))
    grid = c.pivot_table(
        index="model",
        columns=["family", "benchmark", "category"],
        values="value",
        aggfunc="first",
        dropna=False,
    )
    if cols:
        grid = grid.reindex(index=models, columns=pd.MultiIndex.from_tuples(cols))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.45 * len(cols) + 3), max(2.5, 0.45 * len(models) + 1.5)))
    ax.set_title(f"Answer safety rate per category (judge: {judge})", fontsize=10)
    ax.set_xlabel("benchmark / category")
    ax.set_ylabel("model")
    if grid.empty or not cols:
        _empty(ax, "no safety categories in this run")
        return _save(fig, out, "categories")
    values = 100 * grid.to_numpy(dtype=float)
    image = ax.imshow(np.ma.masked_invalid(values), cmap="RdYlGn", vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(
        range(len(cols)), [f"{b}/{cat} ({f})" for f, b, cat in cols], rotation=60, ha="right", fontsize=8
    )
    ax.set_yticks(range(len(models)), models, fontsize=8)
    if values.size <= 400:
        for (i, j), v in np.ndenumerate(values):
            if not np.isnan(v):
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7)
    fig.colorbar(image, ax=ax, label="safety rate (%)")
    return _save(fig, out, "categories")


def quadrants(metrics: pd.DataFrame, judge: str, out: Path) -> list[Path]:
    q = metrics[
        (metrics["judge"] == judge)
        & metrics["metric"].isin(QUADRANTS)
        & (metrics["level"] == "family")
        & metrics["family"].isin(SAFETY_FAMILIES)
        & (metrics["benchmark"] == ALL)
    ]
    rows = list(dict.fromkeys(zip(q["model"], q["family"], strict=True)))
    fig, ax = plt.subplots(figsize=(7.5, max(2.5, 0.4 * len(rows) + 1.5)))
    ax.set_title(f"Thought vs answer: share of items per outcome (judge: {judge})", fontsize=10)
    ax.set_xlabel("share of items with both verdicts ok (%)")
    ax.set_ylabel("model (family)")
    if not rows:
        _empty(ax, "no model with a judged thought in this run")
        return _save(fig, out, "quadrants")
    table = q.pivot_table(index=["model", "family"], columns="metric", values="value", aggfunc="first")
    table = table.reindex(index=pd.MultiIndex.from_tuples(rows), columns=list(QUADRANTS)).fillna(0) * 100
    left = np.zeros(len(rows))
    for name, colour in zip(QUADRANTS, QUADRANT_COLOURS, strict=True):
        ax.barh(
            range(len(rows)),
            table[name],
            left=left,
            color=colour,
            label=name.replace("_", " ").replace("thought ", "thought: ").replace(" answer ", ", answer: "),
        )
        left += table[name].to_numpy()
    ax.set_yticks(range(len(rows)), [f"{m} ({f})" for m, f in rows], fontsize=8)
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    return _save(fig, out, "quadrants")


def draw_all(metrics: pd.DataFrame, out: Path, judge: str | None = None) -> list[Path]:
    judge = judge or primary_judge(metrics)
    out.mkdir(parents=True, exist_ok=True)
    return [p for draw in (degradation, categories, quadrants) for p in draw(metrics, judge, out)]
