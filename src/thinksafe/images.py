"""Opening untrusted images: the pixel count is checked from the header, before a pixel is decoded.

A PNG a few hundred bytes long can declare 20000x20000 pixels; decoding it takes over a gigabyte, and
Pillow's own guard (`DecompressionBombError`, at twice `Image.MAX_IMAGE_PIXELS`) is an exception no
caller expected. Every place that opens an image from data goes through `open_image`, which raises
ImageTooLarge, a ValueError, so a caller's existing "does not decode" handling turns it into an error on
that record (an error generation, a counted skip in normalize, a note in the report).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import IO, Any

# 50 megapixels: above every image of the benchmarks here (MM-SafetyBench's stacked SD+TYPO images are
# about 1 MP) and 25 times what Qwen2.5-VL's processor keeps (max_pixels 12845056 = 12.8 MP); 150 MB as RGB.
MAX_PIXELS = 50_000_000


class ImageTooLarge(ValueError):
    """The image declares more pixels than MAX_PIXELS."""


def open_image(source: str | Path | IO[bytes], max_pixels: int = MAX_PIXELS) -> Any:
    """`PIL.Image.open(source)` (lazy: nothing decoded yet) once its declared size is within budget."""
    from PIL import Image

    name = source if isinstance(source, str | Path) else "image data"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # we decide, just below
            im = Image.open(source)
    except Image.DecompressionBombError as e:
        raise ImageTooLarge(f"{name}: over the pixel budget of {max_pixels:,} ({e})") from None
    width, height = im.size
    if width * height > max_pixels:
        im.close()
        raise ImageTooLarge(
            f"{name}: {width}x{height} = {width * height:,} pixels, over the pixel budget of {max_pixels:,}"
        )
    return im
