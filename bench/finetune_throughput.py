"""LoRA step throughput on demo-base: thinksafe's trainer against a plain TRL SFTTrainer, same settings.

    .venv/bin/python bench/finetune_throughput.py [--steps 6] [--rounds 2] [--model data/models/demo-base]

Both train the same model (loaded by thinksafe.models.loading), the same LoRA targets (the language
model's projections), the same tis-demo records (built offline from the demo pool), batch 4, lr 5e-4,
constant schedule, loss on the completion only, on the CPU. TRL gets its native VLM input: a
prompt/completion dataset with PIL images, processed by its collator each step; thinksafe pre-encodes
once. The runs alternate (ours, TRL, ours, TRL, …) so machine load hits both alike; the figure is each
side's median of the Trainer's own train_runtime. Prints one table and the ratio (target ≥ 1.0×).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"method": "lora", "reasoning": "think", "lora": {"r": 8, "alpha": 16, "dropout": 0.0},
            "learning_rate": 5e-4, "batch_size": 4, "grad_accum": 1, "scheduler": "constant",
            "warmup_ratio": 0.0, "freeze_vision": True}  # fmt: skip


def cli(*args: str, cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "thinksafe.cli", *args], cwd=cwd, check=True, capture_output=True)


def tis_demo(work: Path) -> Path:
    """data/sft/tis-demo, rebuilt offline from the demo pool with the real CLI."""
    src = json.dumps({"adapter": "demo_pool", "name": "demo-pool"})
    cli("download", "--spec", src, "--out", "data/raw/demo-pool", cwd=work)
    cli(
        "normalize",
        "--spec",
        src,
        "--raw",
        "data/raw/demo-pool",
        "--out",
        "data/items/demo-pool.jsonl",
        cwd=work,
    )
    spec = {"name": "tis-demo", "kind": "tis_rebuild", "sources": ["demo-pool"], "teacher": "template",
            "captioner": "template", "judge": "rule"}  # fmt: skip
    cli(
        "build-dataset",
        "--spec",
        json.dumps(spec),
        "--raw-root",
        "data/raw",
        "--out",
        "data/sft/tis-demo",
        cwd=work,
    )
    return work / "data" / "sft" / "tis-demo"


def model_spec(path: Path) -> dict:
    return {"name": "demo-base", "path": str(path), "family": "qwen2_5_vl", "revision": "local",
            "reasoning": "none", "system_prompt": None, "think_prefix": False,
            "resources": {"gpus": 0}}  # fmt: skip


def run_ours(spec: dict, sft: Path, steps: int, work: Path) -> tuple[float, list[float]]:
    from thinksafe.train.run import finetune

    result = finetune(
        spec, {**SETTINGS, "max_steps": steps, "save_steps": 10**6}, sft, work / "w", work / "o", 0
    )
    return result.train_seconds, result.losses


def run_trl(spec: dict, sft: Path, steps: int, work: Path) -> tuple[float, list[float]]:
    from datasets import Dataset
    from peft import LoraConfig
    from PIL import Image
    from trl import SFTConfig, SFTTrainer

    from thinksafe.dataset.sharegpt import prompt_of, turns
    from thinksafe.models.loading import load
    from thinksafe.train.model import lora_targets

    lm = load(spec)
    rows = []
    for rec in json.loads((sft / "train.json").read_text()):
        human, gpt, images = turns(rec)
        content = [{"type": "image"}, {"type": "text", "text": prompt_of(human)}]
        rows.append({
            "prompt": [{"role": "user", "content": content}],
            "completion": [{"role": "assistant", "content": [{"type": "text", "text": gpt}]}],
            "images": [Image.open(sft / images[0]).convert("RGB")],
        })  # fmt: skip
    lora = SETTINGS["lora"]
    args = SFTConfig(
        output_dir=str(work / "trl"), per_device_train_batch_size=SETTINGS["batch_size"],
        gradient_accumulation_steps=SETTINGS["grad_accum"], learning_rate=SETTINGS["learning_rate"],
        lr_scheduler_type=SETTINGS["scheduler"], max_steps=steps, logging_steps=1, save_strategy="no",
        use_cpu=True, report_to=[], max_length=None, disable_tqdm=True, seed=0, dataloader_num_workers=0,
    )  # fmt: skip
    peft = LoraConfig(r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"],
                      target_modules=lora_targets(lm.model, freeze_vision=True))  # fmt: skip
    trainer = SFTTrainer(model=lm.model, args=args, train_dataset=Dataset.from_list(rows),
                         processing_class=lm.processor, peft_config=peft)  # fmt: skip
    out = trainer.train()
    return float(out.metrics["train_runtime"]), [h["loss"] for h in trainer.state.log_history if "loss" in h]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--model", type=Path, default=ROOT / "data" / "models" / "demo-base")
    a = ap.parse_args()
    if not (a.model / "config.json").is_file():
        cli("build-model", "--kind", "demo-base", "--out", str(a.model), cwd=ROOT)
    import torch
    import transformers
    import trl

    spec = model_spec(a.model.resolve())
    times: dict[str, list[float]] = {"thinksafe": [], "trl": []}
    losses: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="ft-bench-") as tmp:
        sft = tis_demo(Path(tmp))
        for r in range(a.rounds):
            for name, fn in (("thinksafe", run_ours), ("trl", run_trl)):
                seconds, losses[name] = fn(spec, sft, a.steps, Path(tmp) / f"{name}{r}")
                times[name].append(seconds)
                print(f"round {r + 1}: {name:9s} {seconds:7.1f} s for {a.steps} steps", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print()
    print(
        f"LoRA on {a.model.name}, {a.steps} steps x batch {SETTINGS['batch_size']}, median of {a.rounds} runs"
    )
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch "
          f"{torch.__version__}, transformers {transformers.__version__}, trl {trl.__version__}, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print()
    print("| trainer | s/step | steps/s | samples/s | first loss | last loss |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in ("thinksafe", "trl"):
        sps = a.steps / med[name]
        print(f"| {name} | {med[name] / a.steps:.2f} | {sps:.3f} | {sps * SETTINGS['batch_size']:.2f} | "
              f"{losses[name][0]:.3f} | {losses[name][-1]:.3f} |")  # fmt: skip
    print()
    print(f"throughput ratio thinksafe / TRL: {med['trl'] / med['thinksafe']:.2f}x (target >= 1.0x)")


if __name__ == "__main__":
    main()
