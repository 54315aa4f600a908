"""Tuning records in the two chat layouts upstream sets use: LLaMA-Factory sharegpt (`conversations`
with from/value, `images`) and OpenAI-style `messages` (role/content). Read into one prompt, one
target and the image paths, so tuning sources normalize to items like benchmarks do."""

from __future__ import annotations

from dataclasses import dataclass

from thinksafe.errors import ThinksafeError

USER = {"human", "user"}
ASSISTANT = {"gpt", "assistant"}


@dataclass
class Turns:
    prompt: str
    target: str
    images: list[str]


def read_turns(rec: dict, where: str) -> Turns:
    if not isinstance(rec, dict):
        raise ThinksafeError(f"{where}: expected an object")
    if isinstance(rec.get("conversations"), list):
        turns = [(t.get("from"), t.get("value")) for t in rec["conversations"] if isinstance(t, dict)]
    elif isinstance(rec.get("messages"), list):
        turns = [(t.get("role"), t.get("content")) for t in rec["messages"] if isinstance(t, dict)]
    else:
        raise ThinksafeError(f"{where}: missing field 'conversations' (or 'messages')")
    prompt = next((v for r, v in turns if r in USER and isinstance(v, str)), None)
    target = next((v for r, v in turns if r in ASSISTANT and isinstance(v, str)), None)
    if prompt is None or target is None:
        raise ThinksafeError(f"{where}: needs a user turn and an assistant turn")
    images = rec.get("images", rec.get("image", []))
    if isinstance(images, str):
        images = [images]
    if not isinstance(images, list) or not all(isinstance(p, str) for p in images):
        raise ThinksafeError(f"{where}: field 'images' must be a path or a list of paths")
    return Turns(prompt.replace("<image>", "").strip(), target, images)
