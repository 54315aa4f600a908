"""Interval estimates and tests, vectorised over cells (numpy only: aggregation never needs scipy or torch).

- `wilson`: the 95% Wilson score interval of a proportion k/n (well behaved at 0, 1 and small n).
- `weighted_bootstrap`: percentile interval of a weighted mean of independent proportions (MSSBench's mean
  of safe- and unsafe-context accuracy, a family mean over benchmarks), drawn as binomials per stratum.
- `paired_bootstrap`: percentile interval of a weighted mean of paired differences. Resampling n pairs
  with replacement only changes how many pairs fall in each of the three outcomes (+1, −1, 0), so one
  multinomial draw per stratum (two binomials) is exactly the item-level paired bootstrap, at O(strata)
  cost instead of O(items).
- `mcnemar_exact`: two-sided exact McNemar p-value from the discordant counts b and c.
"""

from __future__ import annotations

import numpy as np

Z95 = 1.959963984540054  # the normal quantile for a two-sided 95% interval
ALPHA = 0.05


def wilson(k: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rate, lo, hi) of k successes in n trials; NaN where n == 0."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    empty = n == 0
    p, lo, hi = (np.where(empty, np.nan, a) for a in (p, centre - half, centre + half))
    # At k = 0 and k = n the bounds are exactly 0 and 1; set them so rounding never shows 0.9999….
    lo = np.where((k == 0) & ~empty, 0.0, np.clip(lo, 0.0, 1.0))
    hi = np.where((k == n) & ~empty, 1.0, np.clip(hi, 0.0, 1.0))
    return p, lo, hi


def _reduce_cells(draws: np.ndarray, cell: np.ndarray, n_cells: int) -> np.ndarray:
    """Sum (B, S) stratum columns into (B, C) cell columns; `cell` gives each stratum's cell code."""
    order = np.argsort(cell, kind="stable")
    cell, draws = cell[order], draws[:, order]
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    out = np.full((draws.shape[0], n_cells), np.nan)
    out[:, cell[starts]] = np.add.reduceat(draws, starts, axis=1)
    return out


def _percentiles(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if draws.shape[1] == 0:
        return np.empty(0), np.empty(0)
    lo, hi = np.quantile(draws, [ALPHA / 2, 1 - ALPHA / 2], axis=0)  # NaN where any draw is NaN
    return lo, hi


def binomial_draws(k, n, rng: np.random.Generator, n_boot: int) -> np.ndarray:
    """(n_boot, S) bootstrap proportions per stratum; NaN where n == 0."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    safe_n = np.where(n > 0, n, 1)
    p = np.where(n > 0, k / safe_n, 0.0)
    draws = rng.binomial(safe_n.astype(np.int64), p, size=(n_boot, len(n))) / safe_n
    return np.where(n > 0, draws, np.nan)


def paired_draws(plus, minus, n, rng: np.random.Generator, n_boot: int) -> np.ndarray:
    """(n_boot, S) bootstrap paired differences (plus − minus) / n per stratum; NaN where n == 0.
    The multinomial (plus, minus, rest) is drawn as two binomials: plus, then minus among the rest."""
    plus, minus, n = (np.asarray(a, dtype=float) for a in (plus, minus, n))
    safe_n = np.where(n > 0, n, 1)
    p_plus, p_minus = plus / safe_n, minus / safe_n
    draw_plus = rng.binomial(safe_n.astype(np.int64), p_plus, size=(n_boot, len(n)))
    with np.errstate(invalid="ignore", divide="ignore"):
        p_rest = np.where(p_plus < 1, np.clip(p_minus / (1 - p_plus), 0.0, 1.0), 0.0)
    draw_minus = rng.binomial(safe_n.astype(np.int64) - draw_plus, p_rest)
    return np.where(n > 0, (draw_plus - draw_minus) / safe_n, np.nan)


def weighted_interval(
    estimate, draws: np.ndarray, w, cell, n_cells: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell: Σ_s w_s·estimate_s and the percentile interval of the same sum over the draws.
    A NaN stratum (no data) makes its cell NaN."""
    estimate, w, cell = np.asarray(estimate, dtype=float), np.asarray(w, dtype=float), np.asarray(cell)
    point = _reduce_cells((w * estimate)[None, :], cell, n_cells)[0]
    lo, hi = _percentiles(_reduce_cells(draws * w, cell, n_cells))
    return point, lo, hi


def weighted_bootstrap(
    k, n, w, cell, n_cells: int, rng: np.random.Generator, n_boot: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Σ_s w_s·k_s/n_s per cell, with a percentile bootstrap interval; NaN if a stratum has n == 0."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = np.where(n > 0, k / n, np.nan)
    return weighted_interval(estimate, binomial_draws(k, n, rng, n_boot), w, cell, n_cells)


def paired_bootstrap(
    plus, minus, n, w, cell, n_cells: int, rng: np.random.Generator, n_boot: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Σ_s w_s·(plus_s − minus_s)/n_s per cell (a paired difference of rates), with its bootstrap interval."""
    plus, minus, n = (np.asarray(a, dtype=float) for a in (plus, minus, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = np.where(n > 0, (plus - minus) / n, np.nan)
    return weighted_interval(estimate, paired_draws(plus, minus, n, rng, n_boot), w, cell, n_cells)


def mcnemar_exact(b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Two-sided exact McNemar p-value: 2·P(X ≤ min(b, c)), X ~ Binomial(b + c, 1/2), capped at 1."""
    b = np.asarray(b, dtype=np.int64)
    c = np.asarray(c, dtype=np.int64)
    m = b + c
    if m.size == 0:
        return np.empty(0)
    logfact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, max(int(m.max()), 1) + 1)))])
    out = np.ones(m.shape, dtype=float)
    for i in np.flatnonzero(m > 0):  # one small vector op per cell, never per item
        j = np.arange(min(b[i], c[i]) + 1)
        logpmf = logfact[m[i]] - logfact[j] - logfact[m[i] - j] - m[i] * np.log(2.0)
        out[i] = min(1.0, 2.0 * np.exp(logpmf).sum())
    return out
