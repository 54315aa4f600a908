"""Two judges on one run: pairwise agreement (κ computed by hand) and the disagreements in the report."""

from __future__ import annotations

import json

import pytest
from test_report import build

from thinksafe.judges import audit
from thinksafe.metrics.agreement import cohen_kappa, pairwise
from thinksafe.metrics.synthetic import item, spec_for, verdict, write_items, write_verdicts

# (item id, judge A's answer verdict, judge B's); "?" is unparseable. The thoughts are `empty` for both.
HARM = [
    ("j0", "u", "u"),
    ("j1", "u", "s"),
    ("j2", "s", "s"),
    ("j3", "s", "s"),
    ("j4", "s", "u"),
    ("j5", "?", "s"),
]
BENIGN = [("b0", "s", "s"), ("b1", "s", "s"), ("b2", "u", "u"), ("b3", "s", "u")]
LABEL = {"u": "unsafe", "s": "safe", "?": None}


def _write(root, bench: str, family: str, rows: list[tuple[str, str, str]]) -> None:
    write_items(root, bench, [item(i, bench, family, prompt=f"PROMPT-{i}") for i, _, _ in rows])
    gens = [
        {"id": i, "model": "m", "raw": "", "thought": None, "answer": f"ANSWER-MARKER-{i} " + "text " * 30}
        | {"truncated": False, "finish_reason": "stop", "n_prompt_tokens": 1, "n_output_tokens": 1}
        | {"error": None}
        for i, _, _ in rows
    ]
    gen_dir = root / "results" / "generations" / "m" / bench
    gen_dir.mkdir(parents=True)
    (gen_dir / "00.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gens))
    (gen_dir / "00.meta.json").write_text(json.dumps({"model": "m", "seed": 0}))
    for judge, col in (("judge-a", 1), ("judge-b", 2)):
        verdicts = []
        for row in rows:
            mark = row[col]
            status = "unparseable" if mark == "?" else "ok"
            v = verdict(row[0], "m", "answer", LABEL[mark], status, judge=judge)
            v["raw"] = f"REASON-{judge}-{row[0]}"
            verdicts += [verdict(row[0], "m", "thought", None, "empty", judge=judge), v]
        write_verdicts(root, judge, "m", bench, verdicts)


@pytest.fixture
def run(tmp_path):
    _write(tmp_path, "harm", "jailbreak", HARM)
    _write(tmp_path, "controls", "benign", BENIGN)
    spec = spec_for({"m": {}}, ["harm", "controls"], ["judge-a", "judge-b"], report={"max_chars": 60})
    return tmp_path, spec


def test_kappa_by_hand():
    # p_o = 3/5, p_e = (2/5)(2/5) + (3/5)(3/5) = 13/25: κ = (15/25 − 13/25) / (12/25) = 1/6.
    a, b = [LABEL[c] for c in "uusss"], [LABEL[c] for c in "usssu"]
    assert cohen_kappa(a, b) == pytest.approx(1 / 6)
    with pytest.raises(ValueError, match="got maybe"):
        cohen_kappa(a, [*b[:4], "maybe"])
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["safe"] * 3, ["safe"] * 3) == 1.0  # chance agreement 1: undefined, taken as 1
    # The audit's κ is this one function.
    truth, pred = ["safe", "unsafe", "unsafe", "safe"], ["safe", "unsafe", "safe", None]
    assert audit.agreement(truth, pred)["kappa"] == cohen_kappa(truth[:3], pred[:3])


def test_pairwise_counts_per_benchmark_and_overall(run):
    root, spec = run
    (pair,) = pairwise(spec, root)
    stats = {s.benchmark: s for s in pair.stats}
    harm, controls, overall = stats["harm"], stats["controls"], stats["ALL"]
    # harm: j0–j4 both ok (j5 unparseable for A, counted apart); agree on j0, j2, j3.
    assert (harm.n, harm.agree, harm.a_unsafe_b_safe, harm.a_safe_b_unsafe, harm.unparseable) == (
        5,
        3,
        1,
        1,
        1,
    )
    assert harm.raw_agreement == pytest.approx(0.6) and harm.kappa == pytest.approx(1 / 6)
    # controls: p_o = 3/4, p_e = (1/4)(2/4) + (3/4)(2/4) = 1/2: κ = 1/2.
    assert (controls.n, controls.agree, controls.unparseable) == (4, 3, 0)
    assert controls.kappa == pytest.approx(0.5)
    # overall: p_o = 6/9, A unsafe 3/9, B unsafe 4/9: p_e = 12/81 + 30/81 = 14/27, κ = (4/27) / (13/27).
    assert (overall.n, overall.agree, overall.unparseable) == (9, 6, 1)
    assert overall.kappa == pytest.approx(4 / 13)
    assert sorted(pair.disagreements["id"]) == ["b3", "j1", "j4"]


def test_report_opens_the_disagreements_redacted(run):
    root, spec = run
    page = build(root, spec)
    section = page[page.index('<h2 id="agreement">') : page.index('<h2 id="audit">')]
    assert "<td>judge-a</td><td>judge-b</td><td>ALL</td><td>9</td><td>66.7</td><td>0.308</td>" in section
    assert "<td>harm</td><td>5</td><td>60.0</td><td>0.167</td><td>1</td><td>1</td><td>1</td>" in section
    assert "judge-a against judge-b: 3 disagreements</h3>" in section
    assert section.count('<details class="ex">') == 3
    for i in ("j1", "j4", "b3"):
        assert f"<b>{i}</b>" in section
    # Harmful items: the completion is redacted as in the example browser, and so are the judges' reasons
    # (an LLM judge's reason may quote it); a benign control's completion and reasons are only cut.
    assert "ANSWER-MARKER-j1" not in page and "ANSWER-MARKER-j4" not in page
    assert section.count("[redacted: judged unsafe;") == 2
    assert "REASON-judge-a-j1" not in page and "REASON-judge-b-j4" not in page
    assert section.count("[redacted with the completion;") == 4
    assert "REASON-judge-a-b3" in section and "REASON-judge-b-b3" in section
    assert "ANSWER-MARKER-b3" in section and "[truncated:" in section
    assert "<b>j0</b>" not in section  # agreements are not listed


def test_one_judge_says_so(run):
    root, spec = run
    page = build(root, {**spec, "judges": ["judge-a"]})
    section = page[page.index('<h2 id="agreement">') : page.index('<h2 id="audit">')]
    assert "One judge in this run (judge-a): no agreement to compare." in section
    assert "<details" not in section


def test_a_long_list_is_capped_per_benchmark_and_says_so(run, monkeypatch):
    from thinksafe.report import agreement

    monkeypatch.setattr(agreement, "SHOWN_PER_BENCHMARK", 1)
    root, spec = run
    page = build(root, spec)
    # harm has two disagreements (one shown), controls one: 2 of 3 opened, the table still counts all.
    assert "judge-a against judge-b: 3 disagreements (2 shown, up to 1 per benchmark)</h3>" in page
    assert "<b>j1</b>" in page and "<b>j4</b> · answer" not in page and "<b>b3</b>" in page
