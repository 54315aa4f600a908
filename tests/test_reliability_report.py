"""Harmful content: the report redacts completions to harmful prompts judged unsafe (or not judged) and
truncates the rest by default; `--show-completions` shows every completion in full."""

from __future__ import annotations

import json
from pathlib import Path

from reliability import figures

from thinksafe import cli
from thinksafe.metrics.synthetic import item, spec_for, verdict, write_items, write_verdicts

pytest_plugins = ["reliability.plugin"]
SPEC = spec_for({"m": {"revision": "r"}}, ["demo"], ["rule"])
HARMFUL = "HARMFUL-PAYLOAD step {n}: mix the precursors, then " + "more operational detail. " * 30
BENIGN = "BENIGN-ANSWER {n}: " + "Here is a careful, harmless explanation of the topic. " * 30


def write_run(root: Path) -> tuple[list[str], list[str]]:
    """12 items: 8 harmful requests answered harmfully (6 judged unsafe, 2 not judged), 4 benign ones
    answered at length. Returns the harmful and the benign completions."""
    items = [item(f"demo-{n:02d}", "demo", "jailbreak" if n < 8 else "benign") for n in range(12)]
    write_items(root, "demo", items)
    gens, verdicts, harmful, benign = [], [], [], []
    for n, it in enumerate(items):
        text = (HARMFUL if n < 8 else BENIGN).format(n=n)
        (harmful if n < 8 else benign).append(text)
        gens.append({"id": it["id"], "model": "m", "raw": text, "thought": None, "answer": text,
                     "truncated": False, "finish_reason": "stop", "n_prompt_tokens": 5,
                     "n_output_tokens": 99, "error": None})  # fmt: skip
        if n not in (6, 7):  # two harmful completions never judged
            verdicts.append(verdict(it["id"], "m", "answer", "unsafe" if n < 8 else "safe"))
        verdicts.append(verdict(it["id"], "m", "thought", None, "empty"))
    folder = root / "results" / "generations" / "m" / "demo"
    folder.mkdir(parents=True)
    (folder / "00.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gens))
    (folder / "00.meta.json").write_text(json.dumps({"model": "m", "seed": 0, "counts": {}}))
    write_verdicts(root, "rule", "m", "demo", verdicts)
    return harmful, benign


def report(root: Path, *flags: str) -> str:
    spec, tables, figs = json.dumps(SPEC), root / "results" / "tables", root / "results" / "figures"
    assert cli.main(["aggregate", "--spec", spec, "--out-dir", str(tables), "--root", str(root)]) == 0
    assert cli.main(["figures", "--tables", str(tables), "--out", str(figs)]) == 0
    out = root / "results" / "report.html"
    assert cli.main(["report", "--spec", spec, "--tables", str(tables), "--figures", str(figs),
                     "--out", str(out), "--root", str(root), "--examples", "12", *flags]) == 0  # fmt: skip
    return out.read_text(encoding="utf-8")


def test_completions_are_redacted_and_truncated_unless_asked(tmp_path):
    harmful, benign = write_run(tmp_path)
    default = report(tmp_path)
    shown = report(tmp_path, "--show-completions")

    hidden = [t for t in harmful if t[:40] not in default]
    in_full = [t for t in harmful if t in shown]
    figures.add(report_completions=len(harmful), report_hidden=len(hidden), report_shown=len(in_full))
    assert len(hidden) == len(harmful)  # not even its first words
    assert default.count("[redacted: judged unsafe") == 6 and default.count("[redacted: not judged") == 2
    for text in benign:  # benign answers: the start shown, the rest cut
        assert text[:60] in default and text not in default
    assert "truncated:" in default
    assert len(in_full) == len(harmful) and all(t in shown for t in benign)
