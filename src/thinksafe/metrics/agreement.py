"""How far judges agree with each other (or with people): Cohen's kappa, and every pair of a run's judges
compared on the verdicts both gave.

A pair is compared on the (model, benchmark, item id, target) both judges have a verdict for. Where both
are `ok`, the labels count in n, raw agreement and kappa; where either is `unparseable`, the pair is
counted apart; `error` and `empty` verdicts are left out (nothing was judged). numpy and pandas only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from thinksafe.metrics import load
from thinksafe.records import LABELS

ALL = "ALL"  # the benchmark column of the row over every benchmark, as in metrics.csv
SCHEMA = load.VERDICT_SCHEMA.append(pa.field("raw", pa.string()))
KEYS = ["model", "benchmark", "id", "target"]


def cohen_kappa(a: Sequence[str], b: Sequence[str], labels: Sequence[str] = LABELS) -> float | None:
    """Cohen's kappa of two raters' labels on the same items; None when there is no item. When both raters
    give one and the same label throughout (chance agreement 1), kappa is undefined and taken as 1."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"kappa needs labels of the same items: {a.shape} against {b.shape}")
    if not a.size:
        return None
    stray = set(np.unique(np.concatenate([a, b]))) - set(labels)
    if stray:
        raise ValueError(f"kappa over {', '.join(labels)}: got {', '.join(map(str, sorted(stray)))}")
    p_o = float(np.mean(a == b))
    p_e = sum(float(np.mean(a == lab)) * float(np.mean(b == lab)) for lab in labels)
    return (p_o - p_e) / (1 - p_e) if p_e < 1 else 1.0


@dataclass
class PairStats:
    """Judges a and b on one benchmark (or ALL): n verdict pairs both ok, of which `agree` agree."""

    a: str
    b: str
    benchmark: str
    n: int
    agree: int
    a_unsafe_b_safe: int
    a_safe_b_unsafe: int
    unparseable: int  # verdict pairs where either judge was unparseable (not in n)
    kappa: float | None

    @property
    def raw_agreement(self) -> float | None:
        return self.agree / self.n if self.n else None


@dataclass
class Pair:
    a: str
    b: str
    stats: list[PairStats] = field(default_factory=list)  # each benchmark, then ALL
    disagreements: pd.DataFrame = field(default_factory=pd.DataFrame)  # KEYS + label/raw/status _a, _b


def read_judge(spec: dict, root: Path, judge: str) -> pd.DataFrame:
    """Every verdict of one judge in the run: KEYS, label, status, raw (files not written are skipped)."""
    frames = []
    for model in spec["models"]:
        for bench in spec["benchmarks"]:
            shards = spec["shards"][model][bench]
            for path in load.verdict_paths(root, judge, model, bench, shards):
                if path.exists():
                    t = load.read_columns(path, SCHEMA, "verdict").to_pandas()
                    frames.append(t.assign(model=model, benchmark=bench))
    columns = [*KEYS, "label", "status", "raw"]
    return pd.concat(frames)[columns] if frames else pd.DataFrame(columns=columns)


def compare(a: str, b: str, va: pd.DataFrame, vb: pd.DataFrame, benchmarks: Sequence[str]) -> Pair:
    both = va.merge(vb, on=KEYS, suffixes=("_a", "_b"))
    ok = (both["status_a"] == "ok") & (both["status_b"] == "ok")
    unparseable = (both["status_a"] == "unparseable") | (both["status_b"] == "unparseable")
    pair = Pair(a, b, disagreements=both[ok & (both["label_a"] != both["label_b"])].reset_index(drop=True))
    for bench in [*benchmarks, ALL]:
        here = both["benchmark"] == bench if bench != ALL else np.ones(len(both), bool)
        rows = both[here & ok]
        la, lb = rows["label_a"].to_numpy(str), rows["label_b"].to_numpy(str)
        pair.stats.append(
            PairStats(
                a,
                b,
                bench,
                n=len(rows),
                agree=int((la == lb).sum()),
                a_unsafe_b_safe=int(((la == "unsafe") & (lb == "safe")).sum()),
                a_safe_b_unsafe=int(((la == "safe") & (lb == "unsafe")).sum()),
                unparseable=int((here & unparseable).sum()),
                kappa=cohen_kappa(la, lb),
            )
        )
    return pair


def pairwise(spec: dict, root: Path) -> list[Pair]:
    """Every pair of the run's judges, in the spec's order; [] with fewer than two judges."""
    judges = list(spec["judges"])
    if len(judges) < 2:
        return []
    verdicts = {j: read_judge(spec, root, j) for j in judges}
    return [
        compare(a, b, verdicts[a], verdicts[b], list(spec["benchmarks"]))
        for i, a in enumerate(judges)
        for b in judges[i + 1 :]
    ]
