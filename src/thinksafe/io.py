"""Whole-or-nothing outputs and resumable partial files.

A declared output is written to a temporary sibling and renamed into place, so a reader (or Snakemake)
never sees half of it. Long jobs append finished records to an undeclared `.partial` file, fsync each
line, and promote it at the end; a restarted job reads the ids already done and skips them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from thinksafe.errors import ThinksafeError, located


def inside(root: str | Path, rel: str | Path, origin: object = None) -> Path:
    """`root / rel` for a path taken from data: an error, naming `origin`, when `rel` is empty or
    absolute or when the resolved path (after `..` and symlinks) leaves the resolved `root`.
    Returns the join unresolved, so stored paths keep their project-relative form."""
    text = str(rel)
    where = origin if origin is not None else root
    if not text or "\x00" in text or Path(text).is_absolute() or text.startswith("\\"):
        raise ThinksafeError(f"{where}: path {text!r} is empty or absolute (must stay inside {root})")
    base = Path(root).resolve()
    target = (base / text).resolve()
    if target != base and base not in target.parents:
        raise ThinksafeError(f"{where}: path {text!r} leads outside {root}")
    return Path(root) / text


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _tmp_sibling(path: Path, suffix: str = "") -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    # mkstemp creates 0600; an output must be readable like any other file on a shared cluster.
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to `path`; rename it over `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_sibling(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temporary directory next to `path`; it replaces `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmpdir", dir=path.parent))
    tmp.chmod(0o777 & ~_umask())
    try:
        yield tmp
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def write_jsonl(path: str | Path, records: Iterable[dict]) -> int:
    n = 0
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    return n


def read_jsonl(path: str | Path, kind: str | None = None) -> list[dict]:
    """Read a JSONL file of records of `kind` (item, generation, verdict: records.SCHEMAS).

    Whatever is wrong (a missing file, a directory, another encoding, malformed JSON, a line that is not
    an object, a missing field or one of the wrong type) stops with one error naming the file and line.
    """
    from thinksafe.records import check

    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise located(path, "file not found") from None
    except IsADirectoryError:
        raise located(path, "is a directory, expected a JSONL file") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise located(path, "UTF-16 text (byte-order mark); records are UTF-8 JSON lines", line=1)
    out = []
    for lineno, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), 1):
        if b"\x00" in raw:  # valid UTF-8, but no JSON text holds a NUL byte: UTF-16 without a BOM
            raise located(path, "NUL bytes (UTF-16 text?); records are UTF-8 JSON lines", line=lineno)
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise located(
                path, f"not UTF-8 ({e.reason} at byte {e.start} of the line)", line=lineno
            ) from None
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise located(path, f"malformed JSON ({e.msg})", line=lineno) from None
        out.append(check(kind, rec, path, lineno) if kind else _object(rec, path, lineno))
    return out


def _object(rec: Any, path: Path, lineno: int) -> dict:
    if not isinstance(rec, dict):
        raise located(path, f"expected a JSON object, got {type(rec).__name__}", line=lineno)
    return rec


def read_json(path: str | Path) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise located(path, f"malformed JSON ({e.msg})", line=e.lineno) from None
    except FileNotFoundError:
        raise located(path, "file not found") from None
    except IsADirectoryError:
        raise located(path, "is a directory, expected a JSON file") from None
    except UnicodeDecodeError as e:
        raise located(path, f"not UTF-8 ({e.reason} at byte {e.start})") from None


class PartialFile:
    """Append-only record log for a long job, keyed by record id.

    `done` holds the ids already written (a torn last line from a killed job is dropped and
    rewritten); `append` writes and fsyncs one record; `promote` renames the log to the declared
    output in one step, in the order of `order` when given.
    """

    def __init__(self, output: str | Path, key: str = "id"):
        self.output = Path(output)
        self.path = self.output.with_name(self.output.name + ".partial")
        self.key = key
        self.records: dict[str, dict] = {}
        self.output.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            self._load()
        self._fh = self.path.open("a", encoding="utf-8")

    def _load(self) -> None:
        raw = self.path.read_bytes()
        good = 0
        for line in raw.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break  # torn write from a kill: everything after the last newline is discarded
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                break
            self.records.setdefault(rec[self.key], rec)
            good += len(line)
        if good != len(raw):
            with self.path.open("r+b") as f:
                f.truncate(good)

    @property
    def done(self) -> set[str]:
        return set(self.records)

    def append(self, rec: dict) -> None:
        if rec[self.key] in self.records:
            return
        self._fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.records[rec[self.key]] = rec

    def promote(self, order: Iterable[str] | None = None) -> int:
        self._fh.close()
        ids = list(order) if order is not None else list(self.records)
        missing = [i for i in ids if i not in self.records]
        if missing:
            raise located(self.path, f"{len(missing)} records missing before promotion (first: {missing[0]})")
        n = write_jsonl(self.output, (self.records[i] for i in ids))
        self.path.unlink()
        return n

    def close(self) -> None:
        self._fh.close()
