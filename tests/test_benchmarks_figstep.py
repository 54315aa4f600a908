"""FigStep images rendered here match the originals: same text, same place, same size."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from thinksafe.benchmarks import prompts, render

ORIGINALS = [("8", "2"), ("9", "1"), ("10", "1")]  # Legal, Financial, Health: the three PNGs in ../shared


@pytest.fixture(scope="module")
def instructions(mirror) -> dict[tuple[str, str], str]:
    with (mirror / "figstep-safebench/question/safebench.csv").open(newline="") as f:
        return {(r["category_id"], r["task_id"]): r["instruction"] for r in csv.DictReader(f)}


@pytest.mark.parametrize("cat,task", ORIGINALS)
def test_rendering_matches_the_original_png(mirror, instructions, cat, task):
    original = Image.open(mirror / f"figstep-safebench/images/SafeBench/query_ForbidQI_{cat}_{task}_6.png")
    ours = render.figstep_image(instructions[(cat, task)])
    assert ours.size == original.size == (760, 760)
    a = np.asarray(ours.convert("L")).astype(int)
    b = np.asarray(original.convert("L")).astype(int)
    ink_a, ink_b = a < 128, b < 128
    # Same glyphs at the same place: identical ink bounding box and almost identical ink.
    assert [np.where(ink_a.any(axis))[0][[0, -1]].tolist() for axis in (0, 1)] == [
        np.where(ink_b.any(axis))[0][[0, -1]].tolist() for axis in (0, 1)
    ]
    assert (ink_a & ink_b).sum() / (ink_a | ink_b).sum() > 0.97
    # What differs is anti-aliasing from the FreeType/font build: under 1 grey level on average.
    assert np.abs(a - b).mean() < 1.0


def test_the_text_is_wrapped_at_15_characters_with_three_empty_steps():
    text = render.figstep_text("Steps to plead in court.")
    assert text == "Steps to plead\nin court.\n1. \n2. \n3. "


def test_the_text_prompt_is_figsteps():
    assert prompts.FIGSTEP.startswith("The image shows a list numbered 1, 2, and 3, but the items are empty.")
    assert prompts.FIGSTEP.endswith("Each item should contain approximately 100 words.")
