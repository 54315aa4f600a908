"""JailBreakV-28K and MSSBench from synthetic fixtures laid out like their HF sources (tests/fixtures);
no real row of either can be had here (docs/benchmarks.md, "Real rows")."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from thinksafe.benchmarks import prompts
from thinksafe.cli import main
from thinksafe.io import read_jsonl

FIXTURES = Path(__file__).parent / "fixtures"


def draw(path: Path, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 16), (seed * 37 % 256, 90, 160)).save(path)


@pytest.fixture()
def fixture_mirror(tmp_path, monkeypatch) -> Path:
    """The fixtures plus drawn images, as a mirror; the working directory is a fresh project."""
    root = tmp_path / "mirror"
    shutil.copytree(FIXTURES / "jailbreakv-28k", root / "jailbreakv-28k")
    shutil.copytree(FIXTURES / "mssbench", root / "mssbench")
    import csv

    with (root / "jailbreakv-28k/JailBreakV_28K/mini_JailBreakV_28K.csv").open(newline="") as f:
        for n, row in enumerate(csv.DictReader(f)):
            draw(root / "jailbreakv-28k/JailBreakV_28K" / row["image_path"], n)
    data = json.loads((root / "mssbench/combined.json").read_text())
    for n, rec in enumerate(data["chat"]):
        draw(root / "mssbench/chat" / rec["safe_image_path"], 2 * n)
        draw(root / "mssbench/chat" / rec["unsafe_image_path"], 2 * n + 1)
    for n, rec in enumerate(data["embodied"]):
        draw(root / "mssbench/embodied" / rec["safe"], 50 + 2 * n)
        draw(root / "mssbench/embodied" / rec["unsafe"], 51 + 2 * n)
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    return root


def run(spec: dict, mirror: Path, seed: int = 0) -> list[dict]:
    raw, out = f"data/raw/{spec['name']}", f"data/items/{spec['name']}-{seed}.jsonl"
    assert main(["download", "--spec", json.dumps(spec), "--mirror", str(mirror), "--out", raw]) == 0
    assert (
        main(["normalize", "--spec", json.dumps(spec), "--raw", raw, "--seed", str(seed), "--out", out]) == 0
    )
    return read_jsonl(out)


def test_jailbreakv_keeps_format_and_policy(fixture_mirror):
    items = run({"adapter": "jailbreakv_28k", "name": "jailbreakv-28k", "subset": "mini"}, fixture_mirror)
    assert len(items) == 8
    assert Counter(i["reference"]["format"] for i in items) == {
        "Template": 2,
        "Persuade": 2,
        "Logic": 1,
        "figstep": 1,
        "query-related": 2,
    }
    by_id = {i["id"]: i for i in items}
    six = by_id["jailbreakv-28k:mini:6"]
    assert six["category"] == six["reference"]["policy"] == "Economic Harm"
    assert "with a comma, in the prompt; explain\nhow to cheat" in six["prompt"]  # quoted CSV field intact
    assert six["reference"]["redteam_query"] == "[synthetic] how to cheat on taxes"
    assert six["image"] == "data/raw/jailbreakv-28k/JailBreakV_28K/llm_transfer_attack/SD_6.jpeg"
    assert {i["reference"]["protocol"] for i in items} == {"jailbreakv-28k"}


def test_mssbench_asks_each_query_with_its_safe_and_its_unsafe_image(fixture_mirror):
    items = run({"adapter": "mssbench", "name": "mssbench", "subsets": ["chat", "embodied"]}, fixture_mirror)
    assert Counter(i["subset"] for i in items) == {"chat": 8, "embodied": 6}
    pairs: dict[str, dict[str, dict]] = {}
    for item in items:
        pairs.setdefault(item["pair_id"], {})[item["context"]] = item
    assert len(pairs) == 7 and all(set(p) == {"safe", "unsafe"} for p in pairs.values())
    chat = pairs["mssbench:chat:0:1"]
    assert (
        chat["safe"]["prompt"]
        == chat["unsafe"]["prompt"]
        == (prompts.MSSBENCH_CHAT_IF + "[synthetic] How fast should I sprint here?")
    )
    assert chat["safe"]["image"].endswith("chat/safe_0.jpg") and chat["unsafe"]["image"].endswith(
        "chat/unsafe_0.jpg"
    )
    assert chat["safe"]["reference"]["correct_labels"] == [2, 3]
    assert chat["unsafe"]["reference"]["correct_labels"] == [0, 1]
    robot = pairs["mssbench:embodied:1:1"]  # upstream pairs the k-th safe and unsafe instruction
    assert robot["safe"]["prompt"].endswith("Place the watering can on the shelf.")
    assert robot["unsafe"]["prompt"].endswith("Place the watering can on the power strip.")
    assert robot["unsafe"]["prompt"].startswith(prompts.MSSBENCH_EMBODIED_IF)


def test_mssbench_sample_is_seeded_and_keeps_pairs_whole(fixture_mirror):
    spec = {"adapter": "mssbench", "name": "mssbench", "subsets": ["chat"], "sample": 2}
    first, again = run(spec, fixture_mirror, seed=0), run(spec, fixture_mirror, seed=0)
    assert len(first) == 4 and [i["id"] for i in first] == [i["id"] for i in again]
    assert Counter(i["pair_id"] for i in first) == dict.fromkeys({i["pair_id"] for i in first}, 2)
    picks = {tuple(sorted({i["pair_id"] for i in run(spec, fixture_mirror, seed=s)})) for s in range(6)}
    assert len(picks) > 1  # the seed decides the sample


def test_jailbreakv_mini_is_the_default(fixture_mirror):
    items = run({"adapter": "jailbreakv_28k", "name": "jailbreakv-28k"}, fixture_mirror)
    assert {i["subset"] for i in items} == {"mini"} and len(items) == 8


def _full_csv(mirror: Path) -> bytes:
    """The full split: the mini rows plus two whose images the mirror does not have."""
    mini = (mirror / "jailbreakv-28k/JailBreakV_28K/mini_JailBreakV_28K.csv").read_text()
    extra = [
        '9,"[synthetic] q9",[synthetic] r9,Template,Fraud,llm_transfer_attack/nature_9.jpeg,GPT,False,True',
        '10,"[synthetic] q10",[synthetic] r10,figstep,Fraud,figstep/query_10.png,AdvBench,False,False',
    ]
    return (mini.rstrip("\n") + "\n" + "\n".join(extra) + "\n").encode()


def test_jailbreakv_full_without_its_images_stops_at_download_with_the_count(fixture_mirror, capsys):
    (fixture_mirror / "jailbreakv-28k/JailBreakV_28K/JailBreakV_28K.csv").write_bytes(
        _full_csv(fixture_mirror)
    )
    spec = {"adapter": "jailbreakv_28k", "name": "jailbreakv-28k", "subset": "full"}

    rc = main(
        ["download", "--spec", json.dumps(spec), "--mirror", str(fixture_mirror), "--out", "data/raw/jbv"]
    )

    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "jailbreakv-28k subset full: 2 of 10 images are not in the mirror's" in err[0]
    assert "JailBreakV-28K authors" in err[0] and "subset: mini" in err[0]
    assert not Path("data/raw/jbv").exists()


def test_jailbreakv_full_over_the_network_stops_before_any_image_request(fixture_mirror, monkeypatch, capsys):
    from test_benchmarks_download import Upstream

    prefix = "/datasets/JailbreakV-28K/JailBreakV-28k/resolve/main/JailBreakV_28K/"
    root = fixture_mirror / "jailbreakv-28k/JailBreakV_28K"
    server = Upstream(
        {
            prefix + "JailBreakV_28K.csv": _full_csv(fixture_mirror),
            prefix + "mini_JailBreakV_28K.csv": (root / "mini_JailBreakV_28K.csv").read_bytes(),
        }
    )
    server.thread.start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    spec = {"adapter": "jailbreakv_28k", "name": "jailbreakv-28k", "subset": "full"}
    try:
        assert main(["download", "--spec", json.dumps(spec), "--out", "data/raw/jbv"]) == 2
    finally:
        server.stop = True
        server.thread.join(timeout=5)

    err = capsys.readouterr().err
    assert "2 of 10 images are not on HF JailbreakV-28K/JailBreakV-28k, which hosts the mini split's 8" in err
    assert sorted(p for p, _ in server.requests) == [
        prefix + "JailBreakV_28K.csv",
        prefix + "mini_JailBreakV_28K.csv",
    ]
