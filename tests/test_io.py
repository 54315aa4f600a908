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
