"""The exact text a model sees before its output.

`prompt_text` is the one place a prompt becomes model input. Generation (every local backend) and
fine-tuning (training text = prompt_text + target) both call it, so the template is the same in
training, merging and inference. It is pure: same spec, processor and prompt → same string.
"""

from __future__ import annotations

from typing import Any

from thinksafe.errors import ThinksafeError

THINK_PREFIX = "<think>\n"


def messages(spec: dict, prompt: str, has_image: bool) -> list[dict]:
    """Chat messages: the entry's system prompt (if any), then one user turn (image first, then text)."""
    out: list[dict] = []
    if spec.get("system_prompt"):
        # a plain string: every family's template accepts it for the system turn
        out.append({"role": "system", "content": spec["system_prompt"]})
    content: list[dict] = [{"type": "image"}] if has_image else []
    content.append({"type": "text", "text": prompt})
    out.append({"role": "user", "content": content})
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


def prompt_text(spec: dict, processor: Any, prompt: str, has_image: bool) -> str:
    """System prompt + chat template + generation prompt (+ `<think>\\n` when the entry sets think_prefix).

    The image appears as the template's placeholder (for Qwen-VL `<|vision_start|><|image_pad|>
    <|vision_end|>`); the processor expands it to the image's tokens when it encodes the text.
    """
    tokenizer = getattr(processor, "tokenizer", processor)
    text = tokenizer.apply_chat_template(
        messages(spec, prompt, has_image),
        chat_template=template_of(spec, processor),
        tokenize=False,
        add_generation_prompt=True,
    )
    if spec.get("think_prefix"):
        text += THINK_PREFIX
    return text
