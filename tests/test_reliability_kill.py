"""SIGKILL at seeded random points, then a restart: generation loses and duplicates nothing and equals an
uninterrupted run; training resumes from the newest checkpoint and reaches the configured step count.

Each attempt is the real `thinksafe` CLI in its own process, killed (whole process group) a random moment
after it made progress: inside a batch, while appending to the partial file, while saving a checkpoint.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from reliability import figures
from reliability.procs import kill_when, thinksafe
from reliability.workspace import items_file, model_spec, read_jsonl, tuning_set

pytest_plugins = ["reliability.plugin"]
KILLS = 10


def lines_in(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def generate_args(spec: dict, items: Path, out: str) -> list[str]:
    return ["generate", "--spec", json.dumps(spec), "--items", str(items), "--shard", "00", "--n-shards", "1",
            "--seed", "0", "--out", out]  # fmt: skip


def test_generate_killed_ten_times_loses_and_duplicates_nothing(tiny_model_dir, tmp_path):
    items = items_file(tmp_path, 36)
    spec = model_spec(tiny_model_dir)
    reference = tmp_path / "reference" / "00.jsonl"
    # uninterrupted, in a process like the others (in this one, torch's thread count can differ, and the
    # random tiny model's near-tied logits then flip a greedy token)
    done = thinksafe(*generate_args(spec, items, str(reference)), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "gen" / "00.jsonl"
    partial = out.with_name("00.jsonl.partial")
    rng = random.Random(10)
    targets = sorted(rng.sample(range(1, 22), KILLS))  # leave work for after the last kill
    kills = 0
    for target in targets:
        start = lines_in(partial)  # each attempt makes progress before it dies

        def ready(goal: int = max(target, start + 1)) -> bool:
            return lines_in(partial) >= goal

        kills += kill_when(generate_args(spec, items, "gen/00.jsonl"), tmp_path, ready, rng,
                           tmp_path / "attempts.log", max_delay_s=0.03)  # fmt: skip
        assert not out.exists()  # nothing promoted by a killed job
    assert kills == KILLS

    logged = [json.loads(line)["id"] for line in partial.read_bytes().splitlines(keepends=True)
              if line.endswith(b"\n")]  # fmt: skip
    assert 0 < len(logged) < 36
    done = thinksafe(*generate_args(spec, items, "gen/00.jsonl"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]

    records, reference = read_jsonl(out), read_jsonl(reference)
    ids = [r["id"] for r in records]
    lost = len({r["id"] for r in reference} - set(ids))
    duplicated = len(ids) - len(set(ids)) + len(logged) - len(set(logged))
    figures.add(kill_points=kills, generate_kills=kills, records_lost=lost, records_duplicated=duplicated)
    assert lost == 0 and duplicated == 0
    assert records == reference  # greedy: the resumed run is the uninterrupted run, record for record
    meta = json.loads((tmp_path / "gen" / "00.meta.json").read_text())
    assert meta["counts"]["resumed"] == len(set(logged)) and meta["counts"]["items"] == 36
    assert not partial.exists()


TRAIN = {"method": "lora", "lora": {"r": 4, "alpha": 8, "dropout": 0.0}, "max_steps": 36, "batch_size": 1,
         "grad_accum": 1, "save_steps": 1, "max_length": 256, "learning_rate": 1e-3}  # fmt: skip
OUT = "checkpoints/tiny-base+tis-tiny"


def newest_step(work: Path) -> int:
    steps = [int(p.name.split("-")[1]) for p in work.glob("checkpoint-*") if p.name.split("-")[1].isdigit()]
    return max(steps, default=0)


def attempts(log: Path) -> list[tuple[int, int | None]]:
    """(the step each attempt resumed from, the first step it then logged) per attempt that trained."""
    out = []
    for block in log.read_text().split("--- attempt")[1:]:
        resumed = re.search(r"resuming from \S*checkpoint-(\d+)", block)
        first = re.search(r"INFO step (\d+)/", block)
        if first:
            out.append((int(resumed.group(1)) if resumed else 0, int(first.group(1))))
    return out


def test_finetune_killed_ten_times_continues_the_step_count(tiny_model_dir, tmp_path):
    sft = tuning_set(tmp_path)
    spec = model_spec(tiny_model_dir, name="tiny-base", reasoning="none", think_prefix=False)
    args = ["finetune", "--model-spec", json.dumps(spec), "--train-spec", json.dumps(TRAIN),
            "--sft", str(sft), "--work", "work/ft", "--seed", "0", "--out", OUT]  # fmt: skip
    work, out, log = tmp_path / "work" / "ft", tmp_path / OUT, tmp_path / "ft.log"
    rng = random.Random(11)
    kills = 0
    for _ in range(KILLS):
        start = newest_step(work)

        def ready(after: int = start) -> bool:
            return newest_step(work) > after

        kills += kill_when(args, tmp_path, ready, rng, log, max_delay_s=0.1)
        assert not out.exists()
    assert kills == KILLS and newest_step(work) < TRAIN["max_steps"]

    with log.open("a") as f:
        f.write("--- attempt (final)\n")
        done = thinksafe(*args, cwd=tmp_path, timeout=300)
        f.write(done.stderr)
    assert done.returncode == 0, done.stderr[-3000:]

    resumed = attempts(log)
    steps_off = sum(abs(first - (start + 1)) for start, first in resumed)
    cut = len(set(re.findall(r"(checkpoint-\d+): incomplete checkpoint", log.read_text())))
    figures.add(kill_points=kills, finetune_kills=kills, steps_off=steps_off, checkpoints_cut=cut)
    assert len(resumed) >= KILLS and steps_off == 0  # every attempt picked up right after its checkpoint
    history = read_jsonl(out / "train_log.jsonl")
    assert [h["step"] for h in history] == list(range(1, TRAIN["max_steps"] + 1))
    hparams = json.loads((out / "hyperparameters.json").read_text())
    assert hparams["total_steps"] == TRAIN["max_steps"] and "checkpoint-" in hparams["resumed_from"]
    assert (out / "adapter_model.safetensors").stat().st_size > 0
