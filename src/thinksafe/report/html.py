"""The one-file HTML report: tables, figures (inlined as data URIs), provenance, judge audits and the
example browser. No scripts, no external stylesheets, fonts or images: it opens offline, anywhere."""

from __future__ import annotations

import base64
import datetime as dt
from html import escape
from pathlib import Path

import pandas as pd

from thinksafe.errors import ThinksafeError
from thinksafe.metrics.agreement import pairwise
from thinksafe.report import agreement, cost, provenance
from thinksafe.report.examples import Example
from thinksafe.report.tables import Grid, fmt_rate

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0 auto;
max-width:1200px;padding:16px 24px;color:#1d1d1f;background:#fff;line-height:1.4}
h1{font-size:1.6em;margin:.2em 0} h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:1.6em}
table{border-collapse:collapse;margin:8px 0 4px;font-size:13px} th,td{border:1px solid #ccc;padding:3px 7px;
text-align:center;vertical-align:top} th{background:#f0f3f7} td:first-child,th:first-child{text-align:left}
.note{color:#555;font-size:12px;max-width:1100px} figure{margin:12px 0} figure img{max-width:100%;
border:1px solid #eee} figcaption{font-size:12px;color:#444} nav a{margin-right:14px}
.ex{border:1px solid #ddd;border-radius:6px;padding:8px 12px;margin:10px 0} .ex img{float:right;
margin-left:12px;border:1px solid #ccc} pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f9;
padding:6px 8px;margin:4px 0;font-size:12px} .safe{color:#1e7b34;font-weight:600}
.unsafe{color:#b3261e;font-weight:600} .other{color:#8a6d00;font-weight:600} .clear{clear:both}
"""
FIGURE_CAPTIONS = {
    "degradation": "Δ safety score of each reasoning model against its base (and of each tuned model against "
    "its original) per benchmark, with 95% paired-bootstrap intervals (the paper's Figure 1).",
    "categories": "Answer safety rate per model and category (green safe, red unsafe); blank: no ok verdict.",
    "quadrants": "For each thinking model and family: share of items whose thought and answer were judged "
    "safe/unsafe. 'thought unsafe, answer safe' is self-correction; 'thought safe, answer "
    "unsafe' is a leak.",
}
RATE_METRICS = (
    "safety_rate",
    "attack_success_rate",
    "compliance_rate",
    "accuracy",
    "refusal_rate",
    "effective_rate",
    "safe_and_effective_rate",
)


def table_html(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    if not rows:
        body = f'<tr><td colspan="{len(header)}">(no rows in this run)</td></tr>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def grid_html(grid: Grid, anchor: str) -> str:
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in grid.notes)
    return f'<h2 id="{anchor}">{escape(grid.title)}</h2>{table_html(grid.header, grid.rows)}{notes}'


def records_html(records: list[dict]) -> str:
    if not records:
        return "<p>(none)</p>"
    header = list(dict.fromkeys(k for r in records for k in r))
    return table_html(header, [[r.get(k, "") for k in header] for r in records])


def benchmark_detail(metrics: pd.DataFrame, judge: str) -> str:
    """Every benchmark-level rate of the answers, with the unparseable and error shares beside it."""
    sel = metrics[
        (metrics["judge"] == judge)
        & (metrics["level"] == "benchmark")
        & (metrics["target"] == "answer")
        & metrics["metric"].isin(RATE_METRICS)
    ]
    keys = list(dict.fromkeys(zip(sel["model"], sel["benchmark"], sel["family"], strict=True)))
    metrics_present = [m for m in RATE_METRICS if m in set(sel["metric"])]
    index = {(r["model"], r["benchmark"], r["family"], r["metric"]): r for r in sel.to_dict("records")}
    rows = []
    for model, bench, family in keys:
        cells = [index.get((model, bench, family, m)) for m in metrics_present]
        first = next(c for c in cells if c is not None)
        rows.append(
            [
                model,
                bench,
                family,
                *[fmt_rate(c) for c in cells],
                f"{int(first['n_total'])}",
                f"{100 * first['unparseable_rate']:.1f}",
                f"{100 * first['error_rate']:.1f}",
                f"{100 * first['missing_rate']:.1f}",
            ]
        )
    header = [
        "model",
        "benchmark",
        "family",
        *[m.replace("_", " ") for m in metrics_present],
        "verdicts",
        "unparseable %",
        "error %",
        "missing %",
    ]
    return table_html(header, rows)


def figures_html(figures: Path) -> str:
    out = []
    for name, caption in FIGURE_CAPTIONS.items():
        png = figures / f"{name}.png"
        if not png.exists():
            out.append(f"<p>Figure {escape(name)}: not drawn in this run.</p>")
            continue
        uri = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")
        out.append(
            f'<figure><img alt="{escape(name)} figure" src="{uri}"><figcaption>{escape(caption)} '
            f"(PDF: {escape(name)}.pdf beside the PNG)</figcaption></figure>"
        )
    return "".join(out)


def _verdict_html(v: dict) -> str:
    label = v.get("label") if v.get("status") == "ok" else v.get("status")
    cls = label if label in ("safe", "unsafe") else "other"
    refusal = {True: ", refused", False: ""}.get(v.get("refusal"), "")
    return f'{escape(v["judge"])}: <span class="{cls}">{escape(str(label))}</span>{refusal}'


def examples_html(examples: list[Example], redact: bool, max_chars: int, show_all: bool) -> str:
    policy = (
        "every completion shown in full (--show-completions)"
        if show_all
        else f"completions judged unsafe or not judged are {'redacted' if redact else 'shown'}; "
        f"the rest are cut at {max_chars} characters (report.redact / report.max_chars)"
    )
    out = [f'<p class="note">{len(examples)} examples; {escape(policy)}.</p>']
    for ex in examples:
        it = ex.item
        img = (
            f'<img alt="item image" src="{ex.image_uri}" width="192">'
            if ex.image_uri
            else f'<p class="note">{escape(ex.image_note)}</p>'
        )
        title = " · ".join(
            str(it.get(k)) for k in ("benchmark", "family", "category", "context") if it.get(k)
        )
        parts = [
            f'<details class="ex"><summary><b>{escape(it["id"])}</b> — {escape(title)}</summary>',
            img,
            f"<p><b>Prompt</b></p><pre>{escape(ex.prompt)}</pre>",
        ]
        for r in ex.responses:
            verdicts = {
                t: " · ".join(_verdict_html(v) for v in r.verdicts if v["target"] == t) or "no verdict"
                for t in ("thought", "answer")
            }
            note = f' <span class="note">({escape(r.note)})</span>' if r.note else ""
            parts.append(
                f"<h4>{escape(r.model)}{note}</h4>"
                f"<p>Thought — {verdicts['thought']}</p><pre>{escape(r.texts['thought'])}</pre>"
                f"<p>Answer — {verdicts['answer']}</p><pre>{escape(r.texts['answer'])}</pre>"
            )
        out.append("".join(parts) + '<div class="clear"></div></details>')
    return "".join(out)


def agreement_html(spec: dict, root: Path, redact: bool, max_chars: int, show_all: bool) -> str:
    """Each pair of judges: the agreement table, then the items they disagree on, each one closed."""
    judges = list(spec["judges"])
    if len(judges) < 2:
        return f"<p>One judge in this run ({escape(', '.join(judges))}): no agreement to compare.</p>"
    pairs = pairwise(spec, root)
    out = [
        table_html(*agreement.table(pairs)),
        '<p class="note">Each pair of judges on the verdicts both gave (same model, benchmark, item and '
        "target). Agreement and κ count the pairs where both verdicts are ok; a pair where either judge was "
        "unparseable is counted apart; error and empty verdicts are left out. Completions follow the "
        "example browser's policy; each judge's reason is its raw output, cut at report.max_chars.</p>",
    ]
    for pair in pairs:
        entries, n_shown = agreement.entries(pair, spec, root, redact, max_chars, show_all)
        total = len(pair.disagreements)
        cap = f" ({n_shown} shown, up to {agreement.SHOWN_PER_BENCHMARK} per benchmark)"
        out.append(
            f"<h3>{escape(pair.a)} against {escape(pair.b)}: {total} disagreements"
            f"{cap if n_shown < total else ''}</h3>" + (entries or "<p>(none)</p>")
        )
    return "".join(out)


def audit_html(audits: list[dict]) -> str:
    """Each audit as `thinksafe audit` prints it: every figure titled by what the judge was fit on."""
    if not audits:
        return "<p>No judge audit in this run (judge_audit.data is null).</p>"
    out = []
    for a in audits:
        try:
            out.append(one_audit_html(a))
        except (KeyError, TypeError, AttributeError) as e:
            raise ThinksafeError(f"{a.get('file', 'results/audit')}: not an audit report ({e!r})") from None
    return "".join(out)


def one_audit_html(a: dict) -> str:
    from thinksafe.judges.audit import FIGURE_HEADER, LABELS, figure_rows

    data = a["data"]
    fit_on = f"; its learned part was fit on: {a['fit_on']}" if a.get("fit_on") else ""
    figures = [[cell.replace("**", "").replace("`", "") for cell in row] for row in figure_rows(a)]
    confusion = a["agreement"]["confusion"]
    return (
        f"<h3>{escape(str(a['judge']))} on {escape(str(data.get('path', '?')))}</h3>"
        f"<p>{data['rows']} responses ({data['unsafe']} unsafe, {data['safe']} safe by the human label); "
        f"figure: <b>{escape(a['figure'])}</b>{escape(fit_on)}.</p>"
        + table_html(list(FIGURE_HEADER), figures)
        + table_html(
            ["human \\ judge", "safe", "unsafe", "unparseable"],
            [[t, *(confusion[t][k] for k in ("safe", "unsafe", "unparseable"))] for t in LABELS],
        )
    )


def render(
    spec: dict,
    metrics: pd.DataFrame,
    grids: dict[str, Grid],
    figures: Path,
    root: Path,
    examples: list[Example],
    redact: bool,
    max_chars: int,
    show_all: bool,
) -> str:
    judge = spec["judges"][0]
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    run = (
        f"{len(spec['models'])} models, {len(spec['benchmarks'])} benchmarks, judges: "
        f"{', '.join(spec['judges'])} (tables use {judge}); seed {spec.get('seed', 0)}; generated {when}."
    )
    sections = [
        ("summary", None, grid_html(grids["summary"], "summary")),
        ("table1", None, grid_html(grids["table1"], "table1")),
        ("table2", None, grid_html(grids["table2"], "table2")),
        (
            "defenses",
            None,
            grid_html(grids["defenses"], "defenses") + grid_html(grids["defense_cost"], "defense-cost"),
        ),
        (
            "detail",
            "Rates per benchmark",
            benchmark_detail(metrics, judge)
            + '<p class="note">Answers, judge '
            + escape(judge)
            + "; every rate counts only ok verdicts. The full "
            "table (every judge, target, category, subset and context) is metrics.csv.</p>",
        ),
        ("figures", "Figures", figures_html(figures)),
        ("examples", "Example browser", examples_html(examples, redact, max_chars, show_all)),
        (
            "provenance",
            "Provenance",
            "<h3>Library versions</h3>"
            + records_html([provenance.versions()])
            + "<h3>Judges and prompt hashes (from the verdicts)</h3>"
            + records_html(provenance.judge_hashes(spec, root))
            + "<h3>Models (from the generation .meta.json files)</h3>"
            + records_html(provenance.generation_meta(spec, root))
            + "<h3>Benchmarks (from item.source)</h3>"
            + records_html(provenance.benchmark_sources(spec, root))
            + "<h3>Judge protocols: own or stand-in (from item.protocol)</h3>"
            + records_html(provenance.judge_protocols(spec, root)),
        ),
        ("agreement", "Judge agreement", agreement_html(spec, root, redact, max_chars, show_all)),
        ("audit", "Judge audit", audit_html(provenance.audits(root))),
        ("cost", "Cost: planned and spent", cost.section_html(root, table_html)),
    ]
    nav = "".join(f'<a href="#{a}">{escape(t or grids[a].title.split(":")[0])}</a>' for a, t, _ in sections)
    body = "".join(
        html if title is None else f'<h2 id="{a}">{escape(title)}</h2>{html}' for a, title, html in sections
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>thinksafe report</title><style>{CSS}</style></head><body>"
        f'<h1>thinksafe: safety of multimodal reasoning models</h1><p class="note">{escape(run)}</p>'
        f"<nav>{nav}</nav>{body}</body></html>\n"
    )
