"""Read the record files aggregation needs: items and verdicts, straight into columns.

Verdict files are read with pyarrow's JSON reader (vectorised, only the fields that count); a file it
cannot read falls back to the line-by-line reader, which names the malformed file and line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pj

from thinksafe import io
from thinksafe.errors import located
from thinksafe.records import FAMILIES

ITEM_COLUMNS = ("id", "benchmark", "family", "category", "subset", "context", "pair_id")
VERDICT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("target", pa.string()),
        ("label", pa.string()),
        ("status", pa.string()),
        ("refusal", pa.bool_()),
    ]
)
# What a judge may write in extra["effective"] (SIUO's effectiveness judgment), mapped to effective or not.
EFFECTIVE_WORDS = {
    "very effective": True,
    "partially effective": True,
    "effective": True,
    "very": True,
    "partially": True,
    "yes": True,
    "true": True,
    "ineffective": False,
    "not effective": False,
    "no": False,
    "false": False,
}


def item_path(root: Path, benchmark: str) -> Path:
    return root / "data" / "items" / f"{benchmark}.jsonl"


def verdict_paths(root: Path, judge: str, model: str, benchmark: str, shards: list[str]) -> list[Path]:
    return [root / "results" / "judgments" / judge / model / benchmark / f"{s}.jsonl" for s in shards]


def read_items(path: Path) -> pd.DataFrame:
    """Items of one benchmark, in file order (the order every aligned array follows)."""
    if not path.exists():
        raise located(path, "items file not found")
    records = io.read_jsonl(path)
    for lineno, rec in enumerate(records, 1):
        for key in ("id", "family", "category"):
            if key not in rec:
                raise located(path, "missing field", line=lineno, key=key)
        if rec["family"] not in FAMILIES:
            raise located(path, f"family must be one of {', '.join(FAMILIES)}", line=lineno, key="family")
    frame = pd.DataFrame.from_records(records, columns=list(ITEM_COLUMNS))
    dup = frame["id"].duplicated()
    if dup.any():
        raise located(
            path, f"duplicate item id '{frame['id'][dup].iloc[0]}'", line=int(np.flatnonzero(dup)[0]) + 1
        )
    frame["subset"] = frame["subset"].fillna("none").astype(str)
    frame["context"] = frame["context"].fillna("none").astype(str)
    frame["category"] = frame["category"].fillna("none").astype(str)
    return frame


def _effective(column: pa.ChunkedArray | None, n: int) -> np.ndarray:
    """1.0 / 0.0 / NaN per verdict from extra.effective (bool, number or one of EFFECTIVE_WORDS)."""
    if column is None:
        return np.full(n, np.nan)
    if (
        pa.types.is_boolean(column.type)
        or pa.types.is_integer(column.type)
        or pa.types.is_floating(column.type)
    ):
        return column.cast(pa.float64()).to_numpy(zero_copy_only=False).astype(float)
    if pa.types.is_null(column.type):
        return np.full(n, np.nan)
    words = pd.Series(column.to_pandas(), dtype=object).astype("string").str.strip().str.lower()
    return words.map(EFFECTIVE_WORDS).astype(float).to_numpy()


def read_verdicts(path: Path) -> pd.DataFrame:
    """Columns id, target, label, status, refusal (float 1/0/NaN), effective (float 1/0/NaN)."""
    if not path.exists():
        raise located(path, "judgment file not found")
    try:
        table = pj.read_json(
            path,
            read_options=pj.ReadOptions(use_threads=True, block_size=1 << 24),
            parse_options=pj.ParseOptions(explicit_schema=VERDICT_SCHEMA, unexpected_field_behavior="infer"),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        table = _read_slow(path)
    n = table.num_rows
    effective = None
    if "extra" in table.column_names and pa.types.is_struct(table.schema.field("extra").type):
        extra_type = table.schema.field("extra").type
        if extra_type.get_field_index("effective") >= 0:
            effective = pa.chunked_array(
                [c.field("effective") for c in table.column("extra").chunks],
                type=extra_type.field("effective").type,
            )
    out = pd.DataFrame(
        {c: table.column(c).to_numpy(zero_copy_only=False) for c in ("id", "target", "label", "status")}
    )
    out["refusal"] = table.column("refusal").cast(pa.float64()).to_numpy(zero_copy_only=False).astype(float)
    out["effective"] = _effective(effective, n)
    for key in ("id", "target", "status"):
        if out[key].isna().any():
            raise located(path, "missing field", line=int(np.flatnonzero(out[key].isna())[0]) + 1, key=key)
    return out


def _read_slow(path: Path) -> pa.Table:
    """The line-by-line reader: exact error locations, and any mix of types in extra."""
    records = io.read_jsonl(path)  # raises naming the file and line of malformed JSON
    cols: dict[str, list] = {name: [r.get(name) for r in records] for name in VERDICT_SCHEMA.names}
    for lineno, rec in enumerate(records, 1):
        if not isinstance(rec.get("refusal"), bool | None):
            raise located(path, "must be true, false or null", line=lineno, key="refusal")
    table = pa.table(cols, schema=VERDICT_SCHEMA)
    effective = [(r.get("extra") or {}).get("effective") for r in records]
    effective = [str(e) if e is not None and not isinstance(e, bool) else e for e in effective]
    if any(isinstance(e, str) for e in effective):
        effective = [str(e).lower() if e is not None else None for e in effective]
    return table.append_column("extra", pa.StructArray.from_arrays([pa.array(effective)], ["effective"]))
