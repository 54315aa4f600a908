"""Counts per cell and the tidy row layout every metric shares.

A cell is (judge, model, target, benchmark, family, category, subset, context); a coarser level sets
the dimensions it pools over to ALL. Status rates (unparseable, error, empty, missing) are over every
expected verdict of the cell; a rate's own denominator `n` counts only `ok` verdicts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from thinksafe.metrics.outcomes import STATUSES

ALL = "all"
HEAD = ("judge", "model", "target")
DIMS = ("benchmark", "family", "category", "subset", "context")
FINE = (*HEAD, *DIMS)
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


def indicator_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-row 0/1 indicators summed per finest cell."""
    status = frame["status"].to_numpy()
    ok = status == 0
    safe = frame["safe"].to_numpy() == 1
    ref = frame["refusal"].to_numpy()
    eff = frame["effective"].to_numpy()
    ind = pd.DataFrame(
        {
            **{k: frame[k] for k in FINE},
            "n_total": np.ones(len(frame), dtype=np.int32),
            **{s: (status == i).astype(np.int32) for i, s in enumerate(STATUSES)},
            "safe_k": (ok & safe).astype(np.int32),
            "ref_n": (ok & ~np.isnan(ref)).astype(np.int32),
            "ref_k": (ok & (ref == 1)).astype(np.int32),
            "eff_n": (ok & ~np.isnan(eff)).astype(np.int32),
            "eff_k": (ok & (eff == 1)).astype(np.int32),
            "se_k": (ok & (eff == 1) & safe).astype(np.int32),
        }
    )
    return ind.groupby(list(FINE), observed=True, sort=False).sum().reset_index()


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
