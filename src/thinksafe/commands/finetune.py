"""`thinksafe finetune`: LoRA or full SFT of one model on one tuning set, resumable from --work.

With several GPUs (the finetune resources' `gpus`) the command starts itself again under
`accelerate launch` with one process per GPU; DeepSpeed ZeRO comes from `finetune.deepspeed`.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from pathlib import Path

from thinksafe.commands.specs import json_object
from thinksafe.errors import ThinksafeError

log = logging.getLogger("thinksafe")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model-spec", required=True, help="the model's registry entry (JSON)")
    p.add_argument("--train-spec", required=True, help="the config's finetune section (JSON)")
    p.add_argument("--sft", required=True, type=Path, help="the tuning set folder (data/sft/NAME)")
    p.add_argument(
        "--work", required=True, type=Path, help="checkpoints for resuming (not a declared output)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, type=Path, help="checkpoints/M+D: the final adapter")


def launch_command(n_gpus: int, argv: list[str]) -> list[str]:
    """`accelerate launch` with one process per GPU, running this same command."""
    return [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(n_gpus),
            "--module", "thinksafe.cli", "finetune", *argv]  # fmt: skip


def gpus_wanted(train_spec: dict, model_spec: dict) -> int:
    resources = train_spec.get("resources") or model_spec.get("resources") or {}
    return int(resources.get("gpus", 0))


def run(args: argparse.Namespace) -> int:
    model_spec = json_object(args.model_spec, "--model-spec")
    train_spec = json_object(args.train_spec, "--train-spec")
    if not (args.sft / "train.json").is_file():
        raise ThinksafeError(f"{args.sft}: no train.json (build the tuning set first)")
    n_gpus = gpus_wanted(train_spec, model_spec)
    # The model entry decides the device; the finetune section's resources are what SLURM gave the job.
    model_spec = {**model_spec, "resources": {**model_spec.get("resources", {}), "gpus": n_gpus}}
    if n_gpus > 1 and "LOCAL_RANK" not in os.environ:
        import torch

        if torch.cuda.device_count() >= n_gpus:
            from thinksafe.train.run import claim_work

            claim_work(model_spec, train_spec, args.sft, args.work, args.seed, world=n_gpus)
            argv = sys.argv[sys.argv.index("finetune") + 1 :]
            log.info("launching %d processes: accelerate launch", n_gpus)
            return subprocess.call(launch_command(n_gpus, argv))
        log.warning("finetune.resources.gpus is %d but %d GPUs are visible: one process", n_gpus,
                    torch.cuda.device_count())  # fmt: skip
    from thinksafe.train.run import finetune

    finetune(model_spec, train_spec, args.sft, args.work, args.out, args.seed)
    return 0
