"""The interval estimators and McNemar's test against values computed by hand."""

import numpy as np
import pytest

from thinksafe.metrics.stats import Z95, mcnemar_exact, paired_bootstrap, weighted_bootstrap, wilson

Z2 = Z95**2


def test_wilson_all_safe_all_unsafe_and_half():
    p, lo, hi = wilson(np.array([10, 0, 5]), np.array([10, 10, 10]))
    # k = n: the interval is [n / (n + z²), 1]; k = 0 mirrors it; k = n/2 is symmetric about 0.5.
    assert p.tolist() == [1.0, 0.0, 0.5]
    assert lo[0] == pytest.approx(10 / (10 + Z2)) and hi[0] == 1.0
    assert lo[1] == 0.0 and hi[1] == pytest.approx(Z2 / (10 + Z2))
    half = Z95 * np.sqrt(0.25 / 10 + Z2 / 400) / (1 + Z2 / 10)
    assert (lo[2], hi[2]) == (pytest.approx(0.5 - half), pytest.approx(0.5 + half))
    assert (lo[2], hi[2]) == (pytest.approx(0.236593, abs=1e-6), pytest.approx(0.763407, abs=1e-6))


def test_wilson_of_an_empty_cell_is_undefined_not_zero():
    p, lo, hi = wilson(np.array([0]), np.array([0]))
    assert np.isnan(p[0]) and np.isnan(lo[0]) and np.isnan(hi[0])


def test_mcnemar_exact_by_hand():
    # b=0, c=5: 2·(1/2)^5; b=1, c=9: 2·(1 + 10)/2^10; b=c: capped at 1; no discordant pairs: 1.
    p = mcnemar_exact(np.array([0, 1, 3, 0]), np.array([5, 9, 3, 0]))
    assert p.tolist() == [pytest.approx(0.0625), pytest.approx(22 / 1024), 1.0, 1.0]


def test_weighted_bootstrap_mean_of_two_contexts():
    # MSSBench-like: 8/10 right in the safe context, 2/10 in the unsafe one: the mean is 0.5.
    rng = np.random.default_rng(0)
    point, lo, hi = weighted_bootstrap([8, 2], [10, 10], [0.5, 0.5], np.array([0, 0]), 1, rng, 2000)
    assert point[0] == pytest.approx(0.5)
    # sd = √(0.8·0.2/10 · 2)/2 ≈ 0.089, so the 95% interval is about 0.5 ± 0.175 (steps of 0.05).
    assert 0.25 <= lo[0] <= 0.35 and 0.65 <= hi[0] <= 0.75
    # A degenerate cell (every answer right) has a degenerate interval.
    point, lo, hi = weighted_bootstrap([10, 10], [10, 10], [0.5, 0.5], np.array([0, 0]), 1, rng, 500)
    assert (point[0], lo[0], hi[0]) == (1.0, 1.0, 1.0)


def test_weighted_bootstrap_cell_with_an_empty_stratum_is_undefined():
    rng = np.random.default_rng(0)
    point, lo, hi = weighted_bootstrap([3, 0], [4, 0], [0.5, 0.5], np.array([0, 0]), 1, rng, 100)
    assert np.isnan(point[0]) and np.isnan(lo[0]) and np.isnan(hi[0])


def test_paired_bootstrap_is_seeded_and_exact_at_the_extremes():
    cells = np.array([0, 1])
    args = ([10, 3], [0, 3], [10, 20], [1.0, 1.0], cells, 2)
    a = paired_bootstrap(*args, np.random.default_rng(7), 1000)
    b = paired_bootstrap(*args, np.random.default_rng(7), 1000)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    point, lo, hi = a
    assert (point[0], lo[0], hi[0]) == (1.0, 1.0, 1.0)  # every pair improved
    assert point[1] == 0.0 and lo[1] < 0 < hi[1]  # 3 up, 3 down out of 20
