"""Processors for the Qwen-VL families that work without torchvision.

transformers' Qwen2-VL / Qwen2.5-VL processors need a video processor, and that needs torchvision
(absent from the CPU torch build here). `load_processor` tries `AutoProcessor` first (GPU machines
with torchvision) and falls back to an image-only subclass with the same tokenisation.
"""

from __future__ import annotations

import logging
from typing import Any

from transformers import (
    AutoImageProcessor,
    AutoProcessor,
    AutoTokenizer,
    Qwen2_5_VLProcessor,
    Qwen2VLProcessor,
)
from transformers.processing_utils import ProcessorMixin

log = logging.getLogger("thinksafe")

IMAGE_TOKEN, VIDEO_TOKEN = "<|image_pad|>", "<|video_pad|>"


class _ImageOnlyMixin:
    """`__init__` without a video processor; everything else is the parent processor's."""

    def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
        self.image_token, self.video_token = IMAGE_TOKEN, VIDEO_TOKEN
        self.image_token_id = tokenizer.convert_tokens_to_ids(IMAGE_TOKEN)
        self.video_token_id = tokenizer.convert_tokens_to_ids(VIDEO_TOKEN)
        ProcessorMixin.__init__(self, image_processor, tokenizer, chat_template=chat_template)


# transformers derives a processor's parts from its __init__ signature: image processor + tokenizer.
class ImageOnlyQwen2_5_VLProcessor(_ImageOnlyMixin, Qwen2_5_VLProcessor):
    pass


class ImageOnlyQwen2VLProcessor(_ImageOnlyMixin, Qwen2VLProcessor):
    pass


IMAGE_ONLY = {"qwen2_5_vl": ImageOnlyQwen2_5_VLProcessor, "qwen2_vl": ImageOnlyQwen2VLProcessor}


def load_processor(source: str, family: str, **kwargs: Any):
    """The model's processor: AutoProcessor, or the image-only fallback for the Qwen-VL families."""
    try:
        processor = AutoProcessor.from_pretrained(source, **kwargs)
        # Without a usable processor class AutoProcessor hands back the bare tokenizer.
        if isinstance(processor, ProcessorMixin) or family not in IMAGE_ONLY:
            return processor
        log.info("AutoProcessor gave a %s; using the image-only processor", type(processor).__name__)
    except (ImportError, AttributeError, ValueError, OSError) as e:
        if family not in IMAGE_ONLY:
            raise
        log.info("AutoProcessor unavailable (%s: %s); using the image-only processor", type(e).__name__, e)
    tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
    image_processor = AutoImageProcessor.from_pretrained(source, **kwargs)
    return IMAGE_ONLY[family](image_processor, tokenizer, chat_template=tokenizer.chat_template)
