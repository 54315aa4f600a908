"""The declared output of a fine-tuning job, written whole or not at all.

checkpoints/M+D/
  adapter_config.json, adapter_model.safetensors   the LoRA adapter (PeftModel.from_pretrained loads it);
                                                   full SFT writes the whole model and its processor here
  train_log.jsonl                                  step, loss, lr, grad_norm per optimizer step
  loss_curve.png                                   the logged loss against the step
  hyperparameters.json                             the resolved settings, sizes, device, timings
  merged/                                          base + adapter merged, bf16 (finetune.merge, merge_dtype)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from thinksafe import io


def plot_loss(history: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=110)
    ax.plot([h["step"] for h in history], [h["loss"] for h in history], marker=".", linewidth=1)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("training loss (assistant tokens)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def save_merged(model: Any, processor: Any, out: Path, dtype: str = "bfloat16") -> None:
    """Base weights with the adapter folded in; bf16 by default (fp32 doubles the size, feasibility.md §4)."""
    import torch

    merged = model.merge_and_unload() if hasattr(model, "merge_and_unload") else model
    merged.to(getattr(torch, dtype)).save_pretrained(out, safe_serialization=True)
    processor.save_pretrained(out)


def write_outputs(
    model: Any, lm: Any, model_spec: dict, train: dict, history: list[dict], hparams: dict, out: Path
) -> None:
    with io.atomic_dir(out) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        if train.get("method", "lora") != "lora":
            lm.processor.save_pretrained(tmp)
        with (tmp / "train_log.jsonl").open("w", encoding="utf-8") as f:
            for h in history:
                f.write(json.dumps(h) + "\n")
        plot_loss(
            history, tmp / "loss_curve.png", f"{model_spec.get('name')} on {Path(hparams['dataset']).name}"
        )
        (tmp / "hyperparameters.json").write_text(json.dumps(hparams, indent=2, default=str) + "\n")
        if train.get("merge"):
            save_merged(model, lm.processor, tmp / "merged", train.get("merge_dtype", "bfloat16"))
