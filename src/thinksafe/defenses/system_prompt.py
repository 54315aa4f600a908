"""A safety system prompt: the defense's text becomes the system turn, ahead of the model's own.

A model whose recipe has a system text keeps it after the safety text (a blank line between): the safety
instruction comes first, the model's own instructions (a thinking format, say) still apply. A model
without one gets the safety text alone, which replaces any default system turn its chat template would
have written (Qwen2.5's "You are a helpful assistant." for instance). A chat template that refuses a
system turn beside an image (Llama 3.2 Vision) makes those items error records, as it would for a recipe.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from thinksafe.defenses.safety_prompts import LLAMA2_SYSTEM_PROMPT

if TYPE_CHECKING:
    from thinksafe.models.recipes import Recipe

KEYS = ("text",)
DEFAULTS = {"text": LLAMA2_SYSTEM_PROMPT}
SOURCE = "Llama 2 default system prompt (Touvron et al. 2023), as transformers keeps it"


def problem(spec: dict) -> str | None:
    return None  # every backend sends a system turn


def apply(recipe: Recipe, defense: dict, spec: dict) -> Recipe:
    system = defense["text"] if not recipe.system else f"{defense['text']}\n\n{recipe.system}"
    return replace(recipe, system=system)
