"""Fine-tune one model on one tuning set with transformers' Trainer (accelerate underneath).

Checkpoints go to the work dir (never a declared output: Snakemake deletes those when a job fails);
a rerun resumes from the newest checkpoint and continues the step count. The checkpoints are claimed
with the fingerprint of the model entry, the training spec, the seed, the process count and the sha256
of train.json (io.claim): checkpoints left by another spec or another tuning set are discarded with a
log line, never resumed. At the end the declared output appears in one step: the adapter at its top
(PeftModel loads it), train_log.jsonl, loss_curve.png, hyperparameters.json and, with `merge: true`,
merged/ (bf16).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thinksafe.io import claim, fingerprint, result_spec
from thinksafe.progress import summary
from thinksafe.records import sha256_file
from thinksafe.train import data as tdata
from thinksafe.train import model as tmodel
from thinksafe.train.outputs import write_outputs

log = logging.getLogger("thinksafe")

DEFAULTS: dict[str, Any] = {
    "method": "lora",
    "lora": {"r": 8, "alpha": 16, "dropout": 0.05},
    "learning_rate": 1e-5,
    "epochs": 1.0,
    "max_steps": None,
    "batch_size": 1,
    "grad_accum": 8,
    "warmup_ratio": 0.0,
    "scheduler": "cosine",
    "freeze_vision": True,
    "merge": False,
    "merge_dtype": "bfloat16",  # merged/ weights; float32 keeps greedy outputs bit-equal to base + adapter
    "max_length": 2048,
    "save_steps": None,  # default: three checkpoints per run, at least one every 50 steps
    "gradient_checkpointing": None,  # None: on with a GPU, off on CPU
    "deepspeed": None,  # zero2 | zero3 (config/deepspeed/), used with several GPUs
    "weight_decay": 0.0,
    "max_grad_norm": 1.0,
}
DEEPSPEED_DIR = Path(__file__).resolve().parents[3] / "config" / "deepspeed"


@dataclass
class Result:
    out: Path
    steps: int
    losses: list[float]
    seconds: float  # the whole job: load, tokenize, train, save
    resumed_from: str | None
    train_seconds: float = 0.0  # the training loop alone (Trainer's train_runtime)


def resolve(train_spec: dict) -> dict:
    return {**DEFAULTS, **train_spec, "lora": {**DEFAULTS["lora"], **train_spec.get("lora", {})}}


def tuned_spec(model_spec: dict, train: dict) -> dict:
    """The spec inference will use for `<model>+<dataset>` (config.resolve_model): same template inputs."""
    spec = dict(model_spec)
    if train.get("reasoning"):
        spec["reasoning"] = train["reasoning"]
    return spec


def newest_checkpoint(work: Path) -> str | None:
    """The newest complete checkpoint. Trainer writes trainer_state.json last, so a folder without a
    readable one was cut by a kill mid-save: skipped (resuming from it would fail on every rerun)."""
    import json

    steps = {int(p.name[11:]): p for p in work.glob("checkpoint-*") if p.name[11:].isdigit()}
    for _, ckpt in sorted(steps.items(), reverse=True):
        try:
            json.loads((ckpt / "trainer_state.json").read_text())
        except (OSError, ValueError):
            log.warning("%s: incomplete checkpoint (killed while saving), skipped", ckpt)
            continue
        return str(ckpt)
    return None


def work_fingerprint(model_spec: dict, train_spec: dict, sft: Path, seed: int, world: int) -> str:
    """What the checkpoints in a work dir were trained from (memory and runtime left out: io.result_spec)."""
    train = result_spec({**resolve(train_spec), "resources": train_spec.get("resources") or {}})
    sft_sha = sha256_file(Path(sft) / "train.json")
    return fingerprint("checkpoints", result_spec(model_spec), train, seed, world, sft_sha)


def claim_work(model_spec: dict, train_spec: dict, sft: Path, work: Path, seed: int, world: int) -> bool:
    """Keep the work dir's checkpoints only if they were trained from the same inputs (True: resume).
    Called once, before any training process starts (several would race on the removal)."""
    fp = work_fingerprint(model_spec, train_spec, sft, seed, world)
    return claim(
        Path(work) / "checkpoint", fp, "checkpoints", parts=lambda: sorted(Path(work).glob("checkpoint-*"))
    )


def _steps(n_examples: int, train: dict, world: int) -> tuple[int, int]:
    """(total optimizer steps, save interval)."""
    import math

    per_step = int(train["batch_size"]) * int(train["grad_accum"]) * world
    total = int(train["max_steps"] or math.ceil(float(train["epochs"]) * n_examples / per_step))
    save = int(train["save_steps"] or min(50, max(1, total // 3)))
    return total, save


def training_arguments(train: dict, work: Path, seed: int, total: int, save: int, on_gpu: bool):
    from transformers import TrainingArguments

    ckpt = train["gradient_checkpointing"]
    ckpt = on_gpu if ckpt is None else bool(ckpt)
    deepspeed = train.get("deepspeed")
    return TrainingArguments(
        output_dir=str(work),
        per_device_train_batch_size=int(train["batch_size"]),
        gradient_accumulation_steps=int(train["grad_accum"]),
        learning_rate=float(train["learning_rate"]),
        max_steps=total,
        warmup_steps=float(train["warmup_ratio"]) if float(train["warmup_ratio"]) < 1 else 0,
        lr_scheduler_type=train["scheduler"],
        weight_decay=float(train["weight_decay"]),
        max_grad_norm=float(train["max_grad_norm"]),
        logging_steps=1,
        save_steps=save,
        save_total_limit=2,
        seed=seed,
        data_seed=seed,
        bf16=on_gpu,
        activation_checkpointing=ckpt,  # transformers 5's name for gradient checkpointing
        activation_checkpointing_kwargs={"use_reentrant": False} if ckpt else None,
        deepspeed=str(DEEPSPEED_DIR / f"{deepspeed}.json") if deepspeed and on_gpu else None,
        use_cpu=not on_gpu,
        report_to=[],
        remove_unused_columns=False,
        dataloader_num_workers=0,
        dataloader_pin_memory=on_gpu,
        disable_tqdm=True,
    )


def _progress_callback(total: int):
    from transformers import TrainerCallback

    class ProgressLog(TrainerCallback):
        """`step n/total loss lr` lines with the rate and time left, every logged step."""

        def on_train_begin(self, args, state, control, **kw):
            self.t0, self.step0 = time.monotonic(), state.global_step

        def on_log(self, args, state, control, logs=None, **kw):
            if not logs or "loss" not in logs or not state.is_world_process_zero:
                return
            done = state.global_step - self.step0
            rate = done / max(time.monotonic() - self.t0, 1e-9)
            left = (total - state.global_step) / rate if rate else float("inf")
            log.info(
                "step %d/%d loss %.4f lr %.3g, %.2f s/step, %.0f s left",
                state.global_step,
                total,
                logs["loss"],
                logs.get("learning_rate", 0.0),
                1 / rate if rate else 0.0,
                left,
            )

    return ProgressLog()


def finetune(model_spec: dict, train_spec: dict, sft: Path, work: Path, out: Path, seed: int) -> Result:
    import torch
    from transformers import Trainer, set_seed

    from thinksafe.models.loading import load

    t0 = time.monotonic()
    train = resolve(train_spec)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if "LOCAL_RANK" not in os.environ:  # under `accelerate launch` the launching command claimed it
        claim_work(model_spec, train_spec, sft, work, seed, world)
    on_gpu = torch.cuda.is_available() and int(model_spec.get("resources", {}).get("gpus", 0)) > 0
    set_seed(seed)
    lm = load(tmodel.training_spec(model_spec, on_gpu))
    spec = tuned_spec(model_spec, train)
    examples, dropped = tdata.load_examples(spec, lm.processor, sft, int(train["max_length"]))
    log.info("%d training examples from %s (%s dropped)", len(examples), sft, sum(dropped.values()))
    model = tmodel.prepare(lm.model, train)
    total, save = _steps(len(examples), train, world)
    args = training_arguments(train, work, seed, total, save, on_gpu)
    if args.activation_checkpointing and hasattr(model, "enable_input_require_grads"):
        model.enable_input_require_grads()  # LoRA + checkpointing: frozen embeddings must carry grad
    tokenizer = lm.tokenizer
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=[e.features for e in examples],
        data_collator=tdata.Collator(pad_id),
        callbacks=[_progress_callback(total)],
    )
    resume = newest_checkpoint(work)
    if resume:
        log.info("resuming from %s", resume)
    if resume and int(Path(resume).name.rsplit("-", 1)[1]) >= total:
        # Killed after the last checkpoint but before the output: Trainer resumed there runs one step
        # past max_steps, so load the finished weights and state instead of training again.
        from transformers import TrainerState

        trainer._load_from_checkpoint(resume)
        trainer.state = TrainerState.load_from_json(str(Path(resume) / "trainer_state.json"))
        train_seconds = 0.0
    else:
        output = trainer.train(resume_from_checkpoint=resume)
        train_seconds = float(output.metrics.get("train_runtime", 0.0))
    history = [
        {"step": h["step"], "loss": h["loss"], "lr": h.get("learning_rate"), "grad_norm": h.get("grad_norm")}
        for h in trainer.state.log_history
        if "loss" in h
    ]
    seconds = time.monotonic() - t0
    if trainer.is_world_process_zero():
        hparams = {
            "model": model_spec.get("name"),
            "dataset": str(sft),
            "train": train,
            "seed": seed,
            "examples": len(examples),
            "examples_dropped": dropped,
            "total_steps": total,
            "save_steps": save,
            "world_size": world,
            "device": "cuda" if on_gpu else "cpu",
            "bf16": on_gpu,
            "gradient_checkpointing": bool(args.activation_checkpointing),
            "resumed_from": resume,
            "seconds": round(seconds, 1),
            "train_seconds": round(train_seconds, 1),
            "chat_template_spec": {
                k: spec.get(k) for k in ("family", "system_prompt", "think_prefix", "chat_template", "recipe")
            },
        }
        write_outputs(trainer.model, lm, model_spec, train, history, hparams, out)
    losses = [h["loss"] for h in history]
    summary(
        "finetune",
        model=model_spec.get("name"),
        steps=trainer.state.global_step,
        examples=len(examples),
        first_loss=round(losses[0], 4) if losses else None,
        last_loss=round(losses[-1], 4) if losses else None,
        seconds=round(seconds, 1),
    )
    return Result(out, trainer.state.global_step, losses, seconds, resume, train_seconds)
