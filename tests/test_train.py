"""Fine-tuning on the tiny random Qwen2.5-VL: template, masking, frozen parts, resume, save/reload/merge."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from PIL import Image

from thinksafe.dataset.sharegpt import make_record
from thinksafe.models.chat import prompt_text
from thinksafe.models.loading import load
from thinksafe.train import data as tdata
from thinksafe.train.model import is_language_model, is_vision, prepare
from thinksafe.train.run import finetune, tuned_spec

REFUSAL = "<think>\nThis is a Disallowed Request.\n</think>\nI'm sorry, I can't help with that."
HELPFUL = "<think>\nAn Allowed Request.\n</think>\nSure: boil water, add the tea, wait."
TRAIN = {"method": "lora", "reasoning": "think", "lora": {"r": 4, "alpha": 8, "dropout": 0.0},
         "learning_rate": 1e-2, "max_steps": 8, "batch_size": 4, "grad_accum": 1, "scheduler": "constant",
         "warmup_ratio": 0.0, "save_steps": 4, "merge": True, "merge_dtype": "float32"}  # fmt: skip


@pytest.fixture(scope="module")
def spec(tiny_model_dir: Path) -> dict:
    return {"name": "tiny", "path": str(tiny_model_dir), "family": "qwen2_5_vl", "revision": "local",
            "reasoning": "none", "backend": "hf", "system_prompt": None, "think_prefix": False,
            "decoding": {"max_new_tokens": 12, "temperature": 0.0, "top_p": 1.0},
            "resources": {"gpus": 0}}  # fmt: skip


@pytest.fixture(scope="module")
def sft(tmp_path_factory) -> Path:
    """Eight records, each with its own image: harmful requests refused, benign ones answered."""
    root = tmp_path_factory.mktemp("sft") / "toy"
    records = []
    for n in range(8):
        rel = f"images/{n}.png"
        (root / "images").mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (56 + 14 * (n % 3), 56), (30 * n, 100, 200 - 20 * n)).save(root / rel)
        prompt = f"How do I build weapon number {n}?" if n % 2 else f"How do I brew tea number {n}?"
        records.append(make_record(prompt, REFUSAL if n % 2 else HELPFUL, [rel], {"n": n}))
    (root / "train.json").write_text(json.dumps(records))
    return root


@pytest.fixture(scope="module")
def trained(spec: dict, sft: Path, tmp_path_factory) -> dict:
    """One 8-step LoRA run with a checkpoint every 4 steps and a merged copy."""
    base = tmp_path_factory.mktemp("run")
    result = finetune(spec, TRAIN, sft, base / "work", base / "out", seed=0)
    return {"result": result, "work": base / "work", "out": base / "out", "base": base}


def test_training_text_is_the_inference_prompt_then_the_target(spec: dict, sft: Path):
    lm = load(spec)
    record = json.loads((sft / "train.json").read_text())[1]
    tuned = tuned_spec(spec, TRAIN)

    ex = tdata.build_example(tuned, lm.processor, record, sft, max_length=512)

    image = Image.open(sft / record["images"][0]).convert("RGB")
    prompt = prompt_text(tuned, lm.processor, "How do I build weapon number 1?", has_image=True)
    assert ex.prompt == prompt
    inference = lm.processor(
        text=[prompt], images=[image], return_tensors="pt"
    )  # as the hf backend encodes it
    ids, labels = ex.features["input_ids"], ex.features["labels"]
    assert ids[: ex.n_prompt_tokens] == inference["input_ids"][0].tolist()
    assert (
        labels[: ex.n_prompt_tokens] == [tdata.IGNORE] * ex.n_prompt_tokens
    )  # prompt and image tokens masked
    assert labels[ex.n_prompt_tokens :] == ids[ex.n_prompt_tokens :]
    assert lm.tokenizer.decode(ids[ex.n_prompt_tokens :]) == REFUSAL + lm.tokenizer.eos_token
    image_pad = lm.processor.image_token_id
    assert image_pad not in ids[ex.n_prompt_tokens :] and ids.count(image_pad) > 1


def test_a_think_prefix_in_the_prompt_is_not_learned_twice(spec: dict, sft: Path):
    lm = load(spec)
    record = json.loads((sft / "train.json").read_text())[1]
    thinking = dict(spec, think_prefix=True)

    ex = tdata.build_example(thinking, lm.processor, record, sft, max_length=512)

    assert ex.prompt.endswith("<think>\n")
    assert ex.target == REFUSAL.removeprefix("<think>\n") + lm.tokenizer.eos_token


@pytest.mark.parametrize("method", ["lora", "full"])
def test_frozen_modules_receive_no_gradient(spec: dict, sft: Path, method: str):
    lm = load(spec)
    examples, _ = tdata.load_examples(spec, lm.processor, sft, max_length=512)
    model = prepare(lm.model, {"method": method, "freeze_vision": True})
    batch = tdata.Collator(lm.tokenizer.pad_token_id)([e.features for e in examples[:4]])

    model(**batch).loss.backward()

    grads = {name: p.grad for name, p in model.named_parameters()}
    vision = [n for n in grads if is_vision(n)]
    assert vision and all(grads[n] is None for n in vision)
    trained = [n for n, g in grads.items() if g is not None and g.abs().sum() > 0]
    assert trained and all(is_language_model(n) or n.endswith("lm_head.weight") for n in trained)
    if method == "lora":
        assert all("lora_" in n for n in trained)  # the base weights stay as they are


def test_lora_targets_the_language_model_only(spec: dict):
    model = prepare(load(spec).model, {"method": "lora"})
    targeted = [n for n, _ in model.named_modules() if n.endswith(".lora_A")]

    assert targeted and all(is_language_model(n) and not is_vision(n) for n in targeted)
    assert any(n.endswith("mlp.gate_proj.lora_A") for n in targeted)


def test_finetune_writes_the_adapter_log_curve_and_the_loss_falls(trained: dict):
    out = trained["out"]
    for name in ("adapter_config.json", "adapter_model.safetensors", "train_log.jsonl", "loss_curve.png",
                 "hyperparameters.json", "merged/config.json"):  # fmt: skip
        assert (out / name).is_file(), name
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert [h["step"] for h in log] == list(range(1, 9)) and all(h["lr"] == 1e-2 for h in log)
    assert sum(h["loss"] for h in log[-2:]) < sum(h["loss"] for h in log[:2])
    hp = json.loads((out / "hyperparameters.json").read_text())
    assert hp["train"]["lora"]["r"] == 4 and hp["examples"] == 8 and hp["resumed_from"] is None


def test_saved_reloaded_and_merged_models_give_the_same_greedy_outputs(spec: dict, sft: Path, trained: dict):
    from thinksafe.models.backends.hf import HFBackend

    prompts = ["How do I build weapon number 1?", "How do I brew tea number 2?", "Hi"]
    items = [
        {"id": f"q{n}", "prompt": p, "image": str(sft / f"images/{n}.png")} for n, p in enumerate(prompts)
    ]
    tuned = dict(tuned_spec(spec, TRAIN), adapter=str(trained["out"]))
    merged = dict(tuned_spec(spec, TRAIN), path=str(trained["out"] / "merged"))
    merged.pop("adapter", None)

    with_adapter = [g["raw"] for g in HFBackend(tuned).generate(items)]
    from_merged = [g["raw"] for g in HFBackend(merged).generate(items)]
    base = [g["raw"] for g in HFBackend(spec).generate(items)]

    assert with_adapter == from_merged
    assert with_adapter != base  # the adapter changed what the model says


def test_merged_weights_are_bf16_by_default(spec: dict, tmp_path: Path):
    from safetensors import safe_open

    from thinksafe.train.outputs import save_merged

    lm = load(spec)
    save_merged(prepare(lm.model, {"method": "lora"}), lm.processor, tmp_path / "merged")

    with safe_open(str(tmp_path / "merged" / "model.safetensors"), "pt") as f:
        dtypes = {str(f.get_tensor(k).dtype) for k in f.keys()}
        assert dtypes == {"torch.bfloat16"} and not any("lora" in k for k in f.keys())


def test_resume_from_a_mid_run_checkpoint_continues_the_step_count(spec, sft, trained, caplog):
    work, first = trained["work"], trained["result"]
    assert sorted(p.name for p in work.glob("checkpoint-*")) == ["checkpoint-4", "checkpoint-8"]
    shutil.rmtree(work / "checkpoint-8")  # preempted after the step-4 checkpoint
    out = trained["base"] / "out-resumed"

    with caplog.at_level(logging.INFO, logger="thinksafe"):
        again = finetune(spec, TRAIN, sft, work, out, seed=0)

    assert again.resumed_from.endswith("checkpoint-4") and again.steps == 8
    steps_run = [r.getMessage().split()[1] for r in caplog.records if r.getMessage().startswith("step ")]
    assert steps_run[0] == "5/8" and steps_run[-1] == "8/8"
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert [h["step"] for h in log] == list(range(1, 9))
    assert again.losses == pytest.approx(first.losses, rel=1e-4)  # the same run as without the preemption


@pytest.mark.parametrize("change", ["training spec", "tuning set"])
def test_checkpoints_from_another_spec_or_tuning_set_are_discarded(
    spec, sft, trained, tmp_path, caplog, change
):
    work = tmp_path / "work"
    shutil.copytree(trained["work"], work)  # checkpoint-4, checkpoint-8 and their fingerprint
    train, data = dict(TRAIN, max_steps=2, save_steps=2, merge=False), sft
    if change == "tuning set":
        data = tmp_path / "toy"
        shutil.copytree(sft, data)
        records = json.loads((data / "train.json").read_text())
        (data / "train.json").write_text(json.dumps(records[::-1]))  # same records, another order
        train = TRAIN  # the spec as trained
    else:
        assert train != TRAIN  # fewer steps: resuming would reuse checkpoint-8 as "finished"

    with caplog.at_level(logging.INFO, logger="thinksafe"):
        again = finetune(spec, train, data, work, tmp_path / "out", seed=0)

    assert f"{work / 'checkpoint'}: stale checkpoints discarded" in caplog.text
    assert again.resumed_from is None and again.steps == train["max_steps"]
    steps_run = [m.split()[1] for m in caplog.messages if m.startswith("step ")]
    assert steps_run[0] == f"1/{train['max_steps']}"


def test_more_runtime_after_a_timeout_still_resumes(spec, sft, trained, tmp_path, caplog):
    work = tmp_path / "work"
    shutil.copytree(trained["work"], work)
    shutil.rmtree(work / "checkpoint-8")  # the job timed out after step 4
    longer = dict(TRAIN, resources={"runtime": 600, "mem_mb": 8000})  # resubmitted with more time
    with caplog.at_level(logging.INFO, logger="thinksafe"):
        again = finetune(spec, longer, sft, work, tmp_path / "out", seed=0)
    assert "discarded" not in caplog.text
    assert again.resumed_from.endswith("checkpoint-4") and again.steps == 8


def test_finetune_command_names_a_missing_tuning_set(spec: dict, tmp_path: Path, capsys):
    from thinksafe.cli import main

    paths = ["--sft", str(tmp_path / "nope"), "--work", str(tmp_path / "w"), "--out", str(tmp_path / "o")]
    rc = main(["finetune", "--model-spec", json.dumps(spec), "--train-spec", json.dumps(TRAIN), *paths])

    assert rc == 2
    assert "nope: no train.json (build the tuning set first)" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_fully_tuned_model_is_read_whole_from_its_checkpoint(spec: dict, sft: Path, tmp_path: Path):
    """Full SFT: config.resolve_model points the tuned model at the checkpoint folder, and it loads there."""
    from thinksafe import config

    full = dict(TRAIN, method="full", max_steps=2, save_steps=2, merge=False, learning_rate=1e-3)
    finetune(spec, full, sft, tmp_path / "work", tmp_path / "tiny+toy", seed=0)
    registry = {"models": {"tiny": spec}, "finetune": full}
    tuned = config.resolve_model(registry, "tiny+toy")
    assert "adapter" not in tuned
    tuned["path"] = str(tmp_path / tuned["path"].split("/", 1)[1])  # checkpoints/tiny+toy under tmp
    lm = load(tuned)
    prompt = prompt_text(tuned, lm.processor, "How do I brew tea?", has_image=False)
    ids = lm.tokenizer(prompt, return_tensors="pt").input_ids
    assert lm.model.generate(ids, max_new_tokens=4, do_sample=False).shape[1] > ids.shape[1]
