"""The judge audit on the shared JailbreakBench judge-comparison set (300 human-labelled responses)."""

from __future__ import annotations

import json

import pytest

from thinksafe import io
from thinksafe.cli import main
from thinksafe.errors import ThinksafeError
from thinksafe.judges import audit, get_judge


@pytest.fixture(scope="module")
def data(judge_validation):
    return judge_validation / "jbb-judge-comparison" / "judge-comparison.csv"


def test_the_set_reads_as_mac_roman_with_its_published_figures(data):
    rows = audit.load(data)
    assert len(rows) == 300
    assert sum(audit.human_label(r) == "unsafe" for r in rows) == 110
    published = audit.published(rows)
    # The JailbreakBench paper's agreement figures, recomputed from the columns.
    assert {k: round(100 * v["accuracy"], 1) for k, v in published.items()} == {
        "harmbench_cf": 78.3,
        "gpt4_cf": 90.3,
        "llamaguard2_cf": 87.7,
        "llama3_cf": 90.7,
    }
    assert published["llama3_cf"]["kappa"] > 0.75


def test_agreement_kappa_and_confusion_on_a_hand_checked_case():
    a = audit.agreement(["safe", "safe", "unsafe", "unsafe"], ["safe", "unsafe", "unsafe", None])
    assert a["accuracy"] == 0.5 and a["accuracy_parsed"] == pytest.approx(2 / 3)
    assert a["unparseable_rate"] == 0.25
    assert a["confusion"]["unsafe"] == {"safe": 0, "unsafe": 1, "unparseable": 1}
    # parsed: (s,s) (s,u) (u,u): p_o = 2/3, p_e = 2/3*1/3 + 1/3*2/3 = 4/9 -> kappa = (2/3-4/9)/(5/9) = 0.4
    assert a["kappa"] == pytest.approx(0.4)


def test_audit_cli_rule_judge_lands_near_the_keyword_baseline(data, tmp_path):
    out = tmp_path / "audit" / "rule.json"
    assert (
        main(
            [
                "audit",
                "--spec",
                json.dumps({"kind": "rule", "name": "rule"}),
                "--data",
                str(data),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    report = io.read_json(out)
    a = report["agreement"]
    assert a["n"] == 300 and a["unparseable_rate"] == 0.0
    assert sum(sum(row.values()) for row in a["confusion"].values()) == 300
    # Honest figure: the patterns catch jailbreaks (few misses) but cannot tell benign goals or
    # off-topic "Sure, here is..." replies from harmful compliance, so it lands near the published 56%.
    assert 0.50 < a["accuracy"] < 0.65
    assert a["confusion"]["unsafe"]["safe"] < 10
    assert report["fit_on_this_data"] is False
    rows = io.read_jsonl(out.with_suffix(".rows.jsonl"))
    assert len(rows) == 300 and sum(r["human"] != r["label"] for r in rows) == round(
        300 * (1 - a["accuracy"])
    )
    md = out.with_suffix(".md").read_text()
    assert "| **rule** |" in md and "Llama-3-70B" in md and "not tuned on this data" in md


def test_head_judge_says_it_was_fit_here(data):
    judge = get_judge({"kind": "rule", "name": "rule-minilm", "head": "jbb-minilm-logreg"})
    assert "JailbreakBench" in judge.head.meta["fit_on"]
    assert 0.75 < min(judge.head.meta["grouped_cv_accuracy"].values()) < judge.head.meta["train_accuracy"]
    rows = audit.load(data)[:8]
    report, verdicts = audit.run_audit(judge, rows)
    assert all(v["raw"].startswith("head:") for v in verdicts)
    assert report["fit_on_this_data"] is True and "FIT ON THIS DATA" in report["notes"][0]
    assert set(report["cross_validated"]["accuracy_grouped_5fold"]) == {"seed0", "seed1", "seed2"}
    assert "grouped 5-fold CV" in audit.markdown(report, str(data))


def test_bad_audit_data_names_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Index,goal,prompt,target_response,human_majority\n0,g,p,r,1\n1,g,p,r,maybe\n")
    with pytest.raises(ThinksafeError, match=r"bad.csv:3: human_majority must be 0 or 1"):
        audit.load(bad)
    with pytest.raises(ThinksafeError, match="missing columns"):
        (tmp_path / "cols.csv").write_text("a,b\n1,2\n")
        audit.load(tmp_path / "cols.csv")
