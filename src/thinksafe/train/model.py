"""The model to tune: loaded through thinksafe.models.loading, vision frozen, LoRA or full SFT.

LoRA goes on the language model's attention and MLP projections only, found by module name under the
language model (the Qwen2.5-VL vision MLP also has gate/up/down_proj, feasibility.md §4). With
`freeze_vision: false` the vision tower's and projector's linear layers get LoRA too (full SFT: they
become trainable).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from thinksafe.errors import ThinksafeError

log = logging.getLogger("thinksafe")

LM_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
# Module-name parts of the vision tower and the vision-to-text projector across the registry's families.
VISION_PARTS = ("visual", "vision_tower", "vision_model", "multi_modal_projector", "mm_projector", "merger")


def is_vision(name: str) -> bool:
    return any(part in name.split(".") for part in VISION_PARTS)


def is_language_model(name: str) -> bool:
    return "language_model" in name.split(".")


def lora_targets(model: Any, freeze_vision: bool, pattern: str | None = None) -> list[str]:
    """Full names of the linear modules that get LoRA adapters."""
    import torch

    names = []
    for name, module in model.named_modules():
        if not isinstance(module, torch.nn.Linear):
            continue
        if pattern:
            keep = re.fullmatch(pattern, name) is not None
        elif is_vision(name):
            keep = not freeze_vision
        else:
            keep = is_language_model(name) and name.rsplit(".", 1)[-1] in LM_PROJECTIONS
        if keep:
            names.append(name)
    if not names:
        raise ThinksafeError("config key finetune.target_modules: no linear module of the model matches")
    return names


def training_spec(model_spec: dict, on_gpu: bool) -> dict:
    """The registry entry to load for training: no adapter; bf16 weights on GPU (autocast does the rest)."""
    spec = {k: v for k, v in model_spec.items() if k not in ("adapter", "tuned_from", "dataset")}
    # Load on the CPU and let the Trainer (accelerate) place the model: device_map would defeat DDP.
    spec["resources"] = {**spec.get("resources", {}), "gpus": 0}
    if on_gpu:
        spec["dtype"] = "bfloat16"
    return spec


def prepare(model: Any, train: dict) -> Any:
    """Freeze what stays fixed and wrap with LoRA (default) or leave whole for full SFT."""
    freeze_vision = bool(train.get("freeze_vision", True))
    method = train.get("method", "lora")
    model.train()
    if method == "lora":
        from peft import LoraConfig, get_peft_model

        lora = train.get("lora", {})
        targets = lora_targets(model, freeze_vision, train.get("target_modules"))
        config = LoraConfig(
            r=int(lora.get("r", 8)),
            lora_alpha=float(lora.get("alpha", 16)),
            lora_dropout=float(lora.get("dropout", 0.05)),
            target_modules=targets,
            bias="none",
        )
        model = get_peft_model(model, config)
    elif method == "full":
        for name, p in model.named_parameters():
            p.requires_grad = not (freeze_vision and is_vision(name))
    else:
        raise ThinksafeError(f"config key finetune.method: unknown method '{method}' (lora, full)")
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    log.info("%s: %d of %d parameters trainable (%.2f%%)", method, trainable, total, 100 * trainable / total)
    return model
