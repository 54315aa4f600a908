"""Declared outputs appear whole or not at all; partial files resume without loss or duplication."""

from __future__ import annotations

import errno
import json
import os
import resource
import signal

import pytest

from thinksafe import io
from thinksafe.errors import ThinksafeError

FP = io.fingerprint({"model": "tiny", "decoding": {"max_new_tokens": 8}}, "sha256-of-items")


def test_a_failed_write_leaves_no_output_and_no_temp_file(tmp_path):
    out = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError):
        with io.atomic_path(out) as tmp:
            tmp.write_text('{"id": "a"}\n')
            raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_directory_build_keeps_the_previous_one(tmp_path):
    out = tmp_path / "model"
    with io.atomic_dir(out) as tmp:
        (tmp / "weights").write_text("v1")
    with pytest.raises(RuntimeError):
        with io.atomic_dir(out) as tmp:
            (tmp / "weights").write_text("v2-half")
            raise RuntimeError("killed")
    assert (out / "weights").read_text() == "v1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_partial_file_resumes_after_a_torn_write(tmp_path):
    out = tmp_path / "00.jsonl"
    part = io.PartialFile(out, fingerprint=FP)
    part.append({"id": "a", "x": 1})
    part.append({"id": "b", "x": 2})
    part.close()
    with part.path.open("a") as f:  # a kill in the middle of writing the third record
        f.write('{"id": "c", "x"')
    resumed = io.PartialFile(out, fingerprint=FP)
    assert resumed.done == {"a", "b"}
    resumed.append({"id": "b", "x": 99})  # already done: ignored, never duplicated
    resumed.append({"id": "c", "x": 3})
    assert resumed.promote(order=["c", "a", "b"]) == 3
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["c", "a", "b"]
    assert json.loads(out.read_text().splitlines()[2])["x"] == 2
    assert not resumed.path.exists() and not io.fingerprint_path(resumed.path).exists()


def test_promotion_refuses_an_incomplete_shard(tmp_path):
    part = io.PartialFile(tmp_path / "00.jsonl", fingerprint=FP)
    part.append({"id": "a"})
    with pytest.raises(ThinksafeError, match="1 records missing before promotion"):
        part.promote(order=["a", "b"])
    assert not (tmp_path / "00.jsonl").exists()


def test_malformed_jsonl_names_file_and_line(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": 1}\n\n{"id": 2,}\n')
    with pytest.raises(ThinksafeError, match=r"items.jsonl:3: malformed JSON"):
        io.read_jsonl(path)


def test_outputs_get_the_usual_permissions_not_mkstemps_0600(tmp_path):
    io.write_text(tmp_path / "report.html", "<html></html>")
    with io.atomic_dir(tmp_path / "adapter") as tmp:
        (tmp / "a").write_text("x")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o666 & ~mask
    assert (tmp_path / "adapter").stat().st_mode & 0o777 == 0o777 & ~mask


GOOD_ITEM = {"id": "a", "prompt": "p", "family": "benign", "image": None}


@pytest.mark.parametrize(
    "kind, lines, where",
    [
        ("item", ["[1, 2]"], "x.jsonl:1: expected a JSON object (item record), got a list"),
        ("item", ['"just text"'], "x.jsonl:1: expected a JSON object (item record), got a string"),
        ("item", [json.dumps(GOOD_ITEM), '{"prompt": "p"}'], "x.jsonl:2: id: missing field"),
        ("item", [json.dumps({**GOOD_ITEM, "id": 7})], "x.jsonl:1: id: must be a string, got a number 7"),
        ("item", [json.dumps({**GOOD_ITEM, "family": "evil"})], "x.jsonl:1: family: 'evil' is not one of"),
        (
            "item",
            [json.dumps({**GOOD_ITEM, "image": ["a.png"]})],
            "x.jsonl:1: image: must be a string or null",
        ),
        ("item", [json.dumps({**GOOD_ITEM, "reference": "x"})], "x.jsonl:1: reference: must be an object"),
        (
            "generation",
            ['{"id": "a", "answer": 42}'],
            "x.jsonl:1: answer: must be a string or null, got a number",
        ),
        (
            "generation",
            ['{"id": "a", "n_output_tokens": true}'],
            "x.jsonl:1: n_output_tokens: must be an integer",
        ),
        (
            "generation",
            ['{"id": "a", "n_output_tokens": 1.5}'],
            "x.jsonl:1: n_output_tokens: must be an integer",
        ),
        ("generation", ['{"answer": "x"}'], "x.jsonl:1: id: missing field (every generation record has it)"),
        ("verdict", ['{"id": "a", "status": "ok"}'], "x.jsonl:1: target: missing field"),
        (
            "verdict",
            ['{"id": "a", "target": "answer", "status": "fine"}'],
            "x.jsonl:1: status: 'fine' is not one",
        ),
        (
            "verdict",
            ['{"id": "a", "target": "answer", "status": "ok", "refusal": "yes"}'],
            "x.jsonl:1: refusal",
        ),
    ],
)
def test_every_record_kind_has_one_schema_and_a_bad_record_names_file_line_and_field(
    tmp_path, kind, lines, where
):
    path = tmp_path / "x.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ThinksafeError) as e:
        io.read_jsonl(path, kind=kind)
    assert str(e.value).startswith(f"{tmp_path}/{where}"), str(e.value)


@pytest.mark.parametrize(
    "data, message",
    [
        ('{"id": "a", "prompt": "p"}\n'.encode("utf-16"), "x.jsonl:1: UTF-16 text (byte-order mark)"),
        ('{"id": "a", "prompt": "p"}\n'.encode("utf-16-be"), "x.jsonl:1: NUL bytes (UTF-16 text?)"),
        (
            '{"id": "a", "prompt": "p"}\n{"id": "b", "prompt": "café"}\n'.encode("latin-1"),
            "x.jsonl:2: not UTF-8",
        ),
    ],
)
def test_a_file_in_another_encoding_is_named_with_its_line(tmp_path, data, message):
    path = tmp_path / "x.jsonl"
    path.write_bytes(data)
    with pytest.raises(
        ThinksafeError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")
    ):
        io.read_jsonl(path, kind="item")


def test_a_utf8_bom_and_crlf_line_ends_are_read(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": "a", "prompt": "p"}\r\n{"id": "b", "prompt": "q"}\r\n')
    assert [r["id"] for r in io.read_jsonl(path, kind="item")] == ["a", "b"]


def test_a_directory_or_a_missing_file_is_one_located_error(tmp_path):
    (tmp_path / "d.jsonl").mkdir()
    with pytest.raises(ThinksafeError, match=r"d.jsonl: is a directory, expected a JSONL file"):
        io.read_jsonl(tmp_path / "d.jsonl", kind="item")
    with pytest.raises(ThinksafeError, match=r"gone.jsonl: file not found"):
        io.read_jsonl(tmp_path / "gone.jsonl")
    with pytest.raises(ThinksafeError, match=r"d.jsonl: is a directory, expected a JSON file"):
        io.read_json(tmp_path / "d.jsonl")


def test_a_partial_written_under_another_fingerprint_is_discarded_with_a_log_line(tmp_path, caplog):
    out = tmp_path / "00.jsonl"
    old = io.PartialFile(out, fingerprint=FP)
    old.append({"id": "a", "answer": "from the old spec"})
    old.close()
    new_fp = io.fingerprint({"model": "tiny", "decoding": {"max_new_tokens": 16}}, "sha256-of-items")
    assert new_fp != FP and len(new_fp) == 64

    with caplog.at_level("WARNING", logger="thinksafe"):
        fresh = io.PartialFile(out, fingerprint=new_fp, what="generations")
    assert fresh.done == set()
    line = f"stale generations discarded (written under fingerprint {FP[:12]}, now {new_fp[:12]})"
    assert line in caplog.text
    fresh.append({"id": "a", "answer": "new"})
    fresh.close()

    caplog.clear()
    with caplog.at_level("WARNING", logger="thinksafe"):
        again = io.PartialFile(out, fingerprint=new_fp)  # same spec: resumes, says nothing
    assert again.records == {"a": {"id": "a", "answer": "new"}} and caplog.text == ""
    again.close()


def test_a_partial_with_no_fingerprint_recorded_is_not_trusted(tmp_path, caplog):
    out = tmp_path / "00.jsonl"
    io.partial_path(out).write_text('{"id": "a"}\n')  # left by an older version, or copied in by hand
    with caplog.at_level("WARNING", logger="thinksafe"):
        part = io.PartialFile(out, fingerprint=FP)
    assert part.done == set() and "no fingerprint recorded" in caplog.text
    part.close()


def test_claim_discards_every_part_of_a_folder_partial(tmp_path, caplog):
    work = tmp_path / "work"
    (work / "checkpoint-4").mkdir(parents=True)
    (work / "checkpoint-8").mkdir()
    (work / "notes.txt").write_text("kept: not part of the partial")

    def checkpoints() -> list:
        return sorted(work.glob("checkpoint-*"))

    stamp = work / "checkpoints"
    assert io.claim(stamp, FP, "checkpoints", parts=checkpoints) is False  # none recorded: discarded
    assert checkpoints() == [] and (work / "notes.txt").exists()
    (work / "checkpoint-2").mkdir()
    assert io.claim(stamp, FP, "checkpoints", parts=checkpoints) is True  # same fingerprint: resume
    assert io.claim(stamp, "f" * 64, "checkpoints", parts=checkpoints) is False
    assert checkpoints() == [] and "stale checkpoints discarded" in caplog.text


TABLES = ["metrics.csv", "table1.md", "table1.tex", "table2.md", "table2.tex", "summary.md"]


def test_a_real_file_size_limit_on_the_fourth_table_leaves_the_old_set(tmp_path):
    """The kernel refuses the write (RLIMIT_FSIZE, as a quota or full disk would): no monkeypatching."""
    tables = tmp_path / "tables"
    io.commit_files(tables, {n: "old" for n in TABLES})
    (tables / "README").write_text("a file the set does not own")
    new = {n: ("x" * 100_000 if i == 3 else "new") for i, n in enumerate(TABLES)}  # the 4th is too big
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of the signal
    resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, hard))
    try:
        with pytest.raises(OSError) as failed:
            io.commit_files(tables, new)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert failed.value.errno == errno.EFBIG
    assert {p.name: p.read_text() for p in tables.iterdir()} == {
        **{n: "old" for n in TABLES},
        "README": "a file the set does not own",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tables"]  # no staging folder left behind

    io.commit_files(tables, {n: "new" for n in TABLES})  # the limit lifted: all six new, README kept
    assert {p.name: p.read_text() for p in tables.iterdir()} == {
        **{n: "new" for n in TABLES},
        "README": "a file the set does not own",
    }


def test_a_shard_and_its_meta_are_written_as_one_set(tmp_path, monkeypatch):
    out, meta = tmp_path / "00.jsonl", tmp_path / "00.meta.json"
    part = io.PartialFile(out, fingerprint=FP)
    part.append({"id": "a"})
    part.promote(sidecars={meta: '{"run": 1}\n'})
    again = io.PartialFile(out, fingerprint=FP)
    again.append({"id": "b"})

    def disk_full(path, records):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(io, "_dump_jsonl", disk_full)  # the shard fails after its meta was staged
    with pytest.raises(OSError, match="No space left"):
        again.promote(order=["b"], sidecars={meta: '{"run": 2}\n'})
    assert meta.read_text() == '{"run": 1}\n' and out.read_text() == '{"id": "a"}\n'
    assert again.path.exists()  # the log stays for the rerun
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["00.jsonl", "00.jsonl.partial", "00.jsonl.partial.fingerprint", "00.meta.json"]


def test_memory_and_runtime_are_not_part_of_what_produced_a_result():
    spec = {"name": "m", "decoding": {"seed": 0}, "resources": {"gpus": 1, "mem_mb": 8000, "runtime": 60}}
    longer = {**spec, "resources": {"gpus": 1, "mem_mb": 16000, "runtime": 600}}
    on_two_gpus = {**spec, "resources": {"gpus": 2, "mem_mb": 8000, "runtime": 60}}
    assert io.fingerprint(io.result_spec(spec)) == io.fingerprint(io.result_spec(longer))
    assert io.fingerprint(io.result_spec(spec)) != io.fingerprint(io.result_spec(on_two_gpus))
    assert io.result_spec(None) is None and io.result_spec({"name": "m"}) == {"name": "m"}


@pytest.mark.parametrize("name", ["data/raw/..", ".", "data/..", "", "data/raw/demo/../.."])
def test_a_folder_holding_the_working_directory_is_never_replaced(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "items.jsonl").write_text("kept")
    with pytest.raises(ThinksafeError, match="cannot be replaced as an output folder"):
        with io.atomic_dir(name) as tmp:
            (tmp / "new").write_text("x")
    assert (tmp_path / "data" / "items.jsonl").read_text() == "kept"
