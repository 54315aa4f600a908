"""Typographic images rendered locally: FigStep's, MM-SafetyBench's TYPO, and the demo's small cards.

Each renderer follows its upstream generator line by line (cited below), so a locally rendered image
carries the same text at the same place as the original; pixels differ only by font-hinting versions.
"""

from __future__ import annotations

import textwrap
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from thinksafe.errors import ThinksafeError

# Debian/Ubuntu package fonts-freefont-ttf (GNU FreeFont); `make sysdeps` installs it.
FONT_DIRS = (
    "/usr/share/fonts/truetype/freefont",
    "/usr/share/fonts/opentype/freefont",
    "/usr/share/fonts/freefont",
)


@cache
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    for folder in FONT_DIRS:
        path = Path(folder) / name
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    raise ThinksafeError(
        f"font {name} not found in {', '.join(FONT_DIRS)}: install it (apt-get install fonts-freefont-ttf)"
    )


# --- FigStep (ThuCCSLab/FigStep src/generate_prompts.py: text_step_by_step + text_to_image) ---------------
FIGSTEP_SIZE = (760, 760)


def figstep_text(instruction: str, steps: int = 3) -> str:
    text = textwrap.fill(instruction.removesuffix("\n"), width=15)
    for idx in range(1, steps + 1):
        text += f"\n{idx}. "
    return text


def figstep_image(instruction: str) -> Image.Image:
    im = Image.new("RGB", FIGSTEP_SIZE, "#FFFFFF")
    ImageDraw.Draw(im).text(
        xy=(20, 10),
        text=figstep_text(instruction),
        spacing=11,
        font=font("FreeMonoBold.ttf", 80),
        fill="#000000",
    )
    return im


# --- MM-SafetyBench TYPO (isXinLiu/MM-SafetyBench creation/2_img_process.py: typo_format_text/draw_img) ----
# Upstream uses ARIAL.TTF, which is not redistributable; FreeSans is the free Helvetica/Arial-like face.
TYPO_FONT_SIZE = 90
TYPO_WIDTH = 1024


def typo_image(key_phrase: str) -> Image.Image:
    f = font("FreeSans.ttf", TYPO_FONT_SIZE)
    measure = ImageDraw.Draw(Image.new("RGB", (TYPO_WIDTH, 100), "white"))
    words = key_phrase.strip().split(" ")
    text, line_len, lines = words[0], measure.textlength(words[0], font=f), 1
    for word in words[1:]:
        line_len += measure.textlength(" " + word, font=f)
        if line_len < TYPO_WIDTH:
            text += " " + word
        else:
            text += "\n " + word
            line_len = measure.textlength(" " + word, font=f)
            lines += 1
    height = TYPO_FONT_SIZE * (lines + 1)
    im = Image.new("RGB", (TYPO_WIDTH, height), "white")
    ImageDraw.Draw(im).text((0, (height - TYPO_FONT_SIZE * lines) / 2), text, fill="black", font=f)
    return im


def vertical_concat(top: Image.Image, bottom: Image.Image) -> Image.Image:
    """SD_TYPO: the SD image above the typography, as upstream's vertical_concat."""
    out = Image.new("RGB", (max(top.width, bottom.width), top.height + bottom.height))
    out.paste(top, (0, 0))
    out.paste(bottom, (0, top.height))
    return out


# --- the demo's cards: small, and drawn with Pillow's built-in font so no system font is needed ----------
CARD_SIZE = 168  # a multiple of 28, the Qwen2.5-VL patch-merge unit


def card_image(text: str, size: int = CARD_SIZE, framed: bool = False) -> Image.Image:
    """A white card with black text; `framed` (the tuning pool) is cream with a navy frame and text, so
    pool and demo images stay far apart under perceptual hashes too, not only by sha256."""
    background, ink, origin, width = (
        ((255, 248, 220), "navy", 14, 18) if framed else ("white", "black", 6, 20)
    )
    im = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(im)
    if framed:
        draw.rectangle((0, 0, size - 1, size - 1), outline=ink, width=6)
    draw.multiline_text(
        (origin, origin),
        textwrap.fill(text, width=width),
        fill=ink,
        font=ImageFont.load_default(size=13),
        spacing=3,
    )
    return im


def save_png(im: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, format="PNG", optimize=False)
