"""What every adapter shares: where a source lives, which files it has, and how records are checked.

An adapter is a module with SOURCE, LICENSE, FILES, PROTOCOL, `download(spec, out, mirror)` and
`normalize(spec, raw_dir, seed, skips=None) -> list[Item]`. This module holds the pieces they share.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thinksafe.errors import ThinksafeError, located
from thinksafe.io import inside
from thinksafe.records import sha256_file

log = logging.getLogger("thinksafe")


@dataclass(frozen=True)
class Source:
    """An upstream source pinned at one revision; `mirror_dir` is its folder inside an offline mirror."""

    kind: str  # hf | github | embedded
    repo: str
    revision: str
    mirror_dir: str
    note: str = ""

    def url(self, path: str, revision: str | None = None) -> str:
        rev = revision or self.revision
        if self.kind == "hf":  # HF_ENDPOINT as huggingface_hub reads it (a hub mirror, or a test server)
            base = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
            return f"{base}/datasets/{self.repo}/resolve/{rev}/{path}"
        if self.kind == "github":
            base = os.environ.get("THINKSAFE_GITHUB_RAW", "https://raw.githubusercontent.com").rstrip("/")
            return f"{base}/{self.repo}/{rev}/{path}"
        raise ThinksafeError(f"{self.repo}: an {self.kind} source has no download URL")


def hf_file_url(repo: str, path: str, revision: str = "main") -> str:
    return Source("hf", repo, revision, "").url(path)


@dataclass(frozen=True)
class RemoteFile:
    """One file: `path` in the raw dir and in the mirror folder; `upstream` its path at the source."""

    path: str
    sha256: str | None  # None: not yet pinned (its checksum is recorded in MANIFEST.json on download)
    upstream: str | None = None

    @property
    def source_path(self) -> str:
        return self.upstream or self.path


@dataclass(frozen=True)
class ImageArchive:
    """Images that upstream ships as a zip: a mirror may hold the zip or the folder it unpacks to."""

    archive: str  # path of the zip in the mirror folder (and at the source, unless `url` says otherwise)
    folder: str  # folder the images live in once unpacked, relative to the raw dir
    url: str | None = None  # where the zip is downloaded from; None: no direct link (manual step)
    strip: str = ""  # leading folder inside the zip to drop when unpacking
    how: str = ""  # what a user does when there is no direct link


@dataclass
class Skips:
    """Records that could not be normalized. Counted and reported; a run with any fails unless allowed."""

    allowed: bool = False
    records: list[str] = field(default_factory=list)

    def add(self, error: ThinksafeError) -> None:
        self.records.append(str(error))
        log.warning("skipped: %s", error)

    def __len__(self) -> int:
        return len(self.records)


def skip_or_raise(skips: Skips | None, error: ThinksafeError) -> None:
    """A record-level problem: collect it when a collector is given, otherwise stop."""
    if skips is None:
        raise error
    skips.add(error)


# --- reading upstream files, errors naming file and line -------------------------------------------------


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise located(path, "file not found in the raw download") from None
    except json.JSONDecodeError as e:
        raise located(path, f"malformed JSON ({e.msg})", line=e.lineno) from None
    except UnicodeDecodeError as e:
        raise located(path, f"not UTF-8 ({e.reason})") from None


def read_csv(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row); a missing column or a ragged row names the file and line."""
    try:
        f = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        raise located(path, "file not found in the raw download") from None
    with f:
        reader = csv.reader(f, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise located(path, "empty CSV", line=1) from None
        except csv.Error as e:
            raise located(path, f"malformed CSV ({e})", line=1) from None
        missing = [c for c in required if c not in header]
        if missing:
            raise located(path, f"malformed CSV: missing column(s) {', '.join(missing)}", line=1)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise located(path, f"malformed CSV ({e})", line=reader.line_num) from None
            if not row:
                continue
            if len(row) != len(header):
                raise located(
                    path,
                    f"malformed CSV: {len(row)} fields, the header has {len(header)}",
                    line=reader.line_num,
                )
            yield reader.line_num, dict(zip(header, row, strict=True))


def need(record: dict, key: str, where: str, kind: type | tuple[type, ...] = str) -> Any:
    """A required field of an upstream record, of the right type."""
    if not isinstance(record, dict) or key not in record:
        raise ThinksafeError(f"{where}: missing field '{key}'")
    value = record[key]
    if not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ThinksafeError(f"{where}: field '{key}' is {type(value).__name__}, expected {names}")
    return value


# --- images ------------------------------------------------------------------------------------------------


def project_path(path: Path) -> str:
    """A path as items store it: relative to the project root (the working directory) when inside it."""
    path = Path(path)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def checked_image(path: Path, where: str) -> tuple[str, str]:
    """(project-relative path, sha256) of an image that exists and decodes; else a located error."""
    from PIL import UnidentifiedImageError

    from thinksafe.images import ImageTooLarge, open_image

    if not path.is_file():
        raise ThinksafeError(f"{where}: image not found: {path}")
    try:
        with open_image(path) as im:
            im.load()
    except ImageTooLarge as e:
        raise ThinksafeError(f"{where}: image refused: {e}") from None
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise ThinksafeError(f"{where}: image does not decode: {path} ({e})") from None
    return project_path(path), sha256_file(path)


def data_image(root: Path, rel: str, where: str) -> tuple[str, str]:
    """`checked_image` for an image path taken from upstream data: it must stay inside `root`."""
    return checked_image(inside(root, rel, where), where)


def source_ref(source: Source, path: str, revision: str | None = None) -> dict[str, str]:
    return {"repo": source.repo, "revision": revision or source.revision, "path": path}


def revision(spec: dict, source: Source) -> str:
    return spec.get("revision") or source.revision


def check_choice(value: str, choices: tuple[str, ...] | list[str], key: str) -> str:
    if value not in choices:
        raise ThinksafeError(f"config key {key}: unknown value '{value}' (one of: {', '.join(choices)})")
    return value
