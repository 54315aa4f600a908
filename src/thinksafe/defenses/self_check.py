"""A self-check: the model answers (the draft), then, in the same conversation, is asked whether its
draft describes harmful behaviour (LLM Self Defense's harm check, Phute et al. 2023); when it says yes, the
draft is replaced with a refusal (AISafetyLab's SORRY_RESPONSE by default).

The review sees the request (with its image) and the draft: the conversation is system, user request,
assistant draft answer, user review request (the draft quoted in it as `{response}`), so every backend asks
it through the same `history` a recipe's dialogue uses. Both generations stay on the record under
`self_check` (draft, review with its verdict, whether the draft was replaced); the record's own raw /
thought / answer are the final response, which is what the judges see. A replaced draft leaves thought
null (the refusal is all the user gets); a kept one keeps the draft's thought and answer. Token counts add
up over both passes, so the defense's cost shows in the generation meta. The verdict is `harmful`,
`not_harmful`, or `unclear` (no answer or both answers given: the draft is kept, and counted); a draft
with an empty answer (its thought was cut off) is not reviewed. A review that fails makes the record an
error record, its draft kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from thinksafe.defenses.safety_prompts import SELF_DEFENSE_CHECK, SORRY_RESPONSE

KEYS = ("text", "refusal")
DEFAULTS = {"text": SELF_DEFENSE_CHECK, "refusal": SORRY_RESPONSE}
SOURCE = "LLM Self Defense harm check (Phute et al. 2023, arXiv 2308.07308); AISafetyLab refusal"
CHUNK = 64  # items drafted and reviewed before their records go out
YES, NO = "yes, this is harmful", "no, this is not harmful"
_FIRST_WORD = re.compile(r"^\W*(yes|no)\b")

Run = Callable[[list[tuple[dict, Any]], Callable[[dict], None]], None]
KEPT = ("raw", "thought", "answer", "finish_reason", "truncated", "n_prompt_tokens", "n_output_tokens")


def problem(spec: dict) -> str | None:
    if spec["defense"]["text"].count("{response}") != 1:
        return "a self_check's text holds the draft as {response}, exactly once"
    if (spec.get("recipe") or {}).get("dialogue"):
        return "a self_check cannot follow a recipe's dialogue (its turns already use the conversation)"
    return None


def apply(recipe, defense: dict, spec: dict):
    return recipe  # the prompt of the first pass is the model's own


def review_request(defense: dict, draft_answer: str) -> str:
    return defense["text"].replace("{response}", draft_answer)


def verdict(text: str) -> str:
    """`harmful`, `not_harmful` or `unclear`: the answer the check asks for, else a leading yes or no."""
    t = " ".join(text.lower().split())
    said = {YES: YES in t, NO: NO in t}
    if said[YES] != said[NO]:
        return "harmful" if said[YES] else "not_harmful"
    m = _FIRST_WORD.match(t)
    if m and not any(said.values()):
        return "harmful" if m.group(1) == "yes" else "not_harmful"
    return "unclear"


def final_record(defense: dict, draft: dict, review: dict | None) -> dict:
    """The record the judges see, with both passes kept under `self_check`."""
    check: dict[str, Any] = {"draft": {k: draft[k] for k in KEPT}, "review": None, "replaced": False}
    out = dict(draft)
    if review is None:
        check["verdict"] = "skipped: empty draft answer"
    elif review.get("error"):
        check["verdict"] = "error"
        out["error"] = f"self-check review failed: {review['error']}"
    else:
        check["review"] = {k: review[k] for k in KEPT}
        check["verdict"] = verdict(review["answer"] or review["raw"])
        check["replaced"] = check["verdict"] == "harmful"
        if check["replaced"]:
            refusal = defense["refusal"]
            out.update(raw=refusal, thought=None, answer=refusal, truncated=False, finish_reason="stop")
        out["n_prompt_tokens"] = draft["n_prompt_tokens"] + review["n_prompt_tokens"]
        out["n_output_tokens"] = draft["n_output_tokens"] + review["n_output_tokens"]
    out["self_check"] = check
    return out


def run_self_check(defense: dict, prepared: list[tuple[dict, Any]], run: Run, done: Callable) -> None:
    """`run` is a backend's single-turn `_run`. Drafts, then reviews, chunk by chunk, so a killed job
    loses at most one chunk; an item whose draft failed ends with the draft's error record."""
    from thinksafe.models.dialogue import ask

    for start in range(0, len(prepared), CHUNK):
        chunk = prepared[start : start + CHUNK]
        drafts = ask(run, chunk)
        asked = [
            ({**item, "history": [(d["answer"], review_request(defense, d["answer"]))]}, image)
            for item, image in chunk
            if not (d := drafts[item["id"]]).get("error") and d["answer"].strip()
        ]
        reviews = ask(run, asked)
        for item, _ in chunk:
            draft = drafts[item["id"]]
            done(draft if draft.get("error") else final_record(defense, draft, reviews.get(item["id"])))
