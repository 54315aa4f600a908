"""The report's "Judge agreement" section: each pair of judges' agreement per benchmark, and the items on
which they disagree, each a closed <details> block. Completions are shown exactly as in the example
browser (examples.shown: redacted where either judge said unsafe on a harmful item, else truncated)."""

from __future__ import annotations

from html import escape
from pathlib import Path

import pandas as pd
import pyarrow as pa

from thinksafe import io
from thinksafe.metrics.agreement import Pair
from thinksafe.metrics.load import item_path
from thinksafe.report.examples import GENERATION_SCHEMA, hidden, read_rows, shown, truncate
from thinksafe.report.tables import DASH, SAFETY_FAMILIES

SHOWN_PER_BENCHMARK = 20  # disagreements opened per pair and benchmark; the table counts all of them


def _pct(x: float | None) -> str:
    return DASH if x is None else f"{100 * x:.1f}"


def _kappa(x: float | None) -> str:
    return DASH if x is None else f"{x:.3f}"


def table(pairs: list[Pair]) -> tuple[list[str], list[list[str]]]:
    header = [
        "judge A",
        "judge B",
        "benchmark",
        "both ok",
        "agreement %",
        "Cohen's κ",
        "A unsafe, B safe",
        "A safe, B unsafe",
        "unparseable (either)",
    ]
    rows = [
        [
            s.a,
            s.b,
            s.benchmark,
            str(s.n),
            _pct(s.raw_agreement),
            _kappa(s.kappa),
            str(s.a_unsafe_b_safe),
            str(s.a_safe_b_unsafe),
            str(s.unparseable),
        ]
        for p in pairs
        for s in p.stats
    ]
    return header, rows


def _badge(judge: str, label: str) -> str:
    return f'{escape(judge)}: <span class="{escape(label)}">{escape(label)}</span>'


def _label(judge: str, label: str, raw: str | None, max_chars: int, show_all: bool, secret: bool) -> str:
    """A judge's label and its reason (the verdict's raw output), cut like any other text. A reason is
    hidden with the completion it judged: an LLM judge's reason may quote the harmful text."""
    reason = raw or "(no reason given)"
    if secret and not show_all and raw:
        reason = f"[redacted with the completion; {len(raw):,} characters]"
    else:
        reason = reason if show_all else truncate(reason, max_chars)
    return f"<p>{_badge(judge, label)}</p><pre>{escape(reason)}</pre>"


def entries(
    pair: Pair, spec: dict, root: Path, redact: bool, max_chars: int, show_all: bool
) -> tuple[str, int]:
    """(the <details> blocks of the disagreements opened, how many)."""
    shown_rows = pd.concat(
        [g.head(SHOWN_PER_BENCHMARK) for _, g in pair.disagreements.groupby("benchmark", sort=False)]
        or [pair.disagreements]
    )
    out = []
    for bench, rows in shown_rows.groupby("benchmark", sort=False):
        ids = pa.array(sorted(set(rows["id"])), pa.string())
        items = {it["id"]: it for it in io.read_jsonl(item_path(root, bench), kind="item")}
        for model, mrows in rows.groupby("model", sort=False):
            paths = [
                root / "results" / "generations" / model / bench / f"{s}.jsonl"
                for s in spec["shards"][model][bench]
            ]
            gens = {g["id"]: g for g in read_rows(paths, GENERATION_SCHEMA, ids, "generation")}
            for r in mrows.itertuples(index=False):
                item = items.get(r.id, {})
                verdicts = [{"label": r.label_a, "status": "ok"}, {"label": r.label_b, "status": "ok"}]
                harmful = item.get("family") in SAFETY_FAMILIES
                text = shown(
                    gens.get(r.id, {}).get(r.target),
                    verdicts,
                    redact,
                    max_chars,
                    show_all,
                    harmful,
                )
                secret = hidden(verdicts, redact, harmful)
                prompt = item.get("prompt") or ""
                summary = (
                    f"{escape(model)} · {escape(bench)} · <b>{escape(r.id)}</b> · {escape(r.target)} — "
                    f"{_badge(pair.a, r.label_a)}, {_badge(pair.b, r.label_b)}"
                )
                prompt = prompt if show_all else truncate(prompt, max_chars)
                out.append(
                    f'<details class="ex"><summary>{summary}</summary>'
                    f"<p><b>Prompt</b></p><pre>{escape(prompt)}</pre>"
                    f"<p><b>{escape(r.target.capitalize())}</b></p><pre>{escape(text)}</pre>"
                    + _label(pair.a, r.label_a, r.raw_a, max_chars, show_all, secret)
                    + _label(pair.b, r.label_b, r.raw_b, max_chars, show_all, secret)
                    + "</details>"
                )
    return "".join(out), len(out)
