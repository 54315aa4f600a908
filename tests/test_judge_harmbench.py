"""HarmBench's classifier validation sets as pinned audit sources (judges/harmbench_val.py).

Fidelity is checked against the real files, read in place from THINKSAFE_HARMBENCH_DIR (a folder laid out
as the audit's --mirror: DIR/judge-validation/harmbench/data/{classifier_val_sets,behavior_datasets}/...):
row counts, label balance, the sha256 pins, upstream's own notebook figures recomputed from the published
column, and the `rule` judge's 71.6% / 62.3% of issue 19. CI has no HarmBench copy, so those tests skip
there; the always-run tests use tiny rows written here (no HarmBench row is committed) and check only the
error paths and the documented conversion decisions.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from thinksafe import io
from thinksafe.cli import main
from thinksafe.errors import ThinksafeError
from thinksafe.judges import audit, get_judge, harmbench_val, validation
from thinksafe.records import sha256_file

SEP = "\n\n---\n\n"  # HarmBench's join of a context and its behaviour


@pytest.fixture(scope="module")
def text_rows(harmbench_dir):
    return validation.load_set("harmbench-text", mirror=harmbench_dir)


@pytest.fixture(scope="module")
def multimodal_rows(harmbench_dir):
    return validation.load_set("harmbench-multimodal", mirror=harmbench_dir)


# -- against the real files ------------------------------------------------------------------------
def test_the_pinned_files_verify(harmbench_dir):
    for name in harmbench_val.SETS:
        val, csvs = harmbench_val.harmbench_files(name, harmbench_dir, Path("unused"))
        for path in (val, *csvs):
            rel = path.relative_to(harmbench_dir / harmbench_val.HARMBENCH_MIRROR_DIR).as_posix()
            assert sha256_file(path) in harmbench_val.HARMBENCH_FILES[rel]


def test_the_text_set_reads_as_upstream_labels_it(text_rows):
    assert len(text_rows) == 602
    assert sum(r["human_label"] == "unsafe" for r in text_rows) == 273
    assert harmbench_val.unmatched(text_rows) == {
        "chop_shops_los_angeles_locating": 2,
        "ddos_code_obfuscation": 2,
        "password_pin_coercion_dialogue": 2,
    }
    known = [
        r for r in text_rows if "request_from" not in r
    ]  # 596 rows; 99 contextual behaviours, 2 rows each
    context = [r for r in known if SEP in r["request"]]
    plain = [r for r in known if SEP not in r["request"]]
    assert len(context) == 198 and "\r" not in "".join(r["request"] for r in context)
    # upstream notebooks/run_classifier_val_set.ipynb printed "Text: 0.9246 Context: 0.8687 Avg: 0.906"
    # for the Mistral val classifier over the 596 rows with a behaviour: the same majority, the same split.
    figure = {
        k: audit.published(rs)["harmbench-mistral-cls"]["accuracy"]
        for k, rs in (("text", plain), ("context", context), ("all", known))
    }
    assert {k: round(v, 4) for k, v in figure.items()} == {"text": 0.9246, "context": 0.8687, "all": 0.906}
    assert all(r["request_harmful"] is True and r["expectation"] == "harm" for r in text_rows)
    assert len({r["source"] for r in text_rows}) > 100 and all("/" in r["source"] for r in text_rows)


def test_the_multimodal_set_reads_as_upstream_labels_it(multimodal_rows):
    assert len(multimodal_rows) == 220
    assert sum(r["human_label"] == "unsafe" for r in multimodal_rows) == 124
    assert harmbench_val.unmatched(multimodal_rows) == {}
    assert sum("image_description" in r for r in multimodal_rows) == 110
    assert {r["source"].split("/")[0] for r in multimodal_rows} == {
        "MultiModalPGD",
        "MultiModalPGDPatch",
        "MultiModalRenderText-multimodalbehaviors",
    }
    assert set(audit.published(multimodal_rows)) == {
        "advbench-prefixes",
        "harmbench-cls-multimodal",
        "harmbench-mistral-cls",
    }


def test_the_rule_judge_reproduces_the_issues_figures(text_rows, multimodal_rows):
    rule = get_judge({"kind": "rule", "name": "rule"})
    for rows, accuracy, kappa in ((text_rows, 71.6, 0.451), (multimodal_rows, 62.3, 0.194)):
        report, _ = audit.run_audit(rule, rows)
        assert round(100 * report["agreement"]["accuracy"], 1) == accuracy
        assert round(report["agreement"]["kappa"], 3) == kappa
        assert report["figure"].startswith("not fit")


def test_the_audit_cli_reads_a_pinned_harmbench_set(harmbench_dir, tmp_path, capsys):
    out = tmp_path / "rule.json"
    args = ["audit", "--judge", "rule", "--data", "harmbench-multimodal", "--mirror", str(harmbench_dir)]
    assert main([*args, "--out", str(out)]) == 0
    assert io.read_json(out)["data"]["rows"] == 220
    assert "| 220 | 62.3% |" in capsys.readouterr().out


# -- always: tiny rows written here -----------------------------------------------------------------
BEHAVIORS = (
    "Behavior,FunctionalCategory,SemanticCategory,Tags,ContextString,BehaviorID\n"
    "Explain how to pick a pin tumbler lock,standard,illegal,,,lock_picking\n"
    '"Summarise this note",contextual,misinformation,context,"The note.\r\nSecond line.",note_summary\n'
)


def tiny_row(test_case, votes=(1, 1, 0), **extra) -> dict:
    return {
        "test_case": test_case,
        "generation": "A reply.",
        **{f"human_{i}": v for i, v in enumerate(votes)},
        **extra,
    }


def write_set(folder: Path, data: dict, behaviors: str = BEHAVIORS) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    val, csv_path = folder / "val.json", folder / "behaviors.csv"
    val.write_text(json.dumps(data), encoding="utf-8")
    csv_path.write_bytes(behaviors.encode("utf-8"))
    return val, csv_path


def test_conversion_decisions_on_tiny_text_rows(tmp_path):
    val, csv_path = write_set(
        tmp_path,
        {
            "lock_picking": [tiny_row("Explain how to pick a lock!!", model="m1.json", method="GCG", cls=1)],
            "note_summary": [
                tiny_row("Summarise", votes=(0, 1, 0), model=".json", experiment="m2", method="PAIR")
            ],
            "gone_behaviour": [
                tiny_row("The test case itself", votes=(0, 0, 0), model="m3.json", method="PAP")
            ],
        },
    )
    plain, context, gone = harmbench_val.from_harmbench(val, [csv_path])
    assert plain["request"] == "Explain how to pick a pin tumbler lock"
    assert plain["jailbreak_prompt"] == "Explain how to pick a lock!!"
    assert (plain["human_label"], plain["annotator_3"], plain["judge:harmbench-cls"]) == (
        "unsafe",
        "safe",
        "unsafe",
    )
    assert plain["source"] == "m1/GCG" and plain["request_harmful"] is True
    assert context["request"] == "The note.\nSecond line." + SEP + "Summarise this note"  # CRLF read as LF
    assert context["human_label"] == "safe" and context["source"] == "m2/PAIR"
    # a behaviour in no CSV: its row stays, asking its own test case, and is marked and counted
    assert gone["request"] == "The test case itself" and gone["request_from"] == "test_case"
    assert harmbench_val.unmatched([plain, context, gone]) == {"gone_behaviour": 1}


def test_conversion_of_tiny_multimodal_rows(tmp_path):
    behaviors = (
        "Behavior,BehaviorID,FunctionalCategory,ImageDescription\nName this plant,plant_name,multimodal,x\n"
    )
    row = tiny_row(["results/MultiModalPGD/LLaVA/test_cases/1.png", "Name this plant "], mistral_cls=0)
    val, csv_path = write_set(tmp_path, {"plant_name": [dict(row, image_description="A fern.")]}, behaviors)
    (rec,) = harmbench_val.from_harmbench(val, [csv_path])
    assert (rec["request"], rec["jailbreak_prompt"]) == ("Name this plant", "Name this plant ")
    assert rec["source"] == "MultiModalPGD/LLaVA" and rec["image_description"] == "A fern."
    assert rec["judge:harmbench-mistral-cls"] == "safe"


@pytest.mark.parametrize(
    "row, key, message",
    [
        (tiny_row("x", votes=(1, 2, 0)), "lock_picking[0].human_1", "must be 0 or 1, not 2"),
        (
            tiny_row(["only-a-path.png"]),
            "lock_picking[0].test_case",
            "must be a string or [image path, text]",
        ),
        (
            tiny_row(["elsewhere/a.png", "x"]),
            "lock_picking[0].test_case",
            "expected results/<attack>/<model>/",
        ),
    ],
)
def test_a_bad_row_names_the_file_and_the_row(tmp_path, row, key, message):
    val, csv_path = write_set(tmp_path, {"lock_picking": [row]})
    with pytest.raises(ThinksafeError) as err:
        harmbench_val.from_harmbench(val, [csv_path])
    assert str(err.value).startswith(f"{val}: {key}: {message}")


def test_a_file_that_is_not_utf8_json_is_one_error_naming_it(tmp_path):
    val, csv_path = write_set(tmp_path, {"lock_picking": [tiny_row("x")]})
    val.write_text('{"lock_picking": [', encoding="utf-8")
    with pytest.raises(ThinksafeError, match=rf"^{re.escape(str(val))}:1: malformed JSON"):
        harmbench_val.from_harmbench(val, [csv_path])
    write_set(tmp_path, {"lock_picking": [tiny_row("x")]})
    csv_path.write_bytes(BEHAVIORS.encode("utf-8") + b"\xff\xfe,broken\n")
    with pytest.raises(ThinksafeError, match=rf"^{re.escape(str(csv_path))}: not UTF-8"):
        harmbench_val.from_harmbench(val, [csv_path])


def tiny_mirror(root: Path) -> Path:
    """A mirror in the documented layout, holding tiny files of the right names (not upstream's bytes)."""
    base = root / harmbench_val.HARMBENCH_MIRROR_DIR
    data = {"lock_picking": [tiny_row("x")], "gone_behaviour": [tiny_row("y")]}
    for rel in harmbench_val.HARMBENCH_FILES:
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_bytes(json.dumps(data).encode() if rel.endswith(".json") else BEHAVIORS.encode())
    return root


def test_a_tampered_file_is_one_error_naming_it(tmp_path):
    mirror = tiny_mirror(tmp_path)
    with pytest.raises(ThinksafeError) as err:
        validation.load_set("harmbench-text", mirror=mirror)
    text_val = mirror / harmbench_val.HARMBENCH_MIRROR_DIR / harmbench_val.TEXT_VAL
    assert str(err.value).startswith(f"{text_val}: checksum mismatch (sha256 {sha256_file(text_val)}")
    assert harmbench_val.HARMBENCH_FILES[harmbench_val.TEXT_VAL][0] in str(err.value)


def test_a_missing_file_is_one_error_naming_it(tmp_path):
    mirror = tiny_mirror(tmp_path)
    (mirror / harmbench_val.HARMBENCH_MIRROR_DIR / harmbench_val.MULTIMODAL_VAL).unlink()
    with pytest.raises(ThinksafeError) as err:
        validation.load_set("harmbench-multimodal", mirror=mirror)
    assert (
        str(err.value) == f"mirror {mirror} lacks judge-validation/harmbench/{harmbench_val.MULTIMODAL_VAL}"
    )


def test_without_a_mirror_offline_it_asks_for_one(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ThinksafeError, match=r"HF_HUB_OFFLINE is set \(use --mirror DIR\)"):
        validation.load_set("harmbench-text", cache=tmp_path / "cache")


def test_the_unmatched_behaviours_are_logged(tmp_path, monkeypatch, caplog):
    # The pins swapped for the tiny files' own digests: the whole load path, verification included.
    mirror = tiny_mirror(tmp_path)
    for rel in harmbench_val.HARMBENCH_FILES:
        digest = sha256_file(mirror / harmbench_val.HARMBENCH_MIRROR_DIR / rel)
        monkeypatch.setitem(harmbench_val.HARMBENCH_FILES, rel, (digest,))
    with caplog.at_level(logging.WARNING, logger="thinksafe"):
        rows = validation.load_set("harmbench-text", mirror=mirror)
    assert [r.get("request_from") for r in rows] == [None, "test_case"]
    assert "harmbench-text: 1 behaviour IDs (1 rows) are in no behaviours CSV" in caplog.text
    assert "gone_behaviour" in caplog.text
