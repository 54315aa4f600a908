"""Split a reasoning model's raw output into its thought and its answer, one parser per format.

Formats (the registry entry's `reasoning`):
- `think`: R1 style, `<think>…</think>` then the answer, optionally wrapped in `<answer>…</answer>`
  (R1-Onevision, Vision-R1, MM-Eureka, OpenVLThinker, VLAA-Thinker, R1-VL).
- `llava_cot`: LLaVA-CoT's stages `<SUMMARY> <CAPTION> <REASONING>` (the thought) and `<CONCLUSION>`
  (the answer).
- `kimi`: Kimi-VL-Thinking's `◁think▷…◁/think▷` then the answer.
- `still`: Virgo's STILL-style markers, `<|begin_of_thought|>…<|end_of_thought|>` then
  `<|begin_of_solution|>…<|end_of_solution|>` (the answer is the solution's content).
- `mulberry`: Mulberry's sections (`### Image Description:`, `### Rationales:`, `### Step n:`) closed by
  `### The final answer is:` (Mulberry, R1-VL); everything before the marker is the thought.
- `final_marker`: free-form reasoning closed by a marker such as "Final answer:" or "**Final Answer**"
  (QVQ, LlamaV-o1).
- `none`: no thought; the whole output is the answer.

The caller keeps the raw text; `split` only reads it. A thought that was opened but never closed was cut
off (by the token limit, or a stop) and is flagged `thought_truncated`; its answer is then empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from thinksafe.errors import ThinksafeError


@dataclass(frozen=True)
class Split:
    thought: str | None  # None: the model gave no thought at all
    answer: str
    thought_truncated: bool = False


def _tagged(raw: str, open_tag: str, close_tag: str, opened: bool) -> Split:
    """`<open>thought<close>answer`; `opened` says the prompt already ended with the open tag."""
    text = raw.lstrip()
    if text.startswith(open_tag):
        text, opened = text[len(open_tag) :], True
    close = text.find(close_tag)
    if close >= 0:
        return Split(text[:close].strip(), text[close + len(close_tag) :].strip())
    if opened:
        return Split(text.strip(), "", thought_truncated=True)
    return Split(None, raw.strip())  # the model skipped the thought


_ANSWER_TAG = re.compile(r"<answer>(.*?)(?:</answer>|$)", re.S)


def split_think(raw: str, opened: bool = False, hit_limit: bool = False) -> Split:
    s = _tagged(raw, "<think>", "</think>", opened)
    m = _ANSWER_TAG.search(s.answer)
    if m:  # R1-style `<answer>…</answer>` wrapper: the answer is its content
        return Split(s.thought, m.group(1).strip(), s.thought_truncated)
    return s


def split_kimi(raw: str, opened: bool = False, hit_limit: bool = False) -> Split:
    return _tagged(raw, "◁think▷", "◁/think▷", opened)


# RUCAIBox/Virgo evaluation/MathVerse/evaluation/extract_answer_s1_mp.py takes the answer as
# `split("<|begin_of_solution|>")[-1].split("<|end_of_solution|>")[0]`.
_SOLUTION = re.compile(r"<\|begin_of_solution\|>(.*?)(?:<\|end_of_solution\|>|$)", re.S)


def split_still(raw: str, opened: bool = False, hit_limit: bool = False) -> Split:
    s = _tagged(raw, "<|begin_of_thought|>", "<|end_of_thought|>", opened)
    m = _SOLUTION.search(s.answer)
    if m:
        return Split(s.thought, m.group(1).strip(), s.thought_truncated)
    return s


# HJYao00/Mulberry infer.py splits on '### The final answer is:'; jingyi0000/R1-VL
# eval/qwen2_vl/model.py on 'The final answer is:' (the same line, without its heading marks).
_MULBERRY_FINAL = re.compile(r"(?:#{1,6}[ \t]*)?The final answer is:", re.I)


def split_mulberry(raw: str, opened: bool = False, hit_limit: bool = False) -> Split:
    matches = list(_MULBERRY_FINAL.finditer(raw))
    if matches:
        last = matches[-1]
        return Split(raw[: last.start()].strip() or None, raw[last.end() :].strip())
    if hit_limit:  # cut off before the final line: all of it is unfinished reasoning
        return Split(raw.strip(), "", thought_truncated=True)
    return Split(None, raw.strip())  # finished without the final line (a refusal, say): all answer


_STAGES = ("SUMMARY", "CAPTION", "REASONING")
_STAGE = re.compile(r"<(SUMMARY|CAPTION|REASONING|CONCLUSION)>(.*?)(</\1>|$)", re.S)


def split_llava_cot(raw: str, opened: bool = False, hit_limit: bool = False) -> Split:
    stages = {m.group(1): (m.group(2).strip(), bool(m.group(3))) for m in _STAGE.finditer(raw)}
    if not stages:
        return Split(None, raw.strip())
    thought = "\n\n".join(stages[s][0] for s in _STAGES if s in stages) or None
    if "CONCLUSION" in stages:
        return Split(thought, stages["CONCLUSION"][0])
    # No conclusion: the output stopped inside (or right after) the reasoning stages.
    return Split(thought, "", thought_truncated=True)


# Strongest first: a heading-style marker on its own line, then an inline "final answer is:".
_FINAL_MARKERS = [
    re.compile(r"^[ \t#*]*(?:the\s+)?final\s+answer(?:\s+is)?[ \t*]*[:：]?[ \t*]*", re.I | re.M),
    re.compile(r"(?:the\s+)?final\s+answer(?:\s+is)?\s*[:：]|the\s+final\s+answer\s+is\b", re.I),
    re.compile(r"^[ \t#*]*answer[ \t*]*[:：][ \t*]*", re.I | re.M),
]


def split_final_marker(raw: str, opened: bool = False, hit_limit: bool = False) -> Split:
    for marker in _FINAL_MARKERS:
        matches = list(marker.finditer(raw))
        if matches:
            last = matches[-1]
            return Split(raw[: last.start()].strip() or None, raw[last.end() :].strip())
    if hit_limit:  # stopped by the token limit before any marker: all of it is unfinished thought
        return Split(raw.strip(), "", thought_truncated=True)
    return Split(None, raw.strip())  # finished without a marker: treat it all as the answer


def split_none(raw: str, opened: bool = False, hit_limit: bool = False) -> Split:
    return Split(None, raw.strip())


PARSERS: dict[str, Callable[..., Split]] = {
    "think": split_think,
    "llava_cot": split_llava_cot,
    "kimi": split_kimi,
    "still": split_still,
    "mulberry": split_mulberry,
    "final_marker": split_final_marker,
    "none": split_none,
}


# The tag that opens a thought, for formats whose prompt may end with it (a recipe's generation prefix).
OPEN_TAGS = {"think": "<think>", "kimi": "◁think▷", "still": "<|begin_of_thought|>"}


def parser(fmt: str) -> Callable[..., Split]:
    """The parser of reasoning format `fmt`; an unknown format is an error naming the config key."""
    if fmt not in PARSERS:
        raise ThinksafeError(f"config key reasoning: unknown format {fmt!r} (known: {', '.join(PARSERS)})")
    return PARSERS[fmt]


def split(fmt: str, raw: str, *, opened: bool = False, hit_limit: bool = False) -> Split:
    """Thought and answer of `raw` in format `fmt`.

    `opened`: the prompt already ended with the thought's open tag (a recipe prefix ending in
    OPEN_TAGS[fmt]), so the output starts inside the thought. `hit_limit`: generation stopped at
    max_new_tokens.
    """
    return parser(fmt)(raw, opened=opened, hit_limit=hit_limit)
