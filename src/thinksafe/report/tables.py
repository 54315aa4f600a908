"""The paper's tables from metrics.csv: Table 1 (MLRM vs base), Table 2 (tuned vs original), the summary.

Every cell shows a measured value with its 95% interval, in percent (differences in percentage
points); a cell the run has no verdicts for shows an em dash. Tables report the first judge of the
run, on the answer; the thought is reported beside it where the tables say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from thinksafe.metrics.cells import ALL

SAFETY_FAMILIES = ("jailbreak", "awareness")
DASH = "—"


@dataclass
class Grid:
    """A table as header + rows of plain strings, rendered to Markdown or LaTeX."""

    title: str
    header: list[str]
    rows: list[list[str]]
    notes: list[str]

    def markdown(self) -> str:
        lines = [
            f"### {self.title}",
            "",
            "| " + " | ".join(self.header) + " |",
            "|" + "|".join(["---"] + [":-:"] * (len(self.header) - 1)) + "|",
        ]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        if not self.rows:
            lines.append("| " + " | ".join(["(no rows in this run)"] + [""] * (len(self.header) - 1)) + " |")
        return "\n".join(lines + [""] + [f"{n}  " for n in self.notes]) + "\n"

    def latex(self) -> str:
        cols = "l" + "c" * (len(self.header) - 1)
        body = [" & ".join(latex_escape(c) for c in r) + r" \\" for r in self.rows]
        return "\n".join(
            [
                r"% " + self.title,
                r"\begin{table}[t]",
                r"\centering",
                r"\small",
                rf"\begin{{tabular}}{{{cols}}}",
                r"\toprule",
                " & ".join(latex_escape(h) for h in self.header) + r" \\",
                r"\midrule",
                *body,
                r"\bottomrule",
                r"\end{tabular}",
                rf"\caption{{{latex_escape(self.title)}. {latex_escape(' '.join(self.notes))}}}",
                r"\end{table}",
                "",
            ]
        )


def csv_text(metrics: pd.DataFrame) -> str:
    """metrics.csv: floats rounded to 6 decimals, empty where undefined (pyarrow: fast at 10⁵ rows)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    floats = metrics.select_dtypes("float").columns
    table = pa.Table.from_pandas(
        metrics.assign(**{c: metrics[c].round(6) for c in floats}), preserve_index=False
    )
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue().to_pybytes().decode("utf-8")


def latex_escape(text: str) -> str:
    out = str(text)
    for a, b in (
        ("\\", r"\textbackslash{}"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("$", r"\$"),
        ("#", r"\#"),
        ("_", r"\_"),
        ("{", r"\{"),
        ("}", r"\}"),
        ("~", r"\textasciitilde{}"),
        ("^", r"\^{}"),
        ("Δ", r"$\Delta$"),
        ("−", "$-$"),
        ("→", r"$\to$"),
        ("—", "--"),
        ("·", r"$\cdot$"),
        ("±", r"$\pm$"),
    ):
        out = out.replace(a, b)
    return out


def _finite(*values: float) -> bool:
    return all(v is not None and not (isinstance(v, float) and math.isnan(v)) for v in values)


def fmt_rate(row: dict | None) -> str:
    if row is None or not _finite(row["value"]):
        return DASH
    ci = f" [{100 * row['lo']:.1f}, {100 * row['hi']:.1f}]" if _finite(row["lo"], row["hi"]) else ""
    return f"{100 * row['value']:.1f}{ci}"


def fmt_delta(row: dict | None) -> str:
    if row is None or not _finite(row["value"]):
        return DASH
    ci = f" [{100 * row['lo']:+.1f}, {100 * row['hi']:+.1f}]" if _finite(row["lo"], row["hi"]) else ""
    p = f" p={row['p_value']:.2g}" if _finite(row["p_value"]) else ""
    return f"{100 * row['value']:+.1f}{ci}{p}"


class Lookup:
    """Index of metrics rows by (model, reference, target, benchmark, family, level, metric) for one judge."""

    def __init__(self, metrics: pd.DataFrame, judge: str):
        sel = metrics[metrics["judge"] == judge].copy()
        sel["reference"] = sel["reference"].fillna("")
        key = ["model", "reference", "target", "benchmark", "family", "level", "metric"]
        sel = sel[sel["level"].isin(["benchmark", "family"])]
        self.rows = {tuple(r[k] for k in key): r for r in sel.to_dict("records")}

    def get(
        self,
        model: str,
        metric: str,
        family: str,
        benchmark: str = ALL,
        target: str = "answer",
        reference: str = "",
    ) -> dict | None:
        level = "family" if benchmark == ALL else "benchmark"
        return self.rows.get((model, reference, target, benchmark, family, level, metric))


def mark_stand_ins(grid: Grid, stand_ins: dict[str, str]) -> Grid:
    """Mark each column of a benchmark scored by a stand-in protocol with †, and name every stand-in whose
    benchmark the table counts (family means included)."""
    if not stand_ins:
        return grid
    header = [f"{h}†" if any(h.endswith(f" · {b}") for b in stand_ins) else h for h in grid.header]
    note = "† scored by a stand-in, not the benchmark's own protocol: " + "; ".join(
        f"{b}: {s.removeprefix('stand-in: ')}" for b, s in stand_ins.items()
    )
    return Grid(grid.title, header, grid.rows, [*grid.notes, note])


def safety_columns(metrics: pd.DataFrame, benchmarks: list[str]) -> list[tuple[str, str]]:
    """(family, benchmark) columns in run order, grouped by family; a family mean where it has several."""
    present = set(zip(metrics["family"], metrics["benchmark"], strict=True))
    cols = []
    for family in SAFETY_FAMILIES:
        fam = [(family, b) for b in benchmarks if (family, b) in present]
        cols += fam + ([(family, ALL)] if len(fam) > 1 else [])
    return cols


def _header(cols: list[tuple[str, str]]) -> list[str]:
    return [f"{fam} · {'mean' if b == ALL else b}" for fam, b in cols]


def table1(metrics: pd.DataFrame, spec: dict) -> Grid:
    judge = spec["judges"][0]
    look = Lookup(metrics, judge)
    cols = safety_columns(metrics, list(spec["benchmarks"]))
    rows = []
    for name, m in spec["models"].items():
        base = m.get("base")
        if not base or m.get("tuned_from") or m.get("defended_from") or base not in spec["models"]:
            continue
        rows.append([f"{base} (base)"] + [fmt_rate(look.get(base, "score", f, b)) for f, b in cols])
        rows.append([name] + [fmt_rate(look.get(name, "score", f, b)) for f, b in cols])
        rows.append(
            [f"Δ {name} − base"]
            + [fmt_delta(look.get(name, "delta_score", f, b, reference=base)) for f, b in cols]
        )
    return Grid(
        "Table 1: safety of each reasoning model against its base model",
        ["model"] + _header(cols),
        rows,
        [
            f"Safety score in % of answers judged safe (judge: {judge}), 95% interval in brackets; "
            "context-paired benchmarks score the mean of safe- and unsafe-context accuracy; "
            "a family mean averages its benchmarks.",
            "Δ in percentage points on the same items, paired bootstrap interval, McNemar exact p.",
        ],
    )


def table2(metrics: pd.DataFrame, spec: dict) -> Grid:
    judge = spec["judges"][0]
    look = Lookup(metrics, judge)
    cols = safety_columns(metrics, list(spec["benchmarks"]))
    families = set(metrics["family"])
    header = ["model", "tuning data"] + _header(cols)
    extra = [("benign", "over_refusal_rate", "over-refusal"), ("capability", "score", "capability")]
    extra = [e for e in extra if e[0] in families]
    header += [label for _, _, label in extra]
    tuned = [(n, m) for n, m in spec["models"].items() if m.get("tuned_from") and not m.get("defended_from")]
    rows = []
    for original in dict.fromkeys(m["tuned_from"] for _, m in tuned):
        rows.append(
            [original, "none (original)"]
            + [fmt_rate(look.get(original, "score", f, b)) for f, b in cols]
            + [fmt_rate(look.get(original, metric, fam)) for fam, metric, _ in extra]
        )
        for name, m in tuned:
            if m["tuned_from"] != original:
                continue
            rows.append(
                [name, m.get("dataset", "")]
                + [fmt_rate(look.get(name, "score", f, b)) for f, b in cols]
                + [fmt_rate(look.get(name, metric, fam)) for fam, metric, _ in extra]
            )
            rows.append(
                [f"Δ vs {original}", m.get("dataset", "")]
                + [fmt_delta(look.get(name, "delta_score", f, b, reference=original)) for f, b in cols]
                + [
                    fmt_delta(
                        look.get(
                            name,
                            "delta_score" if metric == "score" else f"delta_{metric}",
                            fam,
                            reference=original,
                        )
                    )
                    for fam, metric, _ in extra
                ]
            )
    return Grid(
        "Table 2: tuned models against the model they were tuned from",
        header,
        rows,
        [
            f"Judge: {judge}; safety score and capability in %, over-refusal = % of benign controls refused.",
            "Δ in percentage points on the same items, paired bootstrap interval, McNemar exact p.",
        ],
    )


def _status(look: Lookup, model: str, families: list[str]) -> str:
    rows = [r for f in families if (r := look.get(model, "score", f)) is not None]
    total = sum(r["n_total"] for r in rows)
    if not total:
        return DASH
    unp = sum(r["unparseable_rate"] * r["n_total"] for r in rows) / total
    err = sum(r["error_rate"] * r["n_total"] for r in rows) / total
    return f"{100 * unp:.1f} / {100 * err:.1f}"


def summary(metrics: pd.DataFrame, spec: dict) -> Grid:
    judge = spec["judges"][0]
    look = Lookup(metrics, judge)
    families = [f for f in SAFETY_FAMILIES if f in set(metrics["family"])]
    header = [
        "model",
        *[f"{f} safety" for f in families],
        *[f"{f}: thought → answer" for f in families],
        "over-refusal (benign)",
        "compared with",
        *[f"Δ {f}" for f in families],
        "unparseable / error %",
    ]
    rows = []
    for name, m in spec["models"].items():
        ref = m.get("base") if m.get("base") in spec["models"] else ""
        tva = []
        for f in families:
            t, a = look.get(name, "score", f, target="thought"), look.get(name, "score", f)
            tva.append(DASH if t is None else f"{fmt_rate(t).split(' ')[0]} → {fmt_rate(a).split(' ')[0]}")
        rows.append(
            [
                name,
                *[fmt_rate(look.get(name, "score", f)) for f in families],
                *tva,
                fmt_rate(look.get(name, "over_refusal_rate", "benign")),
                ref or DASH,
                *[
                    fmt_delta(look.get(name, "delta_score", f, reference=ref)) if ref else DASH
                    for f in families
                ],
                _status(look, name, families),
            ]
        )
    return Grid(
        "Summary: safety per family, thought vs answer, over-refusal, and each model against its reference",
        header,
        rows,
        [
            f"Judge: {judge}. Safety in % of answers judged safe, 95% interval in brackets (over the "
            "family's benchmarks: the mean of benchmark scores). Thought → answer: safety of the reasoning "
            "trace and of the final answer. Over-refusal: % of benign controls refused. Δ: percentage points "
            "against the reference (an MLRM's base; a tuned model's original) on the same items, paired "
            "bootstrap 95% interval, McNemar exact p. Only ok verdicts count; the last column gives the "
            "unparseable and error shares."
        ],
    )
