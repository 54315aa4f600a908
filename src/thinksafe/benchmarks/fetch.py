"""Get a source's files into a raw dir: from an offline mirror, or over the network, verified by sha256.

Network downloads go to a cache beside the raw dirs (`data/raw/.downloads/<name>/`): bytes land in a
`.part` file that a rerun resumes with an HTTP Range request, and only a file whose sha256 matches is
renamed to its final name. A file already complete in the cache is never fetched again, so a second run
does no network work. The raw dir itself is assembled inside `thinksafe.io.atomic_dir` by the caller.
"""

from __future__ import annotations

import http.client
import logging
import os
import shutil
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from thinksafe.benchmarks.base import ImageArchive, RemoteFile, Source
from thinksafe.errors import ThinksafeError
from thinksafe.io import inside
from thinksafe.records import sha256_file, stable_id

log = logging.getLogger("thinksafe")
CHUNK = 1 << 20
TIMEOUT_S = 60


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")


def place(src: Path, dest: Path) -> None:
    """Hard-link when possible (big image sets), else copy."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def from_mirror(mirror: Path, folder: str, rel: str) -> Path:
    """A mirror file's real path: `rel` must stay inside the source's mirror folder, symlinks included
    (one that points elsewhere in that folder is read as its target's content; one that leaves it is
    refused)."""
    path = inside(mirror / folder, rel, f"mirror {mirror}: {folder}")
    if not path.is_file():
        raise ThinksafeError(f"mirror {mirror} lacks {folder}/{rel}")
    return path.resolve()


def verify(path: Path, expected: str | None, origin: str) -> str:
    actual = sha256_file(path)
    if expected is not None and actual != expected:
        raise ThinksafeError(f"{origin}: checksum mismatch (sha256 {actual}, expected {expected})")
    return actual


def http_get(url: str, part: Path) -> None:
    """Append the rest of `url` to `part`, resuming from its current size."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "thinksafe"}
    token = os.environ.get("HF_TOKEN")
    if token and "/datasets/" in url:
        headers["Authorization"] = f"Bearer {token}"  # gated datasets (VLGuard)
    if have:
        headers["Range"] = f"bytes={have}-"
    req = urllib.request.Request(url, headers=headers)
    try:
        resp = urllib.request.urlopen(req, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # nothing left to send: the .part is already whole
            return
        raise ThinksafeError(f"{url}: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, TimeoutError) as e:
        raise ThinksafeError(f"{url}: download failed ({getattr(e, 'reason', e)})") from None
    with resp:
        # A server that ignores Range sends the whole file again (200): start the .part over.
        mode = "ab" if have and resp.status == 206 else "wb"
        expected = resp.headers.get("Content-Length")
        got = 0
        with part.open(mode) as f:
            try:
                while chunk := resp.read(CHUNK):
                    f.write(chunk)
                    got += len(chunk)
            except (OSError, http.client.HTTPException) as e:
                raise ThinksafeError(f"{url}: download interrupted ({e}); rerun to resume") from None
        # A dropped connection can look like a clean end of body: count the bytes.
        if expected is not None and got < int(expected):
            raise ThinksafeError(f"{url}: download interrupted ({got} of {expected} bytes); rerun to resume")


def fetch(url: str, cached: Path, sha256: str | None) -> Path:
    """The verified file at `cached`, downloading it (resumably) only when it is not there yet."""
    if cached.is_file():
        return cached
    if offline():
        raise ThinksafeError(f"{url}: not downloaded yet and HF_HUB_OFFLINE is set (use --mirror DIR)")
    cached.parent.mkdir(parents=True, exist_ok=True)
    part = cached.with_name(cached.name + ".part")
    log.info("downloading %s", url)
    http_get(url, part)
    try:
        verify(part, sha256, url)
    except ThinksafeError:
        part.unlink()  # a corrupt .part must not be resumed
        raise
    os.replace(part, cached)
    return cached


def get_files(
    source: Source, files: list[RemoteFile], out: Path, mirror: Path | None, cache: Path, rev: str
) -> dict[str, str]:
    """Place every file under `out`; returns {path: sha256} for the manifest."""
    manifest: dict[str, str] = {}
    unpinned = [rf.path for rf in files if rf.sha256 is None]
    if unpinned:  # said once per call: image lists name thousands of files
        log.warning(
            "%s: %d file(s) not pinned by sha256 (first: %s); their checksums go to MANIFEST.json",
            source.repo,
            len(unpinned),
            unpinned[0],
        )
    for rf in files:
        dest = inside(out, rf.path, f"{source.repo}: file list")  # paths may come from upstream data
        if mirror is not None:
            src = from_mirror(mirror, source.mirror_dir, rf.path)
            manifest[rf.path] = verify(src, rf.sha256, str(mirror / source.mirror_dir / rf.path))
        else:
            # keyed by revision: a file that is not pinned by sha256 must not outlive a revision change
            cached = inside(cache, f"{rev}/{rf.path}", f"{source.repo}: revision {rev!r}, file list")
            src = fetch(source.url(rf.source_path, rev), cached, rf.sha256)
            manifest[rf.path] = verify(src, rf.sha256, str(src))
        place(src, dest)
    return manifest


def unzip(archive: Path, dest: Path, strip: str, wanted: set[str] | None = None) -> int:
    """Unpack `archive` into `dest`, dropping the leading folder `strip`; refuses paths that escape.
    With `wanted`, only those member paths (after stripping) are unpacked."""
    n = 0
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                name = info.filename
                if info.is_dir() or name.startswith("__MACOSX/"):
                    continue
                if strip and name.startswith(strip.rstrip("/") + "/"):
                    name = name[len(strip.rstrip("/")) + 1 :]
                if wanted is not None and name not in wanted:
                    continue
                target = (dest / name).resolve()
                if not str(target).startswith(str(dest.resolve()) + os.sep):
                    raise ThinksafeError(f"{archive}: member {info.filename} escapes the target folder")
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, target.open("wb") as f:
                    shutil.copyfileobj(src, f, CHUNK)
                n += 1
    except zipfile.BadZipFile as e:
        raise ThinksafeError(f"{archive}: not a readable zip ({e})") from None
    return n


def get_images(
    source: Source,
    images: ImageArchive,
    out: Path,
    mirror: Path | None,
    cache: Path,
    wanted: set[str] | None = None,
) -> int:
    """Place an image set under `out/<folder>`: the mirror's unpacked folder, or its zip, or a download.
    With `wanted` (paths relative to the folder), only those images; each must be there."""
    dest = out / images.folder
    if mirror is not None:
        base = f"{source.mirror_dir}/{images.folder}"
        folder = inside(mirror, base, f"mirror {mirror}")
        zipped = inside(mirror, f"{source.mirror_dir}/{images.archive}", f"mirror {mirror}")
        if folder.is_dir():
            if wanted is not None:
                for rel in sorted(wanted):
                    place(from_mirror(mirror, base, rel), inside(dest, rel, f"{source.repo}: image list"))
                return len(wanted)
            n = 0
            for src in sorted(p for p in folder.rglob("*") if p.is_file()):
                rel = src.relative_to(folder).as_posix()
                place(from_mirror(mirror, base, rel), dest / rel)
                n += 1
            return n
        if zipped.is_file():
            return _unzip_checked(zipped, dest, images.strip, wanted)
        raise ThinksafeError(
            f"mirror {mirror} lacks the images: neither {source.mirror_dir}/{images.folder}/ "
            f"nor {source.mirror_dir}/{images.archive}" + (f" ({images.how})" if images.how else "")
        )
    if images.url is None:
        raise ThinksafeError(
            f"{source.repo}: the images ({images.archive}) have no direct download link; {images.how}"
        )
    zipped = fetch(images.url, cache / stable_id(images.url) / Path(images.archive).name, None)
    try:
        return _unzip_checked(zipped, dest, images.strip, wanted)
    except ThinksafeError:
        zipped.unlink()  # unpinned archives are checked by unpacking: a bad one must be fetched again
        raise


def _unzip_checked(archive: Path, dest: Path, strip: str, wanted: set[str] | None) -> int:
    n = unzip(archive, dest, strip, wanted)
    if wanted is not None:
        missing = sorted(rel for rel in wanted if not (dest / rel).is_file())
        if missing:
            raise ThinksafeError(f"{archive}: lacks {len(missing)} wanted image(s) (first: {missing[0]})")
    return n


def get_listed(
    source: Source, paths: list[str], out: Path, mirror: Path | None, cache: Path, rev: str, prefix: str = ""
) -> int:
    """Files the data itself names (one download per image), at `prefix + path` everywhere."""
    files = [RemoteFile(prefix + p, None) for p in sorted(set(paths))]
    get_files(source, files, out, mirror, cache, rev)
    return len(files)
