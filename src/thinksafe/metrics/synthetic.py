"""Synthetic runs laid out like the real pipeline's files, for the tests and the scale benchmark.

`write_items` / `write_verdicts` put hand-written records where aggregation reads them; `write_run`
builds a whole run (model pairs × benchmarks × items) with outcome probabilities chosen per model, so a
test or benchmark exercises the real readers on real files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson

from thinksafe.metrics.load import item_path, verdict_paths

FAMILY_CYCLE = ("jailbreak", "jailbreak", "awareness", "benign", "capability")


def item(
    id: str,
    benchmark: str,
    family: str,
    category: str = "c",
    subset: str | None = None,
    context: str | None = None,
    **extra,
) -> dict:
    rec = {
        "id": id,
        "benchmark": benchmark,
        "family": family,
        "category": category,
        "subset": subset,
        "prompt": f"prompt {id}",
        "image": None,
        "image_sha256": None,
        "context": context,
        "pair_id": None,
        "reference": {"protocol": "synthetic"},
        "source": {"repo": "synthetic"},
    }
    rec.update(extra)
    return rec


def verdict(
    id: str,
    model: str,
    target: str,
    label: str | None,
    status: str = "ok",
    judge: str = "rule",
    refusal: bool | None = None,
    **extra,
) -> dict:
    return {
        "id": id,
        "model": model,
        "target": target,
        "label": label if status == "ok" else None,
        "status": status,
        "judge": judge,
        "prompt_sha256": "0" * 64,
        "raw": "",
        "refusal": refusal,
        "judge_revision": None,
        "extra": extra,
    }


def _write_lines(path: Path, records) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))


def write_items(root: Path, benchmark: str, items: list[dict]) -> None:
    _write_lines(item_path(Path(root), benchmark), items)


def write_verdicts(
    root: Path, judge: str, model: str, benchmark: str, verdicts: list[dict], shard: str = "00"
) -> None:
    _write_lines(verdict_paths(Path(root), judge, model, benchmark, [shard])[0], verdicts)


def spec_for(
    models: dict[str, dict],
    benchmarks: list[str],
    judges: list[str],
    seed: int = 0,
    report: dict | None = None,
    shards: int = 1,
) -> dict:
    """An aggregate spec shaped like rules/common.smk's aggregate_spec()."""
    names = [f"{i:02d}" for i in range(shards)]
    return {
        "models": {m: {"name": m, **s} for m, s in models.items()},
        "benchmarks": {b: {"adapter": b, "name": b} for b in benchmarks},
        "judges": judges,
        "tuned": [m for m, s in models.items() if s.get("tuned_from")],
        "shards": {m: {b: names for b in benchmarks} for m in models},
        "seed": seed,
        "report": report or {},
    }


def write_run(
    root: Path,
    n_pairs: int,
    n_benchmarks: int,
    n_items: int,
    seed: int = 0,
    judges: tuple[str, ...] = ("rule",),
) -> dict:
    """A run of `n_pairs` (base, reasoner) pairs; the reasoners are less safe than their bases, as in the
    paper. Returns its aggregate spec."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    benchmarks = [f"bench{b}" for b in range(n_benchmarks)]
    models: dict[str, dict] = {}
    for p in range(n_pairs):
        models[f"base{p:02d}"] = {"reasoning": "none"}
        models[f"mlrm{p:02d}"] = {"reasoning": "think", "base": f"base{p:02d}"}
    for b, bench in enumerate(benchmarks):
        family = FAMILY_CYCLE[b % len(FAMILY_CYCLE)]
        ids = [f"{bench}-{i:06d}" for i in range(n_items)]
        contexts = ["safe", "unsafe"] if family == "awareness" else [None]
        write_items(
            root,
            bench,
            [
                item(
                    id,
                    bench,
                    family,
                    category=f"cat{i % 12}",
                    subset="main",
                    context=contexts[i % len(contexts)],
                )
                for i, id in enumerate(ids)
            ],
        )
        for judge in judges:
            for m, mspec in models.items():
                p_safe = 0.8 if mspec["reasoning"] == "none" else 0.6
                thinks = mspec["reasoning"] != "none"
                u = rng.random((5, n_items))
                recs = []
                for i, id in enumerate(ids):
                    status = "ok" if u[0, i] > 0.02 else "unparseable"
                    recs.append(
                        verdict(
                            id,
                            m,
                            "thought",
                            "safe" if u[1, i] < p_safe else "unsafe",
                            status if thinks else "empty",
                            judge,
                        )
                    )
                    recs.append(
                        verdict(
                            id,
                            m,
                            "answer",
                            "safe" if u[2, i] < p_safe + 0.1 else "unsafe",
                            status,
                            judge,
                            refusal=bool(u[3, i] < 0.2),
                        )
                    )
                write_verdicts(root, judge, m, bench, recs)
    return spec_for(models, benchmarks, list(judges), seed=seed)
