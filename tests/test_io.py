"""Declared outputs appear whole or not at all; partial files resume without loss or duplication."""

from __future__ import annotations

import json
import os

import pytest

from thinksafe import io
from thinksafe.errors import ThinksafeError


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
    part = io.PartialFile(out)
    part.append({"id": "a", "x": 1})
    part.append({"id": "b", "x": 2})
    part.close()
    with part.path.open("a") as f:  # a kill in the middle of writing the third record
        f.write('{"id": "c", "x"')
    resumed = io.PartialFile(out)
    assert resumed.done == {"a", "b"}
    resumed.append({"id": "b", "x": 99})  # already done: ignored, never duplicated
    resumed.append({"id": "c", "x": 3})
    assert resumed.promote(order=["c", "a", "b"]) == 3
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["c", "a", "b"]
    assert json.loads(out.read_text().splitlines()[2])["x"] == 2
    assert not resumed.path.exists()


def test_promotion_refuses_an_incomplete_shard(tmp_path):
    part = io.PartialFile(tmp_path / "00.jsonl")
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
