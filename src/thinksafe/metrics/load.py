"""Read the record files aggregation needs: items and verdicts, straight into columns.

Verdict files are read with pyarrow's JSON reader (vectorised, only the fields that count); a file it
cannot read falls back to the line-by-line reader, which names the malformed file and line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from thinksafe import io
from thinksafe.errors import ThinksafeError, located
from thinksafe.records import FAMILIES, LABELS, STATUSES, TARGETS, check

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
    try:
        records = [
            check("item", orjson.loads(line), path) for line in path.read_bytes().splitlines() if line.strip()
        ]
    except (orjson.JSONDecodeError, OSError, ThinksafeError):
        records = io.read_jsonl(path, kind="item")  # the slow reader names the file, line and field
    for lineno, rec in enumerate(records, 1):
        for key in ("id", "family", "category"):
            if key not in rec:
                raise located(path, "missing field", line=lineno, key=key)
        if rec["family"] not in FAMILIES:
            raise located(path, f"family must be one of {', '.join(FAMILIES)}", line=lineno, key="family")
    frame = pd.DataFrame.from_records(records, columns=list(ITEM_COLUMNS))
    # Sampled responses to one question share a group (benchmarks/protocol.py); alone, an item is its own.
    frame["group"] = [
        ((rec.get("protocol") or {}).get("sample") or {}).get("group") or rec["id"] for rec in records
    ]
    dup = frame["id"].duplicated()
    if dup.any():
        raise located(
            path, f"duplicate item id '{frame['id'][dup].iloc[0]}'", line=int(np.flatnonzero(dup)[0]) + 1
        )
    frame["subset"] = frame["subset"].fillna("none").astype(str)
    frame["context"] = frame["context"].fillna("none").astype(str)
    frame["category"] = frame["category"].fillna("none").astype(str)
    return frame


def _schema(effective: pa.DataType) -> pa.Schema:
    return VERDICT_SCHEMA.append(pa.field("extra", pa.struct([("effective", effective)])))


# Tried in order; a file none of them reads (malformed JSON, a mix of types) goes to the slow reader.
FAST_SCHEMAS = (_schema(pa.bool_()), _schema(pa.string()))


def _effective(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """extra.effective as int8: 1 effective, 0 not, null unknown (bool, number or one of EFFECTIVE_WORDS)."""
    if pa.types.is_string(column.type):
        words = pc.utf8_lower(pc.utf8_trim_whitespace(column))
        known = pa.array(list(EFFECTIVE_WORDS))
        flags = pa.array([int(v) for v in EFFECTIVE_WORDS.values()], pa.int8())
        return pc.take(flags, pc.index_in(words, value_set=known))
    return column.cast(pa.int8())


def _arrow_json(path: Path, schema: pa.Schema) -> pa.Table:
    """The schema's fields of every JSONL record, parsed in C++; other fields are skipped unparsed."""
    return pj.read_json(
        path,
        read_options=pj.ReadOptions(use_threads=False, block_size=1 << 24),
        parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
    )


def read_columns(path: Path, schema: pa.Schema, kind: str) -> pa.Table:
    """The schema's fields of a JSONL file of `kind` records; a file pyarrow cannot read goes through the
    line-by-line reader, which names a malformed line or field."""
    try:
        return _arrow_json(path, schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        records = io.read_jsonl(path, kind=kind)
        return pa.Table.from_pylist([{k: r.get(k) for k in schema.names} for r in records], schema=schema)


def read_verdicts(path: Path) -> pa.Table:
    """Columns id, target, label, status (strings), refusal (bool), effective (int8 1/0/null)."""
    if not path.is_file():
        io.read_jsonl(path)  # not found, a directory: the reader's one located error
    table = None
    for schema in FAST_SCHEMAS:
        try:
            table = _arrow_json(path, schema)
            break
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    if table is None:
        table = _read_slow(path)
    effective = _effective(pc.struct_field(table.column("extra"), [0]))  # null where extra is absent
    table = table.drop_columns(["extra"]).append_column("effective", effective)
    if not _valid(table):
        _read_slow(path)  # raises naming the file, line and field
    return table


def _valid(table: pa.Table) -> bool:
    """The fast path's records pass records.SCHEMAS["verdict"] for the columns aggregation reads."""
    ok = pc.all(pc.is_valid(table.column("id"))).as_py() is not False
    for key, allowed, nullable in (
        ("target", TARGETS, False),
        ("status", STATUSES, False),
        ("label", LABELS, True),
    ):
        inside = pc.is_in(table.column(key), value_set=pa.array(allowed))
        ok = (
            ok
            and pc.all(pc.or_(inside, pc.is_null(table.column(key))) if nullable else inside).as_py()
            is not False
        )
    return ok


def _read_slow(path: Path) -> pa.Table:
    """The line-by-line reader: exact error locations, and any mix of types in extra.effective."""
    records = io.read_jsonl(path, kind="verdict")  # raises naming the file, line and field
    cols = {name: [r.get(name) for r in records] for name in VERDICT_SCHEMA.names}
    table = pa.table(cols, schema=VERDICT_SCHEMA)
    effective = [(r.get("extra") or {}).get("effective") for r in records]
    words = [None if e is None else str(e).lower() for e in effective]  # True -> "true", 1 -> "1"
    words = ["true" if w == "1" else "false" if w == "0" else w for w in words]
    extra = pa.StructArray.from_arrays([pa.array(words, pa.string())], ["effective"])
    return table.append_column("extra", extra)
