"""Tuning records → token ids and labels, with the exact prompt text inference uses.

The prompt is `thinksafe.models.chat.prompt_text(spec, processor, prompt, has_image)` (system prompt,
chat template, generation prompt, `<think>` prefix) encoded by the processor with its image, exactly as
the hf backend encodes it; the target (thought and answer) follows as plain tokens and ends with the
end-of-turn token. Labels are -100 on every prompt and image token, so the loss is on the assistant
tokens only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thinksafe.dataset.sharegpt import BadRecord, prompt_of, turns
from thinksafe.errors import ThinksafeError, located
from thinksafe.io import read_json
from thinksafe.models.chat import THINK_PREFIX, prompt_text

log = logging.getLogger("thinksafe")
IGNORE = -100
QWEN_FAMILIES = ("qwen2_5_vl", "qwen2_vl")
ALIGNED = "_token_aligned"  # feature keys shaped (1, seq, …) like input_ids: padded along with it


def extend_aligned(key: str, value: Any, n: int) -> Any:
    """A per-token tensor of the prompt, extended over `n` target tokens.

    mllama's cross_attention_mask: target tokens see the image as the last prompt token does; token
    type ids (Qwen's mm_token_type_ids): target tokens are text, 0.
    """
    import torch

    if key == "cross_attention_mask":
        tail = value[:, -1:].repeat(1, n, *[1] * (value.dim() - 2))
    else:
        tail = torch.zeros((1, n, *value.shape[2:]), dtype=value.dtype)
    return torch.cat([value, tail], dim=1)


@dataclass
class Example:
    prompt: str  # the text inference sees before the output
    target: str  # what the model learns to write after it
    features: dict[str, Any]  # input_ids, labels, attention_mask, pixel_values, image_grid_thw, …
    n_prompt_tokens: int


def load_image(paths: list[Path]):
    """One RGB image; several (MIS) are tiled side by side, since prompt_text places one image."""
    from PIL import Image

    from thinksafe.images import open_image

    images = []
    for p in paths:
        with open_image(p) as im:
            images.append(im.convert("RGB"))
    if len(images) == 1:
        return images[0]
    height = max(im.height for im in images)
    canvas = Image.new("RGB", (sum(im.width for im in images), height), "white")
    x = 0
    for im in images:
        canvas.paste(im, (x, 0))
        x += im.width
    return canvas


def target_after(prompt: str, target: str) -> str:
    """The target without a `<think>\\n` the prompt already ends with (entries with think_prefix)."""
    if prompt.endswith(THINK_PREFIX) and target.startswith(THINK_PREFIX):
        return target[len(THINK_PREFIX) :]
    return target


def encode_prompt(spec: dict, processor: Any, text: str, image: Any) -> dict:
    """The processor's encoding of one prompt, as the hf backend does it (batch of one)."""
    kwargs: dict[str, Any] = {"text": [text], "return_tensors": "pt"}
    if image is not None:
        kwargs["images"] = [image] if spec.get("family") in QWEN_FAMILIES else [[image]]
    return dict(processor(**kwargs))


def end_of_turn(tokenizer: Any) -> str:
    return tokenizer.eos_token or ""


def build_example(spec: dict, processor: Any, record: dict, root: Path, max_length: int) -> Example:
    human, gpt, images = turns(record)
    prompt = prompt_of(human)
    image = load_image([root / p for p in images]) if images else None
    text = prompt_text(spec, processor, prompt, image is not None)
    tokenizer = getattr(processor, "tokenizer", processor)
    target = target_after(text, gpt) + end_of_turn(tokenizer)
    enc = encode_prompt(spec, processor, text, image)
    prompt_ids = enc.pop("input_ids")[0].tolist()
    enc.pop("attention_mask", None)
    target_ids = tokenizer(target, add_special_tokens=False)["input_ids"]
    if len(prompt_ids) >= max_length:
        raise BadRecord("prompt_too_long", f"{len(prompt_ids)} prompt tokens, max_length {max_length}")
    target_ids = target_ids[: max_length - len(prompt_ids)]
    ids = prompt_ids + target_ids
    aligned = []
    for key, value in enc.items():
        if value.dim() >= 2 and value.shape[0] == 1 and value.shape[1] == len(prompt_ids):
            enc[key] = extend_aligned(key, value, len(target_ids))
            aligned.append(key)
    features = {
        "input_ids": ids,
        "labels": [IGNORE] * len(prompt_ids) + target_ids,
        **enc,  # pixel_values, image_grid_thw, mm_token_type_ids, … (tensors)
        ALIGNED: tuple(aligned),
    }
    return Example(text, target, features, len(prompt_ids))


def load_examples(
    spec: dict, processor: Any, sft: Path, max_length: int
) -> tuple[list[Example], dict[str, int]]:
    """Every record of data/sft/NAME/train.json as an Example; unusable ones counted by reason."""
    path = sft / "train.json"
    records = read_json(path)
    if not isinstance(records, list) or not records:
        raise located(path, "expected a non-empty JSON list of records")
    examples, dropped = [], {}
    for n, rec in enumerate(records):
        try:
            examples.append(build_example(spec, processor, rec, sft, max_length))
        except BadRecord as e:
            dropped[e.reason] = dropped.get(e.reason, 0) + 1
            log.warning("%s[%d]: %s", path, n, e)
        except (OSError, ValueError) as e:
            dropped["unreadable"] = dropped.get("unreadable", 0) + 1
            log.warning("%s[%d]: %s", path, n, e)
    if not examples:
        raise ThinksafeError(f"{path}: no usable record ({dropped})")
    return examples, dropped


class Collator:
    """Right-pads a batch: pad ids, mask 0, labels -100; image tensors are concatenated in order."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, features: list[dict]) -> dict:
        import torch

        width = max(len(f["input_ids"]) for f in features)
        out: dict[str, Any] = {
            "input_ids": torch.full((len(features), width), self.pad_id, dtype=torch.long),
            "labels": torch.full((len(features), width), IGNORE, dtype=torch.long),
            "attention_mask": torch.zeros((len(features), width), dtype=torch.long),
        }
        for i, f in enumerate(features):
            n = len(f["input_ids"])
            out["input_ids"][i, :n] = torch.tensor(f["input_ids"])
            out["labels"][i, :n] = torch.tensor(f["labels"])
            out["attention_mask"][i, :n] = 1
        aligned = {k for f in features for k in f.get(ALIGNED, ())}
        for key in sorted({k for f in features for k in f} - set(out) - {ALIGNED}):
            tensors = [f[key] for f in features if key in f]
            if key in aligned:  # (1, seq, …): padded on the right like input_ids
                pads = [(0, 0) * (t.dim() - 2) + (0, width - t.shape[1]) for t in tensors]
                tensors = [torch.nn.functional.pad(t, pad) for t, pad in zip(tensors, pads, strict=True)]
            out[key] = torch.cat(tensors, dim=0)
        return out
