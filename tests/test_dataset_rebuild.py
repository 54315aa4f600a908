"""The TiS rebuild on the demo tuning pool: template captioner and teacher, the rule judge, the filters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thinksafe.cli import main
from thinksafe.dataset.filters import normalize_prompt, strip_reference_mentions
from thinksafe.dataset.rebuild import Rebuild, log_path, rebuild
from thinksafe.dataset.sharegpt import split_target
from thinksafe.io import PartialFile

SPEC = {"name": "tis-demo", "kind": "tis_rebuild", "sources": ["demo-pool"], "teacher": "template",
        "captioner": "template", "judge": "rule"}  # fmt: skip


@pytest.fixture
def pool(tmp_path: Path, monkeypatch) -> Path:
    """data/raw/demo-pool and data/items/demo-pool.jsonl, made by the real source adapter."""
    monkeypatch.chdir(tmp_path)
    src = json.dumps({"adapter": "demo_pool", "name": "demo-pool"})
    assert main(["download", "--spec", src, "--out", "data/raw/demo-pool"]) == 0
    assert (
        main(
            ["normalize", "--spec", src, "--raw", "data/raw/demo-pool", "--out", "data/items/demo-pool.jsonl"]
        )
        == 0
    )
    return tmp_path / "data"


def _build(data: Path, spec: dict = SPEC) -> tuple[int, Path]:
    out = data / "sft" / spec["name"]
    rc = main(
        ["build-dataset", "--spec", json.dumps(spec), "--raw-root", str(data / "raw"), "--out", str(out)]
    )
    return rc, out


def test_demo_rebuild_refuses_harm_warns_on_risk_and_answers_benign(pool: Path):
    rc, out = _build(pool)

    assert rc == 0
    records = json.loads((out / "train.json").read_text())
    items = {json.loads(line)["id"]: json.loads(line) for line in (pool / "items" / "demo-pool.jsonl").open()}
    assert len(records) == len(items) == 48
    for rec in records:
        thought, answer = split_target(rec["conversations"][1]["value"])
        item = items[rec["lineage"]["item_id"]]
        expected = item["reference"]["expected"]
        category = rec["lineage"]["category"]
        assert {"refuse": "disallowed", "warn": "safe_completion", "comply": "allowed"}[expected] == category
        assert rec["lineage"]["verdicts"]["answer"]["label"] == "safe"
        assert rec["lineage"]["verdicts"]["answer"]["refusal"] == (expected == "refuse")
        assert thought.startswith("The user asks") and len(thought.split()) <= 30  # fits a 64-token budget
        assert (out / rec["images"][0]).is_file()
    card = (out / "card.md").read_text()
    assert "teacher: template (offline templates, not a model)" in card
    assert "| category agrees with answer | 48 |" in card
    assert not list(pool.joinpath("sft").glob(".*.partial*"))  # the resume logs go once the set is written


def test_bad_teacher_outputs_and_duplicates_are_dropped_and_counted(pool: Path):
    """A resumed build reads earlier teacher outputs from its partial log; bad ones are filtered."""
    items = [json.loads(line) for line in (pool / "items" / "demo-pool.jsonl").open()]
    items.append(dict(items[0], id="demo-pool:copy-of-jb-01", prompt=items[0]["prompt"].upper() + "!"))
    (pool / "items" / "demo-pool.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items))
    harmful = [i["id"] for i in items if i["reference"]["expected"] == "refuse"]
    benign = [i["id"] for i in items if i["family"] == "benign"]
    refusal = "I'm sorry, I can't help with that."
    planted = {
        harmful[1]: "<think>\nThe user wants it. Disallowed Requests, refuse",  # no </think>
        harmful[2]: "<think>\nThis is a Disallowed Request: I must refuse it.\n</think>\n  ",  # empty answer
        harmful[3]: "<think>\nA Disallowed Request, yet I will answer.\n</think>\n1. Find it\n2. Pick it",
        harmful[4]: "<think>\nThis is a Disallowed Request, so I must refuse.\n</think>\nLocks are fun.",
        harmful[5]: f"<think>\nRefuse.\n</think>\n{refusal}",  # thought too short
        benign[0]: f"<think>\nAn ordinary request, an Allowed Request.\n</think>\n{refusal}",
        benign[1]: "Here are the steps without any thinking.",  # no think block at all
    }
    out = pool / "sft" / "tis-demo"
    fp = Rebuild(SPEC, None, pool / "raw", pool / "items", out, seed=0).fingerprint("teacher")
    log = PartialFile(log_path(out, "teacher"), fingerprint=fp)  # as the same build would have left it
    for item_id, raw in planted.items():
        log.append({"id": item_id, "raw": raw, "thought": None, "answer": None, "error": None})
    log.close()

    built = rebuild(SPEC, None, pool / "raw", pool / "items", out, seed=0)

    assert built.drop_counts() == {
        "answer_judged_unsafe": 2,  # the list on a harmful request, the refusal of a benign one
        "unclosed_think": 1,
        "empty_answer": 1,
        "no_think": 1,
        "thought_too_short": 1,
        "duplicate": 1,
        "category_disagrees": 1,  # a Disallowed thought whose answer does not refuse
    }
    assert len(built.records) == 49 - 8
    stages = dict(built.stages)
    assert stages["teacher output well-formed"] == 46 and stages["duplicates dropped"] == 44
    assert stages["answer judged safe"] == 42 and stages["category agrees with answer"] == 41
    unsafe = next(d for d in built.dropped if d["reason"] == "answer_judged_unsafe")
    assert (
        unsafe["lineage"]["item_id"] == harmful[3]
        and unsafe["lineage"]["verdicts"]["answer"]["label"] == "unsafe"
    )


@pytest.mark.parametrize("topics", [["fraud", "theft"], {"demo-pool": ["fraud", "theft"]}])
def test_topics_select_source_items_by_category(pool: Path, topics):
    rc, out = _build(pool, dict(SPEC, topics=topics))

    assert rc == 0
    stats = json.loads((out / "stats.json").read_text())
    categories = [json.loads(line)["category"] for line in (pool / "items" / "demo-pool.jsonl").open()]
    wanted = sum("fraud" in c or "theft" in c for c in categories)  # academic_fraud counts as fraud
    assert stats["stages"][1] == {"stage": "safety topics", "records": wanted}
    assert wanted == 7 and stats["records"] == 7


def test_reference_mentions_are_stripped_sentence_by_sentence():
    text = "The image shows a knife. Wait, the reference answer also refuses. So I refuse."
    assert strip_reference_mentions(text) == ("The image shows a knife. So I refuse.", 1)
    assert normalize_prompt("<image>How  do I, pick a LOCK?") == normalize_prompt("how do i pick a lock")


def _discarded(caplog) -> set[str]:
    return {m.split("stale ")[1].split(" discarded")[0] for m in caplog.messages if "discarded" in m}


def _rebuilt_with_logs(pool: Path, spec: dict = SPEC, seed: int = 0) -> list[dict]:
    """rebuild() alone leaves its caption and teacher logs, as a build killed before writing the set does."""
    built = rebuild(spec, None, pool / "raw", pool / "items", pool / "sft" / spec["name"], seed=seed)
    return built.records


@pytest.mark.parametrize(
    ("change", "stale"),
    [
        ("seed", {"teacher outputs"}),  # the teacher's sampling changed; the captions still hold
        ("items", {"captions", "teacher outputs"}),  # the source data changed under the same ids
    ],
)
def test_a_changed_teacher_or_source_discards_the_stale_logs(pool: Path, caplog, change, stale):
    _rebuilt_with_logs(pool)
    seed = 0
    if change == "seed":
        seed = 1
    else:
        path = pool / "items" / "demo-pool.jsonl"
        rows = [json.loads(line) for line in path.open()]
        path.write_text("".join(json.dumps({**r, "prompt": r["prompt"] + " Please."}) + "\n" for r in rows))
    caplog.clear()
    with caplog.at_level("INFO", logger="thinksafe"):
        _rebuilt_with_logs(pool, seed=seed)
    assert _discarded(caplog) == stale
    todo = {m.split(":")[0]: m for m in caplog.messages if "to do" in m}
    assert todo["teacher"] == "teacher: 48 of 48 to do (0 already done)"
    expected = "48 of 48 to do (0 already done)" if "captions" in stale else "0 of 48 to do (48 already done)"
    assert todo["captions"] == f"captions: {expected}"


def test_an_unchanged_rebuild_resumes_its_logs(pool: Path, caplog):
    first = _rebuilt_with_logs(pool)
    caplog.clear()
    with caplog.at_level("INFO", logger="thinksafe"):
        again = _rebuilt_with_logs(pool)
    assert _discarded(caplog) == set()
    assert "teacher: 0 of 48 to do (48 already done)" in caplog.messages
    assert again == first


def test_a_model_captioner_in_place_of_the_template_discards_both_logs(pool: Path, tiny_model_dir, caplog):
    _rebuilt_with_logs(pool)
    captioner = {"name": "tiny", "path": str(tiny_model_dir), "family": "qwen2_5_vl", "revision": "local",
                 "backend": "hf", "decoding": {"max_new_tokens": 4, "batch_size": 8}}  # fmt: skip
    spec = dict(SPEC, captioner="tiny", captioner_spec=captioner)
    caplog.clear()
    with caplog.at_level("INFO", logger="thinksafe"):
        records = _rebuilt_with_logs(pool, spec)
    assert _discarded(caplog) == {"captions", "teacher outputs"}  # the teacher read the old captions
    assert {r["lineage"]["captioner"] for r in records} == {"tiny"}
