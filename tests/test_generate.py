"""`thinksafe generate` and the hf backend on the tiny random Qwen2.5-VL."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from thinksafe import cli
from thinksafe.commands.generate import meta_path, shard_slice
from thinksafe.io import PartialFile
from thinksafe.models.backends import get_backend
from thinksafe.records import Generation

BIN = Path(sys.executable).parent
GENERATION_FIELDS = set(Generation.__dataclass_fields__)


def spec_for(model_dir: Path, **decoding) -> dict:
    return {
        "name": "tiny", "path": str(model_dir), "family": "qwen2_5_vl", "revision": "local",
        "reasoning": "think", "think_prefix": True, "system_prompt": "Think first.", "backend": "hf",
        "decoding": {"max_new_tokens": 12, "temperature": 0.0, "top_p": 1.0, "batch_size": 4, **decoding},
    }  # fmt: skip


def make_items(folder: Path, n: int, missing: tuple[int, ...] = ()) -> Path:
    """n items: text-only, and images of two sizes; the indices in `missing` point at no file."""
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (112, 112), "red").save(folder / "red.png")
    Image.new("RGB", (84, 168), "blue").save(folder / "blue.png")
    path = folder / "items.jsonl"
    with path.open("w") as f:
        for i in range(n):
            image = [None, folder / "red.png", folder / "blue.png"][i % 3]
            if i in missing:
                image = folder / "gone.png"
            item = {"id": f"item-{i:03d}", "benchmark": "unit", "family": "benign", "category": "c",
                    "subset": "s", "prompt": "Describe the picture. " * (1 + i % 4) + f"({i})",
                    "image": str(image) if image else None, "image_sha256": None}  # fmt: skip
            f.write(json.dumps(item) + "\n")
    return path


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def generate_argv(spec: dict, items: Path, out: Path, shard: str = "00", n_shards: int = 1) -> list[str]:
    return ["generate", "--spec", json.dumps(spec), "--items", str(items), "--shard", shard,
            "--n-shards", str(n_shards), "--seed", "0", "--out", str(out)]  # fmt: skip


def test_batched_greedy_equals_one_by_one(tiny_model_dir, tmp_path):
    items = read(make_items(tmp_path, 9))
    backend = get_backend(spec_for(tiny_model_dir, max_new_tokens=16))
    batched = {r["id"]: r for r in backend.generate(items)}
    backend.batch_size = 1
    single = {r["id"]: r for r in backend.generate(items)}
    assert batched == single
    assert len({r["raw"] for r in batched.values()}) > 1  # the outputs differ between prompts
    for rec in batched.values():
        assert set(rec) == GENERATION_FIELDS and rec["error"] is None
        assert rec["n_output_tokens"] >= 1 and rec["finish_reason"] in ("stop", "length")


def test_sampled_decoding_is_reproducible_with_the_seed(tiny_model_dir, tmp_path):
    items = read(make_items(tmp_path, 4))
    spec = spec_for(tiny_model_dir, temperature=1.0, top_p=0.9)
    first = get_backend(spec, seed=1).generate(items)
    again = get_backend(spec, seed=1).generate(items)
    other = get_backend(spec, seed=2).generate(items)
    assert [r["raw"] for r in first] == [r["raw"] for r in again]
    assert [r["raw"] for r in first] != [r["raw"] for r in other]


def test_generate_writes_records_in_item_order_and_the_meta_sidecar(tiny_model_dir, tmp_path, caplog):
    items = make_items(tmp_path, 7, missing=(4,))
    out = tmp_path / "gen" / "00.jsonl"
    with caplog.at_level("INFO", logger="thinksafe"):
        assert cli.main(generate_argv(spec_for(tiny_model_dir), items, out)) == 0
    records = read(out)
    assert [r["id"] for r in records] == [f"item-{i:03d}" for i in range(7)]
    failed = records[4]
    assert failed["error"].startswith("image not found:") and failed["finish_reason"] == "error"
    assert all(r["error"] is None for r in records if r is not failed)
    assert not out.with_name("00.jsonl.partial").exists()

    meta = json.loads(meta_path(out).read_text())
    assert meta["backend"] == "hf" and meta["device"] == "cpu" and meta["seed"] == 0
    assert meta["decoding"]["max_new_tokens"] == 12 and meta["model_revision"] == "local"
    assert meta["versions"]["transformers"] and meta["versions"]["torch"]
    assert meta["counts"]["errors"] == 1 and meta["counts"]["items"] == 7
    assert meta["counts"]["output_tokens"] == sum(r["n_output_tokens"] for r in records)
    assert meta["started"] <= meta["ended"]
    summary = [m for m in caplog.messages if m.startswith("SUMMARY generate")]
    assert summary and "errors=1" in summary[0] and "items=7" in summary[0]


def test_one_job_writes_its_shard_of_several_benchmarks_and_keeps_those_already_current(
    tiny_model_dir, tmp_path, caplog
):
    # The rule's shape: one model load, one --out per --items (two benchmarks, shard 1 of 2).
    first, second = make_items(tmp_path / "a", 5), make_items(tmp_path / "b", 4)
    out_a, out_b = tmp_path / "gen" / "a" / "01.jsonl", tmp_path / "gen" / "b" / "01.jsonl"
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec_for(tiny_model_dir)))
    argv = ["generate", "--spec", f"@{spec_file}", "--shard", "01", "--n-shards", "2", "--seed", "0"]
    assert cli.main([*argv, "--items", str(first), "--out", str(out_a)]) == 0
    assert [r["id"] for r in read(out_a)] == ["item-002", "item-003", "item-004"]  # items[5//2 : 5]
    kept = out_a.read_bytes(), out_a.stat().st_mtime_ns

    # A benchmark added to the run: the job reruns with both; the first shard is current and kept.
    with caplog.at_level("INFO", logger="thinksafe"):
        assert cli.main([*argv, "--items", str(first), str(second), "--out", str(out_a), str(out_b)]) == 0
    assert (out_a.read_bytes(), out_a.stat().st_mtime_ns) == kept
    assert any(f"{out_a}: kept" in m for m in caplog.messages)
    assert [r["id"] for r in read(out_b)] == ["item-002", "item-003"]
    summaries = [m for m in caplog.messages if m.startswith("SUMMARY generate")]
    assert len(summaries) == 1 and "generated_now=2" in summaries[0]
    assert (
        json.loads(meta_path(out_b).read_text())["fingerprint"]
        != json.loads(meta_path(out_a).read_text())["fingerprint"]
    )  # each output is owned by its own items file's fingerprint

    # Another decoding is another fingerprint: nothing is kept.
    spec_file.write_text(json.dumps(spec_for(tiny_model_dir, max_new_tokens=13)))
    caplog.clear()
    with caplog.at_level("INFO", logger="thinksafe"):
        assert cli.main([*argv, "--items", str(first), str(second), "--out", str(out_a), str(out_b)]) == 0
    assert not any("kept" in m for m in caplog.messages)
    assert json.loads(meta_path(out_a).read_text())["decoding"]["max_new_tokens"] == 13


def test_items_and_outputs_must_pair(tiny_model_dir, tmp_path, capsys):
    items = make_items(tmp_path, 2)
    argv = generate_argv(spec_for(tiny_model_dir), items, tmp_path / "a.jsonl") + [str(tmp_path / "b.jsonl")]
    assert cli.main(argv) == 2
    assert "--items gives 1 file(s), --out 2: one --out per --items" in capsys.readouterr().err


def test_shards_are_a_stable_partition_of_the_items():
    items = [{"id": str(i)} for i in range(23)]
    for n in (1, 2, 4, 7):
        shards = [shard_slice(items, k, n) for k in range(n)]
        assert [it for s in shards for it in s] == items
        assert max(map(len, shards)) - min(map(len, shards)) <= 1
        assert shards == [shard_slice(list(items), k, n) for k in range(n)]


def test_more_shards_than_items_is_warned_and_the_empty_shard_still_written(tiny_model_dir, tmp_path, caplog):
    items = make_items(tmp_path, 2)
    out = tmp_path / "gen" / "00.jsonl"
    with caplog.at_level("WARNING", logger="thinksafe"):
        assert cli.main(generate_argv(spec_for(tiny_model_dir), items, out, "00", 3)) == 0
    assert read(out) == []  # shard 0 of 3 over 2 items holds none
    assert any("3 shards for 2 items: 1 shard(s) get no item (lower run.shards" in m for m in caplog.messages)


def test_sigkill_at_random_points_then_rerun_loses_and_duplicates_nothing(tiny_model_dir, tmp_path):
    items = make_items(tmp_path, 36, missing=(7,))
    spec = spec_for(tiny_model_dir, batch_size=2)
    reference = tmp_path / "reference" / "01.jsonl"
    assert cli.main(generate_argv(spec, items, reference, "01", 2)) == 0  # uninterrupted

    out = tmp_path / "gen" / "01.jsonl"
    partial = out.with_name("01.jsonl.partial")
    cmd = [str(BIN / "thinksafe"), *generate_argv(spec, items, out, "01", 2)]
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    rng = random.Random(4)
    kills = 0
    for target in sorted(rng.sample(range(1, 17), 3)):  # kill once the partial holds ≥ target records
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if partial.exists() and partial.read_bytes().count(b"\n") >= target:
                time.sleep(rng.uniform(0, 0.05))  # sometimes in the middle of a batch
                proc.send_signal(signal.SIGKILL)
                kills += 1
                break
            time.sleep(0.01)
        proc.wait(timeout=60)
        assert not out.exists()
    assert kills == 3

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "already done" in done.stderr
    records, expected = read(out), read(reference)
    ids = [r["id"] for r in records]
    assert ids == [r["id"] for r in expected] and len(set(ids)) == len(ids) == 18  # items 18..35
    assert records == expected  # greedy: the resumed run gives the same records
    assert json.loads(meta_path(out).read_text())["counts"]["resumed"] > 0


def test_a_partial_from_another_spec_is_discarded(tiny_model_dir, tmp_path):
    items = make_items(tmp_path, 3)
    out = tmp_path / "gen" / "00.jsonl"
    out.parent.mkdir()
    stale = {**dict.fromkeys(GENERATION_FIELDS), "id": "item-000", "raw": "from an older decoding"}
    out.with_name("00.jsonl.partial").write_text(json.dumps(stale) + "\n")
    assert cli.main(generate_argv(spec_for(tiny_model_dir), items, out)) == 0
    assert "from an older decoding" not in out.read_text()
    assert len(read(out)) == 3


class Killed(BaseException):
    """Stands for SIGKILL once the partial holds some records (the kill test above sends the real one)."""


def interrupted_run(argv: list[str], after: int, monkeypatch) -> None:
    real_append = PartialFile.append

    def append_then_die(self, rec):
        real_append(self, rec)
        if len(self.records) == after:
            raise Killed

    with monkeypatch.context() as m:
        m.setattr(PartialFile, "append", append_then_die)
        with pytest.raises(Killed):
            cli.main(argv)


@pytest.mark.parametrize(
    "change",
    [
        {"decoding": {"max_new_tokens": 6}},  # another decoding
        {"system_prompt": "Answer briefly."},  # another prompt
        {"items": True},  # the same ids, another items file
    ],
)
def test_a_partial_from_another_spec_or_items_file_is_discarded_with_a_log_line(
    tiny_model_dir, tmp_path, monkeypatch, caplog, change
):
    items = make_items(tmp_path, 6)
    out = tmp_path / "gen" / "00.jsonl"
    interrupted_run(generate_argv(spec_for(tiny_model_dir), items, out), after=3, monkeypatch=monkeypatch)
    assert len(read(out.with_name("00.jsonl.partial"))) == 3 and not out.exists()

    spec = spec_for(tiny_model_dir)
    if "decoding" in change:
        spec["decoding"].update(change["decoding"])
    elif "system_prompt" in change:
        spec["system_prompt"] = change["system_prompt"]
    else:
        rows = read(items)
        items.write_text("".join(json.dumps({**r, "prompt": r["prompt"].upper()}) + "\n" for r in rows))
    with caplog.at_level("INFO", logger="thinksafe"):
        assert cli.main(generate_argv(spec, items, out)) == 0
    assert "00.jsonl.partial: stale generations discarded" in caplog.text
    assert json.loads(meta_path(out).read_text())["counts"]["resumed"] == 0

    reference = tmp_path / "reference" / "00.jsonl"
    assert cli.main(generate_argv(spec, items, reference)) == 0  # the new spec, from scratch
    assert read(out) == read(reference)


def test_an_unchanged_spec_resumes_its_partial_even_with_more_runtime(
    tiny_model_dir, tmp_path, monkeypatch, caplog
):
    items = make_items(tmp_path, 6)
    out = tmp_path / "gen" / "00.jsonl"
    spec = {**spec_for(tiny_model_dir), "resources": {"gpus": 0, "runtime": 10}}
    interrupted_run(generate_argv(spec, items, out), after=4, monkeypatch=monkeypatch)
    spec["resources"]["runtime"] = 60  # resubmitted after a timeout with more time: nothing else changed
    with caplog.at_level("INFO", logger="thinksafe"):
        assert cli.main(generate_argv(spec, items, out)) == 0
    assert "discarded" not in caplog.text
    assert json.loads(meta_path(out).read_text())["counts"]["resumed"] == 4
    assert not list(out.parent.glob("*.partial*"))  # the partial and its fingerprint go with promotion


def test_bad_input_stops_with_one_line_naming_the_cause(tiny_model_dir, tmp_path, capsys):
    items = make_items(tmp_path, 2)
    out = tmp_path / "gen" / "00.jsonl"
    cases = [
        (generate_argv({**spec_for(tiny_model_dir), "family": "gpt2"}, items, out), "unknown family 'gpt2'"),
        (generate_argv({**spec_for(tiny_model_dir), "backend": "tgi"}, items, out), "unknown backend 'tgi'"),
        (generate_argv(spec_for(tiny_model_dir), items, out, "03", 2), "shard out of range"),
    ]
    bad_items = tmp_path / "bad.jsonl"
    bad_items.write_text('{"id": "a", "prompt": "x"}\n{"id": "a", "prompt": "y"}\n')
    duplicate = f"{bad_items}:2: duplicate item id"
    cases.append((generate_argv(spec_for(tiny_model_dir), bad_items, out), duplicate))
    for argv, message in cases:
        assert cli.main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["think", "none"])
def test_records_split_thought_and_answer_by_the_entry_format(tiny_model_dir, tmp_path, fmt):
    items = read(make_items(tmp_path, 2))
    spec = {**spec_for(tiny_model_dir), "reasoning": fmt}
    for rec in get_backend(spec).generate(items):
        if fmt == "none":
            assert rec["thought"] is None and rec["answer"] == rec["raw"].strip()
        else:  # think_prefix: the output starts inside the thought
            assert rec["thought"] is not None
            assert rec["truncated"] == (rec["finish_reason"] == "length" or "</think>" not in rec["raw"])


def test_thought_budget_closes_an_open_thought_and_leaves_room_for_the_answer(tiny_model_dir, tmp_path):
    items = read(make_items(tmp_path, 5))
    spec = spec_for(tiny_model_dir, max_new_tokens=14, thought_budget=6, repetition_penalty=1.2)
    records = get_backend(spec).generate(items)
    forced = [r for r in records if "</think>" not in r["raw"].split("\n</think>\n\n")[0]]
    assert len(records) == 5 and forced  # the random model never closes its thought by itself
    for rec in forced:
        thought, answer = rec["raw"].split("\n</think>\n\n", 1)
        assert rec["thought"] == thought.strip() and rec["answer"] == answer.strip()
        assert rec["truncated"]  # the thought was cut off by the budget
        assert 6 < rec["n_output_tokens"] <= 14
    backend = get_backend(spec)
    backend.batch_size = 1
    assert sorted(backend.generate(items), key=lambda r: r["id"]) == sorted(records, key=lambda r: r["id"])


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed here")
def test_the_vllm_backend_without_vllm_is_a_clear_error(tiny_model_dir):
    from thinksafe.errors import ThinksafeError

    with pytest.raises(ThinksafeError, match="vllm is not installed.*set backend: hf"):
        get_backend({**spec_for(tiny_model_dir), "backend": "vllm"})
