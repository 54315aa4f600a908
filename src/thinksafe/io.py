"""Whole-or-nothing outputs and resumable partial files.

A declared output is written to a temporary sibling and renamed into place, so a reader (or Snakemake)
never sees half of it; files that belong together are staged in one folder and committed by one rename.
Long jobs append finished records to an undeclared `.partial` file, fsync each line, and promote it at the
end; a restarted job reads the ids already done and skips them.

Every partial (a record log, or a folder of training checkpoints) is claimed with the fingerprint of
what produces it: the spec and the identity of its input data. The fingerprint sits beside the partial in
`<partial>.fingerprint`; a partial found under another fingerprint, or under none, is discarded with a log
line before anything is resumed from it, so a resumed job never mixes in work done for another spec.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
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

log = logging.getLogger("thinksafe")


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
    with atomic_paths(path) as (tmp,):
        yield tmp


@contextlib.contextmanager
def atomic_paths(*paths: str | Path) -> Iterator[list[Path]]:
    """Temporary siblings of outputs that belong together (a shard and its .meta.json); they are renamed
    in, in order and back to back, only once every one is written: a failure while writing leaves all
    old. Files sharing a folder with others cannot be swapped as one folder (see commit_files)."""
    temps: list[Path] = []
    try:
        for path in map(Path, paths):
            path.parent.mkdir(parents=True, exist_ok=True)
            temps.append(_tmp_sibling(path))
        yield temps
        for tmp, path in zip(temps, paths, strict=True):
            os.replace(tmp, path)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temporary directory next to `path`; it replaces `path` only if the block succeeds."""
    path = Path(path)
    if path.name in ("", ".", "..") or path.resolve() in (Path.cwd(), *Path.cwd().parents):
        # `data/raw/..` would replace data/ whole; the working directory, everything under it.
        raise located(path, "cannot be replaced as an output folder (it is or holds the working directory)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmpdir", dir=path.parent))
    tmp.chmod(0o777 & ~_umask())
    try:
        yield tmp
        _swap_dir(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported (NFS, macOS)."""
    libc = ctypes.util.find_library("c")
    fn = getattr(ctypes.CDLL(libc, use_errno=True), "renameat2", None) if libc else None
    if fn is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _swap_dir(new: Path, path: Path) -> None:
    """Put folder `new` at `path`: exchanged in one step where the file system can, else the old folder
    is renamed aside first (deleting it in place would leave half of it if the job were killed)."""
    if not path.exists():
        os.replace(new, path)
        return
    if _exchange(new, path):
        shutil.rmtree(new)  # now the old folder
        return
    old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
    os.replace(path, old / path.name)
    try:
        os.replace(new, path)
    except BaseException:
        os.replace(old / path.name, path)  # put the old folder back: all old, never nothing
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def commit_files(folder: str | Path, texts: dict[str, str]) -> None:
    """Write the files `texts` (name -> text) as one set: all new or, if anything fails, all old.

    They are staged in a sibling folder, with any other file already in `folder` carried over by hard
    link, and the staging folder replaces `folder` in one step (see `_swap_dir`). A full disk, a
    permission error or a kill while staging leaves the old set in place. A mount point cannot be
    replaced: there the set is staged inside it (so a full or read-only mount fails while staging)
    and renamed in file by file, which only a kill between two renames can leave mixed.
    """
    folder = Path(folder)
    if os.path.ismount(folder):
        stage = Path(tempfile.mkdtemp(prefix=".commit.", suffix=".tmpdir", dir=folder))
        try:
            for name, text in texts.items():
                _write_synced(stage / name, text)
            for name in texts:
                os.replace(stage / name, folder / name)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        return
    with atomic_dir(folder) as tmp:
        if folder.is_dir():
            for entry in folder.iterdir():
                if entry.name not in texts:
                    _carry(entry, tmp / entry.name)
        for name, text in texts.items():
            _write_synced(tmp / name, text)


def _write_synced(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())  # on disk before the rename that makes it visible


def _carry(src: Path, dst: Path) -> None:
    if src.is_dir() and not src.is_symlink():
        shutil.copytree(src, dst, symlinks=True, copy_function=_link_or_copy)
    elif src.is_symlink():
        os.symlink(os.readlink(src), dst)
    else:
        _link_or_copy(src, dst)


def _link_or_copy(src: str | Path, dst: str | Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def write_jsonl(path: str | Path, records: Iterable[dict]) -> int:
    with atomic_path(path) as tmp:
        return _dump_jsonl(tmp, records)


def _dump_jsonl(path: Path, records: Iterable[dict]) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as f:
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
    return [
        check(kind, rec, path, lineno) if kind else _object(rec, path, lineno)
        for lineno, rec in numbered_jsonl(path)
    ]


def numbered_jsonl(path: str | Path) -> list[tuple[int, Any]]:
    """(line number, parsed value) of every non-blank line of a UTF-8 JSONL file; a missing file, a
    directory, another encoding or malformed JSON stops with one error naming the file and line."""
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
            out.append((lineno, json.loads(line)))
        except json.JSONDecodeError as e:
            raise located(path, f"malformed JSON ({e.msg})", line=lineno) from None
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


def fingerprint(*parts: Any) -> str:
    """The sha256 of `parts` as canonical JSON: what a partial was produced by."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def result_spec(spec: dict | None) -> dict | None:
    """A spec less what changes no result, for a fingerprint: memory and runtime leave it (a job given
    more time after a timeout must resume), the GPU count stays (device, dtype, processes)."""
    if not isinstance(spec, dict) or "resources" not in spec:
        return spec
    gpus = int((spec.get("resources") or {}).get("gpus", 0))
    return {**{k: v for k, v in spec.items() if k != "resources"}, "gpus_in_resources": gpus}


def fingerprint_path(partial: str | Path) -> Path:
    partial = Path(partial)
    return partial.with_name(partial.name + ".fingerprint")


def claim(partial: str | Path, fp: str, what: str, parts: Callable[[], list[Path]] | None = None) -> bool:
    """Make the partial at `partial` belong to fingerprint `fp`; True when there is one to resume.

    `parts` lists the paths that make up the partial (default: `partial` itself, a file or a folder).
    If any exists under another fingerprint, or with none recorded, all are removed, with a warning
    naming `what` and both fingerprints. The new fingerprint is recorded before any work is appended,
    so a partial never holds work done under a fingerprint other than its own.
    """
    partial, stamp = Path(partial), fingerprint_path(partial)
    found = [p for p in (parts() if parts else [partial]) if p.exists() or p.is_symlink()]
    old = stamp.read_text(encoding="utf-8").strip() if stamp.is_file() else None
    if found and old != fp:
        log.warning(
            "%s: stale %s discarded (%s, now %s); starting over",
            partial,
            what,
            f"written under fingerprint {old[:12]}" if old else "no fingerprint recorded",
            fp[:12],
        )
        for p in found:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
    if old != fp:
        write_text(stamp, fp + "\n")
    return bool(found) and old == fp


def release(partial: str | Path) -> None:
    """Remove a partial and its fingerprint once its output is written."""
    partial = Path(partial)
    if partial.is_dir() and not partial.is_symlink():
        shutil.rmtree(partial)
    else:
        partial.unlink(missing_ok=True)
    fingerprint_path(partial).unlink(missing_ok=True)


def partial_path(output: str | Path) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".partial")


class PartialFile:
    """Append-only record log for a long job, keyed by record id, claimed with a fingerprint.

    `done` holds the ids already written (a torn last line from a killed job is dropped and
    rewritten; a log written under another fingerprint is discarded first, see `claim`); `append`
    writes and fsyncs one record; `promote` renames the log to the declared output in one step, in
    the order of `order` when given.
    """

    def __init__(self, output: str | Path, *, fingerprint: str, key: str = "id", what: str = "partial"):
        self.output = Path(output)
        self.path = partial_path(self.output)
        self.key = key
        self.records: dict[str, dict] = {}
        self.output.parent.mkdir(parents=True, exist_ok=True)
        if claim(self.path, fingerprint, what):
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

    def promote(self, order: Iterable[str] | None = None, sidecars: dict[Path, str] | None = None) -> int:
        """Write the output (and `sidecars`, path -> text, such as its .meta.json) as one set, then drop
        the log: a failure before the set is in place keeps the log for the rerun."""
        self._fh.close()
        ids = list(order) if order is not None else list(self.records)
        missing = [i for i in ids if i not in self.records]
        if missing:
            raise located(self.path, f"{len(missing)} records missing before promotion (first: {missing[0]})")
        sidecars = sidecars or {}
        with atomic_paths(*sidecars, self.output) as temps:
            for tmp, text in zip(temps, sidecars.values(), strict=False):
                tmp.write_text(text, encoding="utf-8")
            n = _dump_jsonl(temps[-1], (self.records[i] for i in ids))
        release(self.path)
        return n

    def close(self) -> None:
        self._fh.close()
