"""Hostile inputs made at run time: a PNG that declares a huge size in a few hundred bytes, a huge prompt."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def declared_png(path: Path, width: int, height: int) -> Path:
    """A PNG whose header declares width x height (8-bit grey) but whose data is one short row: what an
    attacker ships (Pillow reads the size from the header, before any pixel)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" + b"\x00" * min(width, 64))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")
    )
    return path


def huge_prompt(n_bytes: int = 1 << 20) -> str:
    """About n_bytes of varied words (a repeated single word would tokenize into few tokens)."""
    words = [f"w{i % 9973}x" for i in range(n_bytes // 6)]
    return " ".join(words)[:n_bytes]
