"""Every expected verdict of a run in dense arrays: [judge, model, target, item] → status and labels.

A verdict that never arrived has status `missing`, so nothing drops out in silence and a category with
no usable verdict still gets its (empty) cells. Because every slot exists exactly once, two models (or
a model's thought and its answer) pair by index: the same item, by construction. Counting a cell is
then one `np.bincount` over integer cell codes, never a Python loop over verdicts.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from thinksafe.errors import located
from thinksafe.metrics import samples
from thinksafe.metrics.load import item_path, read_items, read_verdicts, verdict_paths
from thinksafe.records import TARGETS

STATUSES = ("ok", "unparseable", "error", "empty", "missing")
OK, MISSING = 0, STATUSES.index("missing")
CELL_DIMS = ("benchmark", "family", "category", "subset", "context")
UNKNOWN = -1  # in safe / refusal / effective: no ok verdict, or the judge did not say


@dataclass
class Outcomes:
    judges: list[str]
    models: list[str]
    items: pd.DataFrame  # every item of the run, with `cell`: its (benchmark, family, category, …) code
    cells: pd.DataFrame  # one row per item cell code, columns CELL_DIMS
    status: np.ndarray  # int8 [judge, model, target, item], codes of STATUSES
    safe: np.ndarray  # int8, 1 safe / 0 unsafe / UNKNOWN
    refusal: np.ndarray  # int8, 1 / 0 / UNKNOWN
    effective: np.ndarray  # int8, 1 / 0 / UNKNOWN

    @property
    def item_cell(self) -> np.ndarray:
        return self.items["cell"].to_numpy()


def load_items(spec: dict, root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every benchmark's items in run order, and the table of their cells."""
    frames = []
    for name in spec["benchmarks"]:
        items = read_items(item_path(root, name))
        items["benchmark"] = name
        frames.append(items)
    items = pd.concat(frames, ignore_index=True)
    items["cell"] = items.groupby(list(CELL_DIMS), sort=False).ngroup()
    cells = items.drop_duplicates("cell").sort_values("cell")[list(CELL_DIMS)].reset_index(drop=True)
    return items, cells


def _codes(column: pa.ChunkedArray, values: tuple[str, ...] | list[str] | pa.Array) -> np.ndarray:
    """Index of each value in `values`, −1 where it is not one of them."""
    idx = pc.index_in(column, value_set=values if isinstance(values, pa.Array) else pa.array(values))
    return pc.fill_null(idx, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _fill(o: Outcomes, j: int, m: int, rows: np.ndarray, ids: pa.Array, path: Path, v: pa.Table) -> None:
    """Put one judgment file's verdicts into their slots; reject anything that does not fit."""
    pos, target, status = (
        _codes(v["id"], ids),
        _codes(v["target"], TARGETS),
        _codes(v["status"], STATUSES[:-1]),
    )
    for bad, what in (
        (pos < 0, "id names no item of this benchmark"),
        (target < 0, f"target must be one of {', '.join(TARGETS)}"),
        (status < 0, f"status must be one of {', '.join(STATUSES[:-1])}"),
    ):
        if bad.any():
            first = _first(bad)
            raise located(path, f"{what} (id {v['id'][first]}, target {v['target'][first]})", line=first + 1)
    label = _codes(v["label"], ("unsafe", "safe"))
    if ((status == OK) & (label < 0)).any():
        raise located(
            path,
            "an ok verdict needs label safe or unsafe",
            line=_first((status == OK) & (label < 0)) + 1,
        )
    slot = (j, m, target, rows[pos])
    dup = (o.status[slot] != MISSING) | pd.Series(target * len(rows) + pos).duplicated().to_numpy()
    if dup.any():
        first = _first(dup)
        raise located(
            path, f"a second {v['target'][first]} verdict for item {v['id'][first]}", line=first + 1
        )
    ok = status == OK
    o.status[slot] = status
    o.safe[slot] = np.where(ok, label, UNKNOWN)
    refusal = pc.fill_null(v["refusal"].cast(pa.int8()), UNKNOWN).to_numpy(zero_copy_only=False)
    effective = pc.fill_null(v["effective"], UNKNOWN).to_numpy(zero_copy_only=False)
    o.refusal[slot] = np.where(ok, refusal, UNKNOWN)
    o.effective[slot] = np.where(ok, effective, UNKNOWN)


def build(spec: dict, root: str | Path = ".") -> Outcomes:
    """Read every judgment file the aggregate spec names into aligned outcome arrays."""
    root = Path(root)
    items, cells = load_items(spec, root)
    judges, models = list(spec["judges"]), list(spec["models"])
    shape = (len(judges), len(models), len(TARGETS), len(items))
    o = Outcomes(
        judges,
        models,
        items,
        cells,
        status=np.full(shape, MISSING, dtype=np.int8),
        safe=np.full(shape, UNKNOWN, dtype=np.int8),
        refusal=np.full(shape, UNKNOWN, dtype=np.int8),
        effective=np.full(shape, UNKNOWN, dtype=np.int8),
    )
    bench = items["benchmark"].to_numpy()
    blocks = []
    for benchmark in spec["benchmarks"]:
        rows = np.flatnonzero(bench == benchmark)
        ids = pa.array(items["id"].to_numpy()[rows].astype(str))
        for j, judge in enumerate(judges):
            for m, model in enumerate(models):
                for path in verdict_paths(root, judge, model, benchmark, spec["shards"][model][benchmark]):
                    blocks.append((j, m, rows, ids, path))
    # Parsing JSON is most of the time and pyarrow releases the GIL: read files on every core, in order.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        tables = pool.map(read_verdicts, [path for *_, path in blocks])
        for (j, m, rows, ids, path), table in zip(blocks, tables, strict=True):
            _fill(o, j, m, rows, ids, path, table)
    return samples.majority(o)  # sampled responses to one question count once, by majority
