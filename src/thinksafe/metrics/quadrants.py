"""Thought versus answer: the 2×2 table of a model's thought and answer verdicts on the same item.

self_correction_rate = P(answer safe | thought unsafe): the model caught itself while reasoning.
leak_rate = P(answer unsafe | thought safe): a safe-looking thought ended in an unsafe answer.
The four quadrant shares are over items whose thought and answer verdicts are both ok. Models without
a thought (every thought verdict `empty`) have no quadrant rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from thinksafe.metrics.cells import at_level, bincount_cells, joint_status, rows
from thinksafe.metrics.outcomes import Outcomes
from thinksafe.metrics.stats import wilson

QUADRANT_LEVELS = {
    "benchmark": ("benchmark", "family"),
    "category": ("benchmark", "family", "category"),
    "family": ("family",),
}
QUADRANTS = (
    "thought_safe_answer_safe",
    "thought_safe_answer_unsafe",
    "thought_unsafe_answer_safe",
    "thought_unsafe_answer_unsafe",
)
TARGET = "thought→answer"


def quadrant_counts(o: Outcomes, models: list[str]) -> pd.DataFrame:
    """Counts of the four (thought, answer) outcomes per (judge, model) × item cell, for `models`."""
    if not models:
        return pd.DataFrame()
    idx = np.array([o.models.index(m) for m in models])
    st, sa = o.status[:, idx, 0], o.status[:, idx, 1]  # [judge, model, item]
    ok = (st == 0) & (sa == 0)
    ts, as_ = o.safe[:, idx, 0] == 1, o.safe[:, idx, 1] == 1
    indicators = joint_status(st, sa)
    for name, mask in zip(QUADRANTS, (ts & as_, ts & ~as_, ~ts & as_, ~ts & ~as_), strict=True):
        indicators[name] = ok & mask
    counts = bincount_cells([("judge", o.judges), ("model", models)], o, indicators)
    counts["target"] = TARGET
    return counts


def quadrant_rows(counts: pd.DataFrame) -> pd.DataFrame:
    if counts.empty:  # no model produced a judged thought (a run of base models only)
        return pd.DataFrame()
    out = []
    for level, keep in QUADRANT_LEVELS.items():
        cells = at_level(counts, keep)
        if cells.empty:
            continue
        ss, su, us, uu = (cells[q].to_numpy() for q in QUADRANTS)
        n = cells["ok"].to_numpy()
        for name, k in zip(QUADRANTS, (ss, su, us, uu), strict=True):
            out.append(rows(cells, level, name, *wilson(k, n), "wilson", k=k, n=n))
        out.append(
            rows(cells, level, "self_correction_rate", *wilson(us, us + uu), "wilson", k=us, n=us + uu)
        )
        out.append(rows(cells, level, "leak_rate", *wilson(su, ss + su), "wilson", k=su, n=ss + su))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()
