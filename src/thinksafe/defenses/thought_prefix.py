"""A safety thought prefix: the model's thought starts with the defense's words (SAFEPATH's zero-shot
Safety Primer by default), so that it checks the request for harm before anything else.

The prompt ends with the format's open tag, a newline and the text: `…<|im_start|>assistant\\n<think>\\n
Let's think about safety first.` A recipe whose prefix already opens the thought gets the text after it; one
that does not (a tuned model trained to write `<think>` itself) gets the tag too. The words are prompt, not
output: `raw` and `thought` hold what the model wrote after them, as with any generation prefix.

Only formats whose thought opens with a tag (think, kimi, still) can be started this way. A model without
one (`reasoning: none`, and the stage or marker formats llava_cot, mulberry, final_marker) has no thought
to start, so the config refuses the pair and names a system_prompt defense instead; so does an openai
backend, whose chat API cannot continue a prefilled assistant turn.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from thinksafe.defenses.safety_prompts import SAFEPATH_PRIMER
from thinksafe.models.reasoning import OPEN_TAGS

if TYPE_CHECKING:
    from thinksafe.models.recipes import Recipe

KEYS = ("text",)
DEFAULTS = {"text": SAFEPATH_PRIMER}
SOURCE = "SAFEPATH zero-shot Safety Primer (Jeung et al. 2025, arXiv 2505.14667)"


def problem(spec: dict) -> str | None:
    fmt = spec.get("reasoning", "none")
    if fmt not in OPEN_TAGS:
        return (
            f"a thought_prefix needs a model whose thought opens with a tag ({', '.join(OPEN_TAGS)}); "
            f"this one has reasoning '{fmt}', so there is no thought to start: "
            "give it a system_prompt defense instead"
        )
    if spec.get("backend") == "openai":
        return "a thought_prefix needs a local backend (hf, vllm): a chat API cannot continue a started turn"
    if (spec.get("recipe") or {}).get("dialogue"):
        return "a thought_prefix cannot start every turn of a recipe's dialogue"
    return None


def apply(recipe: Recipe, defense: dict, spec: dict) -> Recipe:
    tag = OPEN_TAGS[spec.get("reasoning", "none")]
    prefix = recipe.prefix if recipe.prefix.rstrip().endswith(tag) else recipe.prefix + tag
    if prefix.endswith(tag):
        prefix += "\n"
    return replace(recipe, prefix=prefix + defense["text"], opened=True)
