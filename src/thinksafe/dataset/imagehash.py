"""Perceptual image hashes (dHash and pHash, 64 bits each) with Pillow and numpy.

Both survive re-encoding, resizing and small edits that change every byte of the file: dHash compares
neighbouring pixels of a 9×8 thumbnail; pHash keeps the signs of the 8×8 lowest frequencies of a
32×32 DCT against their median. Two images are near-duplicates when both hashes are within a few bits.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np


def _gray(path: str | Path, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("L").resize(size, Image.Resampling.LANCZOS), dtype=np.float64)


def _bits(mask: np.ndarray) -> int:
    return int("".join("1" if b else "0" for b in mask.ravel()), 2)


def dhash(path: str | Path) -> int:
    px = _gray(path, (9, 8))
    return _bits(px[:, 1:] > px[:, :-1])


@cache
def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    m = np.cos(np.pi * (2 * np.arange(n)[None, :] + 1) * k / (2 * n)) * np.sqrt(2 / n)
    m[0] /= np.sqrt(2)
    return m


def phash(path: str | Path) -> int:
    px = _gray(path, (32, 32))
    d = _dct_matrix(32)
    low = (d @ px @ d.T)[:8, :8]
    return _bits(low > np.median(low.ravel()[1:]))  # the DC term would dominate the median


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()
