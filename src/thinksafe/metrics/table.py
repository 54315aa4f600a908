"""All metrics of a run as one tidy table: one row per (judge, model[, reference], target, cell, metric)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from thinksafe.metrics import outcomes
from thinksafe.metrics.cells import COLUMNS, indicator_counts
from thinksafe.metrics.composite import delta_rows, paired_counts, score_rows
from thinksafe.metrics.quadrants import TARGET as QUADRANT_TARGET
from thinksafe.metrics.quadrants import quadrant_counts, quadrant_rows
from thinksafe.metrics.rates import rate_rows

log = logging.getLogger("thinksafe")
DEFAULT_BOOTSTRAP = 1000


def pairs(spec: dict) -> list[tuple[str, str]]:
    """(model, reference) for every evaluated model with a `base` in the run: an MLRM against its base
    MLLM, a tuned model `M+D` against M (resolve_model sets base = tuned_from)."""
    models = spec["models"]
    return [(name, m["base"]) for name, m in models.items() if m.get("base") in models]


def thinking_models(o: outcomes.Outcomes) -> list[str]:
    """Models with at least one thought verdict that is ok, unparseable or error (not empty or missing)."""
    judged = (o.status[:, :, 0, :] <= 2).any(axis=(0, 2))
    return [m for m, yes in zip(o.models, judged, strict=True) if yes]


def compute(spec: dict, root: str | Path = ".", n_boot: int | None = None) -> pd.DataFrame:
    n_boot = n_boot or int(spec.get("report", {}).get("bootstrap", DEFAULT_BOOTSTRAP))
    rng = np.random.default_rng(int(spec.get("seed", 0)))
    o = outcomes.build(spec, root)
    thinkers = thinking_models(o)
    counts = indicator_counts(o)
    refusals = paired_counts(o, pairs(spec), "refusal")
    if not refusals.empty:  # over-refusal: the refusal flag on the benign controls only
        refusals = refusals[refusals["family"] == "benign"]
    parts = [
        rate_rows(counts),
        score_rows(counts, rng, n_boot),
        delta_rows(paired_counts(o, pairs(spec)), rng, n_boot),
        delta_rows(refusals, rng, n_boot, metric="delta_over_refusal_rate"),
        quadrant_rows(quadrant_counts(o, thinkers)),
    ]
    table = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    # A model that never produced a judged thought (a base MLLM: every thought verdict `empty`) has no
    # thought rates, no thought deltas and no quadrants; its answers are reported as usual.
    involves_thought = table["target"].isin(["thought", QUADRANT_TARGET])
    thinks = table["model"].isin(thinkers) & (table["reference"].isin(thinkers) | (table["reference"] == ""))
    table = table[~involves_thought | thinks].reset_index(drop=True)
    # Every expected verdict is accounted for: how many of each status went into the rates or beside them.
    statuses = dict(
        zip(
            outcomes.STATUSES,
            np.bincount(o.status.ravel(), minlength=len(outcomes.STATUSES)).tolist(),
            strict=True,
        )
    )
    log.info(
        "metrics: %d verdict slots %s, %d rows (%d bootstrap resamples)",
        o.status.size,
        statuses,
        len(table),
        n_boot,
    )
    return table[list(COLUMNS)]
