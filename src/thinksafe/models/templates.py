"""Chat templates of the locally built models (ChatML with Qwen2.5-VL's image placeholder).

The placeholder `<|vision_start|><|image_pad|><|vision_end|>` is emitted once per image part; the
processor expands `<|image_pad|>` to the image's token count.
"""

from __future__ import annotations

# SmolLM2-Instruct's own default system prompt (from its GGUF chat template), kept so demo-base
# answers as SmolLM2 does when the registry entry sets no system prompt.
SMOLLM2_DEFAULT_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
TINY_DEFAULT_SYSTEM = "You are a helpful assistant."


def chatml_vision_template(default_system: str) -> str:
    """A Jinja ChatML template: string or list content, image parts, optional generation prompt."""
    return (
        "{%- for message in messages -%}"
        "{%- if loop.first and message['role'] != 'system' -%}"
        "{{ '<|im_start|>system\\n" + default_system + "<|im_end|>\\n' }}"
        "{%- endif -%}"
        "{{ '<|im_start|>' + message['role'] + '\\n' }}"
        "{%- if message['content'] is string -%}{{ message['content'] }}"
        "{%- else -%}{%- for part in message['content'] -%}"
        "{%- if part['type'] == 'image' -%}{{ '<|vision_start|><|image_pad|><|vision_end|>' }}"
        "{%- elif part['type'] == 'text' -%}{{ part['text'] }}{%- endif -%}"
        "{%- endfor -%}{%- endif -%}"
        "{{ '<|im_end|>\\n' }}"
        "{%- endfor -%}"
        "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}"
    )
