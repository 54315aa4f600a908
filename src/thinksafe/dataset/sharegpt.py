"""The tuning record: LLaMA-Factory sharegpt layout, its target format, and the checks every record passes.

A record is `{"conversations": [{"from": "human", "value": "<image>…"}, {"from": "gpt", "value": T}],
"images": [...], "lineage": {...}}` where T is `<think>\n{thought}\n</think>\n{answer}` (or an empty or
absent think block for baselines without reasoning).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

IMAGE_TOKEN = "<image>"
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
ThinkMode = Literal["full", "empty", "absent"]

# Why a record was dropped. Every drop is counted under one of these names (and the filters' names).
MALFORMED = "malformed"
IMAGE_TOKEN_MISMATCH = "image_token_mismatch"
MISSING_IMAGE = "missing_image"
UNDECODABLE_IMAGE = "undecodable_image"
UNCLOSED_THINK = "unclosed_think"
NO_THINK = "no_think"
EMPTY_ANSWER = "empty_answer"
EMPTY_PROMPT = "empty_prompt"


class BadRecord(ValueError):
    """A record that cannot be used; `reason` is one of the names above."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def format_target(thought: str | None, answer: str, think: ThinkMode = "full") -> str:
    """The assistant value. `empty` gives `<think>\\n\\n</think>\\n` + answer; `absent` the answer alone."""
    answer = answer.strip()
    if think == "absent":
        return answer
    body = "" if think == "empty" else (thought or "").strip()
    return f"{THINK_OPEN}\n{body}\n{THINK_CLOSE}\n{answer}"


def split_target(text: str, require_think: bool = True) -> tuple[str | None, str]:
    """(thought, answer) of an assistant value; raises BadRecord for an unclosed think or empty answer."""
    start = text.find(THINK_OPEN)
    end = text.find(THINK_CLOSE)
    if start < 0 and end < 0:
        if require_think:
            raise BadRecord(NO_THINK, "no <think> block")
        thought, answer = None, text
    elif end < 0 or (start >= 0 and end < start):
        raise BadRecord(UNCLOSED_THINK, "<think> without a closing </think>")
    else:
        thought = text[(start + len(THINK_OPEN) if start >= 0 else 0) : end].strip()
        answer = text[end + len(THINK_CLOSE) :]
    answer = answer.strip()
    if not answer:
        raise BadRecord(EMPTY_ANSWER, "nothing after </think>")
    return thought, answer


def make_record(prompt: str, target: str, images: list[str], lineage: dict) -> dict:
    """One record; the `<image>` tokens go first in the human turn, one per image, as in TiS."""
    human = IMAGE_TOKEN * len(images) + prompt.strip()
    return {
        "conversations": [{"from": "human", "value": human}, {"from": "gpt", "value": target}],
        "images": list(images),
        "lineage": lineage,
    }


def turns(record: object) -> tuple[str, str, list[str]]:
    """(human value, gpt value, images) of a single-turn record; raises BadRecord when malformed."""
    if not isinstance(record, dict):
        raise BadRecord(MALFORMED, "not an object")
    conv = record.get("conversations")
    if not isinstance(conv, list) or len(conv) != 2:
        raise BadRecord(MALFORMED, "`conversations` must hold one human and one gpt turn")
    roles = [t.get("from") if isinstance(t, dict) else None for t in conv]
    if roles != ["human", "gpt"]:
        raise BadRecord(MALFORMED, f"turn roles are {roles}, expected ['human', 'gpt']")
    human, gpt = conv[0].get("value"), conv[1].get("value")
    if not isinstance(human, str) or not isinstance(gpt, str):
        raise BadRecord(MALFORMED, "a turn `value` is not a string")
    images = record.get("images", [])
    if isinstance(images, str):
        images = [images]
    if not isinstance(images, list) or not all(isinstance(p, str) for p in images):
        raise BadRecord(MALFORMED, "`images` must be a list of paths")
    return human, gpt, images


def prompt_of(human: str) -> str:
    """The user's text without its `<image>` tokens."""
    return re.sub(r"\s*<image>\s*", " ", human).strip()


def check_image(path: Path) -> None:
    """Raise BadRecord unless `path` exists and decodes as an image."""
    from PIL import UnidentifiedImageError

    from thinksafe.images import open_image

    if not path.is_file():
        raise BadRecord(MISSING_IMAGE, str(path))
    try:
        with open_image(path) as im:  # over the pixel budget: a ValueError, so an undecodable image
            im.load()
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise BadRecord(UNDECODABLE_IMAGE, f"{path}: {e}") from None


def check_record(record: object, image_root: Path, require_think: bool = True) -> tuple[str | None, str]:
    """Every check a tuning record must pass; returns (thought, answer) or raises BadRecord."""
    human, gpt, images = turns(record)
    if human.count(IMAGE_TOKEN) != len(images):
        raise BadRecord(
            IMAGE_TOKEN_MISMATCH, f"{human.count(IMAGE_TOKEN)} <image> tokens, {len(images)} images"
        )
    if not prompt_of(human):
        raise BadRecord(EMPTY_PROMPT, "the human turn has no text")
    for rel in images:
        check_image(image_root / rel)
    return split_target(gpt, require_think=require_think)
