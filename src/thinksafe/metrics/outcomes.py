"""One aligned outcome table: a row for every (judge, model, benchmark, target, item) the run expects.

A verdict that never arrived is a row with status `missing`, so nothing drops out in silence and a
category with no usable verdict still gets its (empty) cells. Rows of one (judge, model, benchmark,
target) block follow the items file order, so two models, or a model's thought and answer, pair by
position: the same item ids, by construction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from thinksafe.errors import located
from thinksafe.metrics.load import item_path, read_items, read_verdicts, verdict_paths
from thinksafe.records import TARGETS

STATUSES = ("ok", "unparseable", "error", "empty", "missing")
MISSING = STATUSES.index("missing")
ITEM_ATTRS = ("family", "category", "subset", "context")


def load_items(spec: dict, root: Path) -> pd.DataFrame:
    """Every benchmark's items, concatenated in run order, with the benchmark name from the spec."""
    frames = []
    for name in spec["benchmarks"]:
        items = read_items(item_path(root, name))
        items["benchmark"] = name
        frames.append(items)
    return pd.concat(frames, ignore_index=True)


def _block(path_list: list[Path], index: pd.Index, n: int) -> dict[str, np.ndarray]:
    """Outcome arrays for one (judge, model, benchmark): position t·n + item position, t = target."""
    status = np.full(2 * n, MISSING, dtype=np.int8)
    safe, refusal, effective = (np.full(2 * n, np.nan) for _ in range(3))
    seen = np.zeros(2 * n, dtype=bool)
    for path in path_list:
        v = read_verdicts(path)
        item_pos = index.get_indexer(v["id"])
        target = pd.Categorical(v["target"], categories=TARGETS).codes
        code = pd.Categorical(v["status"], categories=STATUSES[:-1]).codes
        for bad, what in (
            (item_pos < 0, "id names no item of this benchmark"),
            (target < 0, f"target must be one of {', '.join(TARGETS)}"),
            (code < 0, f"status must be one of {', '.join(STATUSES[:-1])}"),
        ):
            if bad.any():
                first = int(np.flatnonzero(bad)[0])
                raise located(
                    path, f"{what} ('{v.iloc[first][['id', 'target', 'status']].tolist()}')", line=first + 1
                )
        label = v["label"].to_numpy(dtype=object)
        is_safe, is_unsafe = label == "safe", label == "unsafe"
        bad = (code == 0) & ~(is_safe | is_unsafe)
        if bad.any():
            raise located(
                path, "an ok verdict needs label safe or unsafe", line=int(np.flatnonzero(bad)[0]) + 1
            )
        pos = target.astype(np.int64) * n + item_pos
        dup = seen[pos] | pd.Series(pos).duplicated().to_numpy()
        if dup.any():
            first = int(np.flatnonzero(dup)[0])
            raise located(
                path,
                f"a second verdict for item '{v['id'].iloc[first]}' ({v['target'].iloc[first]})",
                line=first + 1,
            )
        seen[pos] = True
        status[pos] = code
        safe[pos] = np.where(code == 0, is_safe.astype(float), np.nan)
        refusal[pos] = np.where(code == 0, v["refusal"].to_numpy(), np.nan)
        effective[pos] = np.where(code == 0, v["effective"].to_numpy(), np.nan)
    return {"status": status, "safe": safe, "refusal": refusal, "effective": effective}


def build(spec: dict, root: str | Path = ".") -> pd.DataFrame:
    """The outcome table for every judge × model × benchmark × target × item of the aggregate spec."""
    root = Path(root)
    items = load_items(spec, root)
    codes = {a: pd.Categorical(items[a]) for a in ITEM_ATTRS}
    judges, models, benchmarks = list(spec["judges"]), list(spec["models"]), list(spec["benchmarks"])
    parts: dict[str, list[np.ndarray]] = {
        k: []
        for k in (
            "judge",
            "model",
            "benchmark",
            "target",
            "row",
            "pos",
            "status",
            "safe",
            "refusal",
            "effective",
        )
    }
    for b_code, benchmark in enumerate(benchmarks):
        rows = np.flatnonzero(items["benchmark"].to_numpy() == benchmark)
        index = pd.Index(items["id"].to_numpy()[rows])
        n = len(rows)
        for j_code, judge in enumerate(judges):
            for m_code, model in enumerate(models):
                shards = spec["shards"][model][benchmark]
                block = _block(verdict_paths(root, judge, model, benchmark, shards), index, n)
                for k, arr in block.items():
                    parts[k].append(arr)
                parts["judge"].append(np.full(2 * n, j_code, dtype=np.int16))
                parts["model"].append(np.full(2 * n, m_code, dtype=np.int16))
                parts["benchmark"].append(np.full(2 * n, b_code, dtype=np.int16))
                parts["target"].append(np.repeat(np.arange(2, dtype=np.int8), n))
                parts["row"].append(np.tile(rows, 2))
                parts["pos"].append(np.tile(np.arange(n), 2))
    cat = {k: np.concatenate(v) if v else np.empty(0) for k, v in parts.items()}
    row = cat.pop("row").astype(np.int64)
    frame = pd.DataFrame(
        {
            "judge": pd.Categorical.from_codes(cat["judge"], categories=judges),
            "model": pd.Categorical.from_codes(cat["model"], categories=models),
            "benchmark": pd.Categorical.from_codes(cat["benchmark"], categories=benchmarks),
            "target": pd.Categorical.from_codes(cat["target"], categories=list(TARGETS)),
            **{
                a: pd.Categorical.from_codes(codes[a].codes[row], categories=codes[a].categories)
                for a in ITEM_ATTRS
            },
            "item": items["id"].to_numpy()[row] if len(row) else np.empty(0, dtype=object),
            "pos": cat["pos"].astype(np.int32),
            "status": cat["status"].astype(np.int8),
            "safe": cat["safe"],
            "refusal": cat["refusal"],
            "effective": cat["effective"],
        }
    )
    return frame
