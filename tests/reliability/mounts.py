"""Small filesystems for the disk-full and read-only tests: a tmpfs of a few KiB, mounted by the test.

Mounting needs root (CI runs as root); elsewhere the tests skip and say why. A read-only directory is a
tmpfs mounted `ro`: root ignores a directory's permission bits, a read-only mount it cannot ignore.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def tmpfs(where: Path, size_kib: int, read_only: bool = False) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    options = f"size={size_kib}k" + (",ro" if read_only else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True,
                          text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(where: Path, leave_bytes: int) -> None:
    """Write a filler file until only about `leave_bytes` stay free."""
    stat = os.statvfs(where)
    free = stat.f_bavail * stat.f_frsize
    with (where / "filler").open("wb") as f:
        with contextlib.suppress(OSError):
            f.write(b"\0" * max(0, free - leave_bytes))
