"""Counts per cell and the tidy row layout every metric shares.

A cell is (judge, model, target, benchmark, family, category, subset, context); a coarser level sets
the dimensions it pools over to ALL. Status rates (unparseable, error, empty, missing) are over every
expected verdict of the cell; a rate's own denominator `n` counts only `ok` verdicts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from thinksafe.metrics.outcomes import CELL_DIMS, STATUSES, Outcomes
from thinksafe.records import TARGETS

ALL = "ALL"  # a dimension the level pools over (upper case: never a real category name)
HEAD = ("judge", "model", "target")
DIMS = CELL_DIMS
# The levels rates are reported at: the dimensions kept (the rest are ALL). `family` pools benchmarks.
LEVELS: dict[str, tuple[str, ...]] = {
    "benchmark": ("benchmark", "family"),
    "category": ("benchmark", "family", "category"),
    "subset": ("benchmark", "family", "subset"),
    "context": ("benchmark", "family", "context"),
    "family": ("family",),
}
STATUS_RATES = tuple(f"{s}_rate" for s in STATUSES[1:])
COLUMNS = (
    "judge",
    "model",
    "reference",
    "target",
    *DIMS,
    "level",
    "metric",
    "value",
    "lo",
    "hi",
    "method",
    "k",
    "n",
    "n_total",
    *STATUS_RATES,
    "p_value",
)


def joint_status(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """Status indicators of a pair of verdicts: `ok` when both are ok, any other status when either has it."""
    return {s: ((a == i) & (b == i)) if s == "ok" else ((a == i) | (b == i)) for i, s in enumerate(STATUSES)}


def _object_array(labels: list) -> np.ndarray:
    """A 1-d object array, even of tuples (np.asarray would make a 2-d one)."""
    out = np.empty(len(labels), dtype=object)
    for i, label in enumerate(labels):
        out[i] = label
    return out


def bincount_cells(
    lead: list[tuple[str, list]], outcomes: Outcomes, indicators: dict[str, np.ndarray]
) -> pd.DataFrame:
    """Count indicators per cell. Each indicator has shape (*lead dims, item); a cell is a lead index
    (e.g. judge, model, target) × the item's cell (benchmark, family, category, subset, context)."""
    shape = tuple(len(labels) for _, labels in lead)
    n_lead, n_cells = int(np.prod(shape)), len(outcomes.cells)
    code = (np.arange(n_lead)[:, None] * n_cells + outcomes.item_cell[None, :]).ravel()
    size = n_lead * n_cells
    counts = {"n_total": np.bincount(code, minlength=size)}
    for name, mask in indicators.items():
        counts[name] = np.bincount(code[mask.ravel()], minlength=size)
    present = np.flatnonzero(counts["n_total"])
    lead_idx = np.unravel_index(present // n_cells, shape)
    out = pd.DataFrame(
        {name: _object_array(labels)[i] for (name, labels), i in zip(lead, lead_idx, strict=True)}
    )
    item_dims = outcomes.cells.iloc[present % n_cells].reset_index(drop=True)
    out = pd.concat([out, item_dims], axis=1)
    for name, values in counts.items():
        out[name] = values[present]
    return out


def indicator_counts(o: Outcomes) -> pd.DataFrame:
    """Status counts and rate numerators per (judge, model, target) × item cell."""
    lead = [("judge", o.judges), ("model", o.models), ("target", list(TARGETS))]
    ok = o.status == 0
    return bincount_cells(
        lead,
        o,
        {
            **{s: o.status == i for i, s in enumerate(STATUSES)},
            "safe_k": ok & (o.safe == 1),
            "ref_n": ok & (o.refusal >= 0),
            "ref_k": ok & (o.refusal == 1),
            "eff_n": ok & (o.effective >= 0),
            "eff_k": ok & (o.effective == 1),
            "se_k": ok & (o.effective == 1) & (o.safe == 1),
        },
    )


def at_level(
    counts: pd.DataFrame,
    keep: tuple[str, ...],
    head: tuple[str, ...] = HEAD,
    placeholders: tuple[str, ...] = ("subset", "context"),
) -> pd.DataFrame:
    """Sum fine counts up to a level; dimensions not kept become ALL. Cells whose kept `placeholders`
    dimension is 'none' (a benchmark without subsets or contexts) are left out: they would repeat the
    benchmark-level cell."""
    grouped = counts.groupby([*head, *keep], observed=True, sort=False).sum(numeric_only=True).reset_index()
    for dim in DIMS:
        if dim not in keep:
            grouped[dim] = ALL
        else:
            grouped[dim] = grouped[dim].astype(str)
    for dim in placeholders:
        if dim in keep:
            grouped = grouped[grouped[dim] != "none"]
    return grouped


def status_rates(cells: pd.DataFrame) -> dict[str, np.ndarray]:
    total = cells["n_total"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {f"{s}_rate": cells[s].to_numpy() / total for s in STATUSES[1:]}


def rows(
    cells: pd.DataFrame,
    level: str,
    metric: str | np.ndarray,
    value,
    lo,
    hi,
    method: str | np.ndarray,
    k=None,
    n=None,
    reference=None,
    p_value=None,
) -> pd.DataFrame:
    """Tidy rows for a set of cells; absent columns are left empty."""
    out = pd.DataFrame({c: cells[c].astype(str).to_numpy() for c in ("judge", "model", "target", *DIMS)})
    out["reference"] = reference if reference is not None else cells.get("reference", "")
    out["level"] = level
    out["metric"] = metric
    out["value"], out["lo"], out["hi"] = value, lo, hi
    out["method"] = method
    out["k"] = k if k is not None else np.nan
    out["n"] = n if n is not None else np.nan
    out["n_total"] = cells["n_total"].to_numpy()
    for name, arr in status_rates(cells).items():
        out[name] = arr
    out["p_value"] = p_value if p_value is not None else np.nan
    return out[list(COLUMNS)]
