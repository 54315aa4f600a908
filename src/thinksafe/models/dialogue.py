"""Asking a model turn by turn, as a recipe's `dialogue` says (LlamaV-o1's four stages).

Every item of a chunk is asked the first turn, then each answer is followed by the next request, until
the last turn. The record's `raw` keeps every turn's output inside its stage tag
(`<SUMMARY>…</SUMMARY><CAPTION>…`), so the entry's reasoning format (`llava_cot`) splits it; token
counts add up over the turns. Records leave chunk by chunk, so a killed job loses at most one chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from thinksafe.models.recipes import Recipe

CHUNK = 64  # items asked through all turns before their records go out

Run = Callable[[list[tuple[dict, Any]], Callable[[dict], None]], None]
Record = Callable[..., dict]


def join_stages(tags: tuple[str, ...], outputs: list[str]) -> str:
    return "\n\n".join(f"<{tag}> {text.strip()} </{tag}>" for tag, text in zip(tags, outputs, strict=False))


def history(recipe: Recipe, answered: list[dict]) -> list[tuple[str, str]]:
    """(each earlier answer, the request that followed it): the turns before the next one."""
    return [(rec["raw"], recipe.turns[i]) for i, rec in enumerate(answered)]


def ask(run: Run, asked: list[tuple[dict, Any]]) -> dict[str, dict]:
    """One turn for every asked item: its record by item id."""
    out: dict[str, dict] = {}
    if asked:
        run(asked, lambda rec: out.__setitem__(rec["id"], rec))
    return out


def run_dialogue(recipe: Recipe, prepared: list[tuple[dict, Any]], run: Run, done: Callable, record: Record):
    """`run` is a backend's single-turn `_run`; `record(item, raw, finish, n_prompt, n_output)` builds
    the final record; an item whose turn failed ends with that turn's error record."""
    for start in range(0, len(prepared), CHUNK):
        chunk = prepared[start : start + CHUNK]
        answers: dict[str, list[dict]] = {item["id"]: [] for item, _ in chunk}
        failed: dict[str, dict] = {}
        for _turn in range(len(recipe.turns) + 1):
            asked = [
                ({**item, "history": history(recipe, answers[item["id"]])}, image)
                for item, image in chunk
                if item["id"] not in failed
            ]
            for rec in ask(run, asked).values():
                if rec.get("error"):
                    failed[rec["id"]] = rec
                else:
                    answers[rec["id"]].append(rec)
        for item, _ in chunk:
            recs = answers[item["id"]]
            if item["id"] in failed:
                done(failed[item["id"]])
                continue
            cut = any(r["finish_reason"] == "length" for r in recs)
            raw = join_stages(recipe.tags, [r["raw"] for r in recs])
            n_prompt = sum(r["n_prompt_tokens"] for r in recs)
            n_output = sum(r["n_output_tokens"] for r in recs)
            done(record(item, raw, "length" if cut else recs[-1]["finish_reason"], n_prompt, n_output))
