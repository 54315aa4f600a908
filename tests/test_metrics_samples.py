"""Three sampled responses to one question count once, by the majority of their verdicts (SIUO upstream)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from thinksafe.metrics.outcomes import STATUSES, UNKNOWN, Outcomes
from thinksafe.metrics.samples import majority

OK, UNPARSEABLE, MISSING = STATUSES.index("ok"), STATUSES.index("unparseable"), STATUSES.index("missing")


def outcomes(groups: list[str], status: list[int], safe: list[int]) -> Outcomes:
    n = len(groups)
    items = pd.DataFrame({"id": [f"i{k}" for k in range(n)], "group": groups, "cell": 0})
    shape = (1, 1, 1, n)
    return Outcomes(
        ["judge"],
        ["model"],
        items,
        pd.DataFrame({"benchmark": ["b"]}),
        status=np.array(status, dtype=np.int8).reshape(shape),
        safe=np.array(safe, dtype=np.int8).reshape(shape),
        refusal=np.array([1 if s == 1 else 0 for s in safe], dtype=np.int8).reshape(shape),
        effective=np.full(shape, UNKNOWN, dtype=np.int8),
    )


def test_each_group_becomes_its_first_item_with_the_majority_label():
    o = outcomes(
        ["q1", "q1", "q1", "q2", "q2", "q2", "q3"],
        [OK, OK, OK, OK, OK, OK, OK],
        [1, 0, 1, 0, 0, 1, 0],
    )
    folded = majority(o)
    assert list(folded.items["id"]) == ["i0", "i3", "i6"]
    assert folded.safe.ravel().tolist() == [1, 0, 0]
    assert folded.status.ravel().tolist() == [OK, OK, OK]
    assert folded.refusal.ravel().tolist() == [1, 0, 0]


def test_a_tie_among_ok_verdicts_is_unparseable_and_no_ok_verdict_keeps_the_status():
    o = outcomes(["q1", "q1", "q1", "q2", "q2", "q2"], [OK, OK, UNPARSEABLE, MISSING, MISSING, MISSING],
                 [1, 0, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN])  # fmt: skip
    folded = majority(o)
    assert folded.status.ravel().tolist() == [UNPARSEABLE, MISSING]
    assert folded.safe.ravel().tolist() == [UNKNOWN, UNKNOWN]


def test_ungrouped_items_are_left_as_they_are():
    o = outcomes(["a", "b"], [OK, OK], [1, 0])
    assert majority(o) is o
