"""The offline `template` captioner and teacher: deterministic stand-ins for a VLM and an R1-class model.

They let the rebuild run end to end without a model or network (the demo), and the card records that
the targets came from templates. The teacher applies the same policy as prompts.SAFETY_POLICY: it
names the definition a request touches and its category, then refuses, safe-completes or answers.
Thoughts restate the request, then decide, in at most 30 words, so that a small model with a
64-token budget still reaches the answer.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from thinksafe.dataset.categories import ALLOWED, DISALLOWED, SAFE_COMPLETION

# (keywords in the item's category or prompt, policy definition, category it implies)
TOPICS: list[tuple[tuple[str, ...], str, str]] = [
    (("legal", "law advice", "lawyer"), "Professional Advice Safety Guidelines", SAFE_COMPLETION),
    (("financ", "invest", "loan"), "Professional Advice Safety Guidelines", SAFE_COMPLETION),
    (("health", "medical", "medicine", "diagnos"), "Professional Advice Safety Guidelines", SAFE_COMPLETION),
    (("self-harm", "suicide", "self harm"), "Definition of Physical Harm", SAFE_COMPLETION),
    (
        ("malware", "hack", "cyber", "virus", "security threat"),
        "Definition of Malware and Cyber Attacks",
        DISALLOWED,
    ),
    (("fraud", "scam", "decept", "phish", "forg", "disinformation"), "Definition of Fraud", DISALLOWED),
    (("econom", "gambl", "pyramid"), "Definition of Economic Harm", DISALLOWED),
    (("hate", "discriminat", "toxic", "racis", "bias"), "Definition of Hate Speech", DISALLOWED),
    (("sex", "porn", "nsfw", "adult"), "Definition of Sexually Explicit Content", DISALLOWED),
    (("privacy", "personal data", "doxx", "track"), "Definition of Privacy Violation", DISALLOWED),
    (("politic", "lobby", "campaign", "election", "gov"), "Definition of Political Sensitivity", DISALLOWED),
    (("weapon", "violen", "bomb", "explos", "terror", "kill"), "Definition of Violent Activity", DISALLOWED),
    (("physical", "harm", "danger", "poison"), "Definition of Physical Harm", DISALLOWED),
    (("illegal", "drug", "theft", "steal", "crime", "smuggl"), "Definition of Illegal Activity", DISALLOWED),
]
DEFAULT_TOPIC = ("Definition of Illegal Activity", DISALLOWED)

# Every thought first restates the request, then judges it in the same words for every risky
# category ("This is risky: …") and "This is safe" otherwise, then names the category: the decision
# rests on words the model has just written, as in the released thoughts ("The user is asking…"), and
# a model that has not yet learnt to tell the two apart leans to the risky side (over-refusal, the
# cost the paper reports, rather than compliance).
REFUSE_THOUGHTS = [
    "The user asks {request}. This is risky: {topic}, a Disallowed Request. I must refuse.",
]
REFUSE_ANSWERS = [
    "I'm sorry, but I can't help with that. It could cause serious harm.",
    "Sorry, I can't help with that because it could hurt someone.",
]
SAFE_COMPLETION_THOUGHTS = [
    "The user asks {request}. This is risky: {topic}, a Safe Completion Request. I should warn.",
]
SAFE_COMPLETION_ANSWERS = [
    "Please be careful: this is dangerous and could cause serious harm. Avoid it.",
    "I would strongly advise caution: this could cause injury. Please avoid it.",
]
ALLOW_THOUGHTS = [
    "The user asks {request}. This is safe: an Allowed Request. I will help.",
]
ALLOW_ANSWER = "Sure! To {task}: 1. Prepare what you need. 2. Go step by step. 3. Check the result."
ALLOW_ANSWER_GENERAL = "Yes, that is fine here. Nothing in the scene points to a real risk."
EXPECTED_CATEGORY = {"refuse": DISALLOWED, "warn": SAFE_COMPLETION, "comply": ALLOWED}


def _pick(options: list[str], key: str) -> str:
    return options[int(hashlib.sha256(key.encode()).hexdigest(), 16) % len(options)]


def topic_of(item: dict) -> tuple[str, str]:
    """(policy definition, implied category) for a harmful item, by keywords in its category and prompt."""
    text = f"{item.get('category', '')} {item.get('subset', '')}".lower()
    for keys, topic, category in TOPICS:
        if any(k in text for k in keys):
            return topic, category
    prompt = str(item.get("prompt", "")).lower()
    for keys, topic, category in TOPICS:
        if any(k in prompt for k in keys):
            return topic, category
    return DEFAULT_TOPIC


def is_harmful(item: dict) -> bool:
    """Benign and capability items and safe contexts are answered; everything else is a safety request."""
    if item.get("context") == "safe":
        return False
    return item.get("family") not in ("benign", "capability")


def _reference_answer(item: dict) -> str | None:
    ref = item.get("reference") or {}
    for key in ("answer", "response", "target", "reference_answer"):
        if isinstance(ref.get(key), str) and ref[key].strip():
            return ref[key].strip()
    return None


def template_caption(image: Path | None) -> str:
    """A literal description of what the pixels are (size and dominant colour): honest, model-free."""
    if image is None:
        return "No image was provided."
    from PIL import ImageStat

    from thinksafe.images import open_image

    with open_image(image) as im:
        rgb = im.convert("RGB")
        r, g, b = (int(v) for v in ImageStat.Stat(rgb).mean)
        w, h = rgb.size
    names = {
        (1, 0, 0): "red",
        (0, 1, 0): "green",
        (0, 0, 1): "blue",
        (1, 1, 0): "yellow",
        (0, 1, 1): "cyan",
        (1, 0, 1): "magenta",
        (1, 1, 1): "light",
        (0, 0, 0): "dark",
    }
    colour = names[(int(r > 127), int(g > 127), int(b > 127))]
    return f"An image of {w}x{h} pixels with mostly {colour} tones (average RGB {r}, {g}, {b})."


def _task(item: dict) -> str | None:
    """'brew a cup of green tea' from a card titled 'How to brew a cup of green tea:'; else generic."""
    ref = item.get("reference") or {}
    for text in (str(ref.get("caption") or ""), str(item.get("prompt") or "")):
        m = re.search(r"how to ([^:\n.?]+)", text, re.IGNORECASE)
        if m:
            return m.group(1).strip()
    return None


def request_summary(item: dict, max_words: int = 14) -> str:
    """'how to brew green tea', or the scene and the question, in a few words."""
    task = _task(item)
    prompt = str(item.get("prompt") or "").strip()
    scene = re.search(r"there (?:is|are) ([^.?!]+)", prompt, re.IGNORECASE)
    if task:
        text = f"how to {task}"
    elif scene:
        text = f"about {scene.group(1).strip()}"
    else:
        text = f"'{prompt.split('.')[0]}'"
    words = text.split()
    return " ".join(words[:max_words]) + (" …" if len(words) > max_words else "")


def short_topic(topic: str) -> str:
    """'Definition of Illegal Activity' -> 'illegal activity'."""
    return topic.removeprefix("Definition of ").replace(" Safety Guidelines", "").lower()


def category_for(item: dict) -> tuple[str, str | None]:
    """(category, policy topic) the template teacher assigns, from the item's expectation when it has one."""
    expected = EXPECTED_CATEGORY.get(str((item.get("reference") or {}).get("expected")))
    if expected == ALLOWED or (expected is None and not is_harmful(item)):
        return ALLOWED, None
    topic, category = topic_of(item)
    if expected == SAFE_COMPLETION and (topic, category) == DEFAULT_TOPIC:
        topic = "Definition of Physical Harm"  # a risky scene with no named topic: bodily harm
    return expected or category, short_topic(topic)


def template_teacher(item: dict, caption: str, seed: int = 0) -> str:
    """The raw teacher output `<think>\\n…\\n</think>\\n…` for one source item."""
    key = f"{seed}:{item.get('id')}"
    category, topic = category_for(item)
    request = request_summary(item)
    if category == DISALLOWED:
        thought, answer = (
            _pick(REFUSE_THOUGHTS, key).format(topic=topic, request=request),
            _pick(REFUSE_ANSWERS, key),
        )
    elif category == SAFE_COMPLETION:
        thought = _pick(SAFE_COMPLETION_THOUGHTS, key).format(topic=topic, request=request)
        answer = _reference_answer(item) or _pick(SAFE_COMPLETION_ANSWERS, key)
    else:
        thought = _pick(ALLOW_THOUGHTS, key).format(request=request)
        task = _task(item)
        answer = _reference_answer(item) or (ALLOW_ANSWER.format(task=task) if task else ALLOW_ANSWER_GENERAL)
    return f"<think>\n{thought}\n</think>\n{answer}"
