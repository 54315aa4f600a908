"""The exact text a model sees before its output.

`prompt_text` is the one place a prompt becomes model input. Generation (every local backend) and
fine-tuning (training text = prompt_text + target) both call it, so the template is the same in
training, merging and inference. It is pure: same spec, processor and prompt → same string.
"""

from __future__ import annotations

from typing import Any

from thinksafe.errors import ThinksafeError
from thinksafe.models.recipes import THINK_PREFIX, recipe_of, user_text

__all__ = ["THINK_PREFIX", "messages", "prompt_text", "template_of"]

# Llama 3.2's template writes today's date into text-only prompts (strftime_now) unless given one: a
# fixed date keeps the prompt the same on every day, in training and inference. It is the template's
# own fallback date; templates that do not use the variable ignore it.
DATE_STRING = "26 Jul 2024"


Turn = tuple[str, str]  # (the model's answer, the next user request) in a recipe's dialogue


def messages(spec: dict, prompt: str, has_image: bool, history: list[Turn] | None = None) -> list[dict]:
    """Chat messages after the entry's recipe: its system turn (if any), then one user turn holding the
    wrapped prompt and the image, in the recipe's order; then any earlier turns of a dialogue."""
    recipe = recipe_of(spec)
    out: list[dict] = []
    if recipe.system:
        # a plain string: every family's template accepts it for the system turn
        out.append({"role": "system", "content": recipe.system})
    text = {"type": "text", "text": user_text(recipe, prompt)}
    image = [{"type": "image"}] if has_image else []
    content = [*image, text] if recipe.image == "first" else [text, *image]
    out.append({"role": "user", "content": content})
    for answer, request in history or ():
        out.append({"role": "assistant", "content": [{"type": "text", "text": answer}]})
        out.append({"role": "user", "content": [{"type": "text", "text": request}]})
    return out


def template_of(spec: dict, processor: Any) -> str:
    """The registry's chat_template when set, else the model's own (processor, then tokenizer)."""
    template = spec.get("chat_template") or getattr(processor, "chat_template", None)
    tokenizer = getattr(processor, "tokenizer", processor)
    template = template or getattr(tokenizer, "chat_template", None)
    if not template:
        raise ThinksafeError(
            f"config key models.{spec.get('name', '?')}.chat_template: the model has none; set one"
        )
    return template


def prompt_text(
    spec: dict, processor: Any, prompt: str, has_image: bool, history: list[Turn] | None = None
) -> str:
    """Recipe system turn + chat template + generation prompt + the recipe's generation prefix.

    `history` holds a dialogue's earlier turns (recipes with `dialogue`, asked turn by turn).
    The image appears as the template's placeholder (for Qwen-VL `<|vision_start|><|image_pad|>
    <|vision_end|>`); the processor expands it to the image's tokens when it encodes the text.
    """
    from jinja2.exceptions import TemplateError

    tokenizer = getattr(processor, "tokenizer", processor)
    try:
        text = tokenizer.apply_chat_template(
            messages(spec, prompt, has_image, history),
            chat_template=template_of(spec, processor),
            tokenize=False,
            add_generation_prompt=True,
            date_string=DATE_STRING,
        )
    except TemplateError as e:  # e.g. Llama 3.2 Vision refuses a system turn beside an image
        raise ThinksafeError(
            f"config key models.{spec.get('name', '?')}.recipe: the chat template refuses this prompt: {e}"
        ) from None
    return text + recipe_of(spec).prefix
