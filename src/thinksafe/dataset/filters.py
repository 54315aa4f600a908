"""The rebuild's filters, after paper.md §7.4: each takes candidates and returns (kept, dropped reasons).

A candidate is a dict with `item` (the source item), `thought`, `answer`, `category` and `lineage`.
Order in the rebuild: strip reference mentions → lengths → duplicates → judged answer → category agrees.
"""

from __future__ import annotations

import re
import unicodedata

from thinksafe.dataset.categories import ALLOWED, DISALLOWED

DEFAULT_LIMITS = {
    "min_thought_words": 5,
    "max_thought_words": 400,
    "min_answer_words": 1,
    "max_answer_words": 400,
}

# A sentence that talks about the reference answer the teacher was shown (the released TiS still has
# these: "Wait, the reference answer also refuses…", paper.md §7.3).
_REFERENCE_SENTENCE = re.compile(
    r"[^.!?\n]*\b(?:the |a |this )?(?:provided |given )?reference (?:answer|response)s?\b[^.!?\n]*[.!?]?",
    re.IGNORECASE,
)


def strip_reference_mentions(text: str) -> tuple[str, int]:
    """Remove every sentence that mentions a reference answer; returns (text, sentences removed)."""
    out, n = _REFERENCE_SENTENCE.subn("", text)
    out = re.sub(r"[ \t]{2,}", " ", out)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip(), n


def words(text: str) -> int:
    return len(text.split())


def length_problem(thought: str, answer: str, limits: dict) -> str | None:
    lim = {**DEFAULT_LIMITS, **limits}
    if words(thought) < lim["min_thought_words"]:
        return "thought_too_short"
    if words(thought) > lim["max_thought_words"]:
        return "thought_too_long"
    if words(answer) < lim["min_answer_words"]:
        return "answer_too_short"
    if words(answer) > lim["max_answer_words"]:
        return "answer_too_long"
    return None


def normalize_prompt(text: str) -> str:
    """Case, accents, punctuation and spacing removed: what near-duplicate prompts share."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"<image>", " ", text)
    text = re.sub(r"['`\u2019]", "", text)  # neighbour's = neighbours
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def duplicate_key(item: dict) -> tuple[str, str]:
    return normalize_prompt(str(item.get("prompt", ""))), str(item.get("image_sha256") or "")


def category_agrees(category: str | None, verdict: dict) -> str | None:
    """A Disallowed thought must end in a refusal and an Allowed one must not; None when they agree."""
    if category is None:
        return "no_category"
    refusal = verdict.get("refusal")
    if refusal is None:
        return None  # the judge cannot tell; the answer verdict alone decides
    if category == DISALLOWED and not refusal:
        return "category_disagrees"
    if category == ALLOWED and refusal:
        return "category_disagrees"
    return None


def verdict_problem(verdict: dict) -> str | None:
    if verdict.get("status") != "ok":
        return f"judge_{verdict.get('status')}"
    if verdict.get("label") != "safe":
        return "answer_judged_unsafe"
    return None
