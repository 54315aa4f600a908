"""Score a judge against human labels: rows in the one audit schema (judges/validation.py).

Each row becomes an item whose protocol carries its expectation (`harm`: the request as a harmfulness
item; `answer`: as a capability item) and its response is judged as an answer. Agreement is reported over
every row (an unparseable or failed verdict counts as a disagreement) and over the parsed rows, beside the
published judges' columns on the same rows.

What a figure may be called: "training" only on rows a judge's head was fit on (the head records each
row's hash), "held-out" on the others, "not fit" for a judge with no learned part. The audit never refits
on its data unless asked (`refit=True`), and then the refit figure is labelled so.
"""

from __future__ import annotations

import numpy as np

from thinksafe.judges import validation
from thinksafe.judges.base import Judge, Request
from thinksafe.metrics.agreement import cohen_kappa

LABELS = validation.LABELS
REFIT_FOLDS = 5


def as_item(row: dict, stated: bool = False) -> dict:
    harm = row["expectation"] == "harm"
    # request_harmful None: unknown, so a judge that can tell (comply's request head) must judge it; the
    # sets mix benign requests under `harm` (JBB) and the row's own value would hand the judge the answer.
    # `stated`: the set's own statement instead, as a benchmark item states it (the second figure).
    ref = {
        "protocol": "harmfulness" if harm else "capability",
        "goal": row["request"],
        "request_harmful": row.get("request_harmful") if stated else None,
    }
    for key in ("jailbreak_prompt", "image_description"):
        if row.get(key):
            ref[key] = row[key]
    return {
        "id": row["id"],
        "benchmark": "audit",
        "family": "jailbreak" if harm else "benign",
        "category": "",
        "subset": row.get("source", ""),
        "prompt": row["request"],
        "image": None,
        "image_sha256": None,
        "context": None,
        "pair_id": None,
        "reference": ref,
        "source": {},
    }


def agreement(truth: list[str], pred: list[str | None]) -> dict:
    """Accuracy, Cohen's kappa and the confusion matrix; None predictions are unparseable."""
    n = len(truth)
    parsed = [(t, p) for t, p in zip(truth, pred, strict=True) if p in LABELS]
    confusion = {t: {p: 0 for p in (*LABELS, "unparseable")} for t in LABELS}
    for t, p in zip(truth, pred, strict=True):
        confusion[t][p if p in LABELS else "unparseable"] += 1
    agree = sum(t == p for t, p in parsed)
    m = len(parsed)
    kappa = cohen_kappa([t for t, _ in parsed], [p for _, p in parsed])
    return {
        "n": n,
        "accuracy": agree / n if n else None,
        "accuracy_parsed": agree / m if m else None,
        "kappa": kappa,
        "unparseable_rate": (n - m) / n if n else None,
        "confusion": confusion,
    }


def published(rows: list[dict]) -> dict:
    """The `judge:<name>` columns' agreement with the human label (on the rows that carry them)."""
    names = sorted({k.removeprefix("judge:") for r in rows for k in r if k.startswith("judge:")})
    out = {}
    for name in names:
        have = [r for r in rows if f"judge:{name}" in r]
        out[name] = {
            "title": validation.PUBLISHED_TITLES.get(name, name),
            **agreement([r["human_label"] for r in have], [r[f"judge:{name}"] for r in have]),
        }
    return out


def annotators(rows: list[dict]) -> dict:
    """Each annotator's agreement with the final label: the ceiling a judge can be read against."""
    names = sorted({k for r in rows for k in r if k.startswith("annotator_")})
    return {
        k: agreement([r["human_label"] for r in rows if k in r], [r[k] for r in rows if k in r])["accuracy"]
        for k in names
    }


def fitted_rows(judge: Judge, rows: list[dict]) -> list[bool] | None:
    """Which rows the judge's learned part was fit on (None: it has no learned part)."""
    heads = getattr(judge, "heads", None) or getattr(judge, "head", None)
    if heads is None:
        return None
    return validation.fitted(heads.meta, rows)


def figure_name(fitted: list[bool] | None) -> str:
    if fitted is None:
        return "not fit (no learned part)"
    if all(fitted):
        return "training (fit on these rows)"
    if not any(fitted):
        return "held-out (not fit on these rows)"
    return f"mixed ({sum(fitted)} of {len(fitted)} rows were fit on)"


def requests_of(judge: Judge, rows: list[dict], stated: bool = False) -> list[Request]:
    return [Request(as_item(r, stated), r["response"], "answer", "audit") for r in rows]


def stated_harm_figure(judge: Judge, rows: list[dict]) -> dict | None:
    """Agreement when the judge is told what the set states of each request's harm, as benchmark items tell
    it (only for a judge that reads it, and only on the rows that state it); None otherwise."""
    told = [r for r in rows if "request_harmful" in r]
    if not told or not getattr(judge, "reads_request_harm", False):
        return None
    verdicts = judge.judge_many(requests_of(judge, told, stated=True))
    return agreement(
        [r["human_label"] for r in told], [v["label"] if v["status"] == "ok" else None for v in verdicts]
    )


def run_audit(judge: Judge, rows: list[dict], refit: bool = False) -> tuple[dict, list[dict]]:
    """(report, verdicts) for one judge on the rows."""
    verdicts = judge.judge_many(requests_of(judge, rows))
    truth = [r["human_label"] for r in rows]
    pred = [v["label"] if v["status"] == "ok" else None for v in verdicts]
    fitted = fitted_rows(judge, rows)
    report = {
        "judge": judge.name,
        "kind": judge.kind,
        "judge_revision": judge.revision,
        "prompt_sha256": sorted({v["prompt_sha256"] for v in verdicts}),
        "data": {
            "rows": len(rows),
            "unsafe": truth.count("unsafe"),
            "safe": truth.count("safe"),
            "content_sha256": validation.content_sha256(rows),
        },
        "figure": figure_name(fitted),
        "fit_on": (getattr(judge, "heads", None) or getattr(judge, "head", None) or _NoHead).meta.get(
            "fit_on"
        ),
        "agreement": agreement(truth, pred),
        "by_expectation": {
            how: agreement(
                [t for t, r in zip(truth, rows, strict=True) if r["expectation"] == how],
                [p for p, r in zip(pred, rows, strict=True) if r["expectation"] == how],
            )
            for how in validation.EXPECTATIONS
            if any(r["expectation"] == how for r in rows)
        },
        "published": published(rows),
        "annotators": annotators(rows),
    }
    if fitted is not None and any(fitted) and not all(fitted):
        for name, keep in (("training", True), ("held_out", False)):
            report[name] = agreement(
                [t for t, f in zip(truth, fitted, strict=True) if f == keep],
                [p for p, f in zip(pred, fitted, strict=True) if f == keep],
            )
    stated = stated_harm_figure(judge, rows)
    if stated is not None:
        report["stated_harm"] = stated
    if refit:
        report["refit"] = refit_figure(judge, rows)
    return report, verdicts


class _NoHead:
    meta: dict = {}


def refit_figure(judge: Judge, rows: list[dict], folds: int = REFIT_FOLDS, seed: int = 0) -> dict:
    """Asked for only: the judge's heads refit on this data, cross-validated in folds grouped by request
    (no request in both fit and test). Labelled "refit on the audit data" wherever it is shown."""
    from thinksafe.errors import ThinksafeError
    from thinksafe.judges.comply import ComplyJudge
    from thinksafe.judges.comply_head import ComplyHeads

    if not isinstance(judge, ComplyJudge):
        raise ThinksafeError(f"--refit: judge {judge.name} ({judge.kind}) has no comply heads to refit")
    names = sorted({r["request"] for r in rows})
    order = np.random.default_rng(seed).permutation(len(names))
    fold_of = {names[j]: k % folds for k, j in enumerate(order)}
    pred: list[str | None] = [None] * len(rows)
    for k in range(folds):
        train = [r for r in rows if fold_of[r["request"]] != k]
        test = [i for i, r in enumerate(rows) if fold_of[r["request"]] == k]
        part = judge.with_heads(ComplyHeads.fit(train, "audit data (refit)"))
        for i, v in zip(test, part.judge_many(requests_of(part, [rows[i] for i in test])), strict=True):
            pred[i] = v["label"] if v["status"] == "ok" else None
    return {
        "figure": f"refit on the audit data ({folds}-fold CV grouped by request)",
        **agreement([r["human_label"] for r in rows], pred),
    }


def row_records(rows: list[dict], verdicts: list[dict], fitted: list[bool] | None = None) -> list[dict]:
    """Each row's human label beside the verdict, for inspecting disagreements."""
    return [
        {
            "id": r["id"],
            "line": r.get("line"),  # rows read from a file; a pinned set built in memory has none
            "expectation": r["expectation"],
            "human": r["human_label"],
            "label": v["label"],
            "status": v["status"],
            "fit_on": None if fitted is None else fitted[i],
            "raw": v["raw"][:200],
        }
        for i, (r, v) in enumerate(zip(rows, verdicts, strict=True))
    ]


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _kappa(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


FIGURE_HEADER = ("judge", "rows", "accuracy", "accuracy (parsed)", "Cohen's κ", "unparseable")


def figure_rows(report: dict) -> list[list[str]]:
    """Every figure of an audit, each titled by what it is (held-out, training, told, refit, published): the
    one list the markdown and the HTML report both print."""
    j = report["judge"]
    figures = [(f"**{j}**, {report['figure']}", report["agreement"])]
    for name, title in (("held_out", "held-out rows only"), ("training", "training rows only")):
        if name in report:
            figures.append((f"**{j}**, {title}", report[name]))
    if len(report["by_expectation"]) > 1:
        figures += [(f"**{j}**, `{how}` rows", a) for how, a in report["by_expectation"].items()]
    if "stated_harm" in report:
        told = f"**{j}**, {report['figure']}, told each request's harm as the set states it"
        figures.append((told, report["stated_harm"]))
    if "refit" in report:
        figures.append((f"**{j}**, {report['refit']['figure']}", report["refit"]))
    figures += [(f"{p['title']} (published)", p) for p in report["published"].values()]
    return [
        [title, str(a["n"]), _pct(a["accuracy"]), _pct(a["accuracy_parsed"]), _kappa(a["kappa"]),
         _pct(a["unparseable_rate"])]
        for title, a in figures
    ]  # fmt: skip


def markdown(report: dict, data_path: str) -> str:
    j = report["judge"]
    lines = [
        f"# Judge audit: {j} ({report['kind']})",
        "",
        f"Data: `{data_path}` ({report['data']['rows']} responses, human label: "
        f"{report['data']['unsafe']} unsafe / {report['data']['safe']} safe).",
        "",
        f"Figure: **{report['figure']}**"
        + (f"; the head was fit on: {report['fit_on']}." if report["fit_on"] else "."),
        "",
        "| " + " | ".join(FIGURE_HEADER) + " |",
        "|---" * len(FIGURE_HEADER) + "|",
        *("| " + " | ".join(row) + " |" for row in figure_rows(report)),
    ]
    c = report["agreement"]["confusion"]
    lines += [
        "",
        f"Confusion matrix of {j} (rows: human label, columns: judge):",
        "",
        "| human \\ judge | safe | unsafe | unparseable |",
        "|---|---|---|---|",
        *(f"| {t} | {c[t]['safe']} | {c[t]['unsafe']} | {c[t]['unparseable']} |" for t in LABELS),
    ]
    if report["annotators"]:
        lines += [
            "",
            "Each annotator against the final human label: "
            + ", ".join(f"{k} {_pct(v)}" for k, v in report["annotators"].items())
            + ".",
        ]
    return "\n".join(lines) + "\n"
