"""What every backend shares: the interface, image loading, and turning raw output into a record."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from thinksafe.models.reasoning import split
from thinksafe.models.recipes import cut_at_stop, opens_thought, recipe_of
from thinksafe.records import Generation

OnDone = Callable[[dict], None]
DEFAULT_DECODING = {"max_new_tokens": 512, "temperature": 0.0, "top_p": 1.0}


class ImageError(Exception):
    """An item's image is missing or unreadable: an error on that record, never a stop."""


def load_image(item: dict):
    """The item's image as RGB PIL (None for text-only items). Relative paths are from the project root."""
    if not item.get("image"):
        return None
    from PIL import UnidentifiedImageError

    from thinksafe.images import ImageTooLarge, open_image

    path = Path(item["image"])
    if not path.is_file():
        raise ImageError(f"image not found: {path}")
    try:
        with open_image(path) as im:
            return im.convert("RGB")
    except ImageTooLarge as e:
        raise ImageError(str(e)) from None
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise ImageError(f"image does not decode: {path} ({e})") from None


def context_window(config: Any) -> int | None:
    """The model's context in tokens: max_position_embeddings of its config or of its text_config."""
    for cfg in (getattr(config, "text_config", None), config):
        n = getattr(cfg, "max_position_embeddings", None)
        if isinstance(n, int) and n > 0:
            return n
    return None


def prompt_too_long(n_prompt: int, max_new_tokens: int, window: int | None) -> str | None:
    """Why a prompt cannot run (it and its answer would not fit the context), or None when it can."""
    if window is None or n_prompt + max_new_tokens <= window:
        return None
    return (
        f"prompt too long: {n_prompt:,} prompt tokens + max_new_tokens {max_new_tokens:,} exceed the "
        f"model's context of {window:,} tokens"
    )


def decoding(spec: dict) -> dict:
    return {**DEFAULT_DECODING, **spec.get("decoding", {})}


def versions(*packages: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in packages:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def record(
    spec: dict,
    item: dict,
    raw: str,
    finish_reason: str,
    n_prompt_tokens: int,
    n_output_tokens: int,
    *,
    opened: bool | None = None,
    thought_cut: bool = False,
) -> dict:
    """A generation record: raw kept, thought and answer split by the entry's reasoning format.

    `truncated` is true when the output hit the token limit or its thought was cut off (by the limit,
    or by a thought budget: `thought_cut`).
    """
    raw, stopped = cut_at_stop(raw, recipe_of(spec).stop)
    if stopped:  # a recipe's stop string ends the output wherever the backend stopped
        finish_reason = "stop"
    hit_limit = finish_reason == "length"
    opened = opens_thought(spec) if opened is None else opened
    s = split(spec.get("reasoning", "none"), raw, opened=opened, hit_limit=hit_limit)
    return Generation(
        id=item["id"],
        model=spec["name"],
        raw=raw,
        thought=s.thought,
        answer=s.answer,
        truncated=hit_limit or s.thought_truncated or thought_cut,
        finish_reason=finish_reason,
        n_prompt_tokens=int(n_prompt_tokens),
        n_output_tokens=int(n_output_tokens),
    ).to_dict()


def error_record(spec: dict, item: dict, error: str) -> dict:
    """A record for an item that produced no output; counted as an error, never dropped."""
    return Generation(
        id=item["id"], model=spec["name"], raw="", thought=None, answer="", truncated=False,
        finish_reason="error", n_prompt_tokens=0, n_output_tokens=0, error=error,
    ).to_dict()  # fmt: skip


class Backend:
    """Generates one record per item, in any order, calling `on_done` as each one finishes.

    Subclasses implement `_run(prepared, on_done)` over (item, image) pairs whose image loaded; items
    whose image is missing become error records here.
    """

    name = "base"

    def __init__(self, spec: dict, seed: int = 0):
        self.spec, self.seed = spec, seed
        self.decoding = decoding(spec)

    def generate(self, items: Sequence[dict], on_done: OnDone | None = None) -> list[dict]:
        out: list[dict] = []

        def done(rec: dict) -> None:
            out.append(rec)
            if on_done is not None:
                on_done(rec)

        prepared = []
        for item in items:
            try:
                prepared.append((item, load_image(item)))
            except ImageError as e:
                done(error_record(self.spec, item, str(e)))
        recipe = recipe_of(self.spec)
        defense = self.spec.get("defense") or {}
        if prepared and defense.get("kind") == "self_check":  # draft, then the model reviews it
            from thinksafe.defenses.self_check import run_self_check

            run_self_check(defense, prepared, self._run, done)
        elif prepared and recipe.turns:  # the authors ask turn by turn (a recipe's dialogue)
            from thinksafe.models.dialogue import run_dialogue

            def final(item: dict, raw: str, finish: str, n_prompt: int, n_output: int) -> dict:
                return record(self.spec, item, raw, finish, n_prompt, n_output)

            run_dialogue(recipe, prepared, self._run, done, final)
        elif prepared:
            self._run(prepared, done)
        return out

    def _run(self, prepared: list[tuple[dict, Any]], done: OnDone) -> None:
        raise NotImplementedError

    def _fitting(self, prepared: list[tuple[dict, Any]], n_prompt: list[int], window: int | None,
                 done: OnDone) -> list[int]:  # fmt: skip
        """Indices of the items whose prompt fits the context; each other one becomes an error record
        now (a 1 MB prompt would otherwise run the whole batch out of memory)."""
        max_new = int(self.decoding["max_new_tokens"])
        keep = []
        for i, n in enumerate(n_prompt):
            error = prompt_too_long(n, max_new, window)
            if error:
                done(error_record(self.spec, prepared[i][0], error))
            else:
                keep.append(i)
        return keep

    def info(self) -> dict:
        """Backend, library versions, device and model revision: for the shard's .meta.json."""
        return {"backend": self.name, "versions": versions("thinksafe"), "device": None,
                "revision": self.spec.get("revision")}  # fmt: skip
