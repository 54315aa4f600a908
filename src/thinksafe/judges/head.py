"""A small learned head for the rule judge: logistic regression on the rule signals, the request-response
cosine and both MiniLM embeddings, deciding harmful compliance under the `harm` expectation.

FIT ON THE SHARED VALIDATION SET: the shipped weights (heads/jbb-minilm-logreg.json) are fit on all 300
rows of the JailbreakBench judge-comparison set, and record each row's hash (`fit_rows`), so the audit
calls its figure there a training figure. The weights file also records the grouped cross-validated one
(folds split by goal, so no behaviour is in both train and test).
Rebuild: `python -m thinksafe.judges.head --data jbb-judge-comparison` (the shipped set).
The comply judge's heads (comply_head.py) reuse `Head` and `L2`.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from thinksafe.errors import ThinksafeError

HEADS_DIR = Path(__file__).parent / "heads"
L2 = 10.0
FOLDS = 5


def features(signals: list[dict], requests: np.ndarray, responses: np.ndarray) -> np.ndarray:
    """Rule signals, log length, cosine, request embedding, response embedding."""
    rules = np.array(
        [
            [s["refusal"], s["warning"], s["disclaimer"], s["structured"], math.log1p(s["n_words"])]
            for s in signals
        ],
        dtype=np.float64,
    )
    cos = (requests * responses).sum(1, keepdims=True)
    return np.hstack([rules, cos, requests, responses])


def _fit(x: np.ndarray, y: np.ndarray, l2: float = L2, iters: int = 30) -> np.ndarray:
    """L2-regularised logistic regression by Newton's method; the bias is not penalised."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = np.r_[np.full(len(w) - 1, l2), 0.0]
    for _ in range(iters):
        p = 1 / (1 + np.exp(-xb @ w))
        grad = xb.T @ (p - y) + reg * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


class Head:
    def __init__(self, mean: np.ndarray, scale: np.ndarray, weights: np.ndarray, meta: dict | None = None):
        self.mean, self.scale, self.weights, self.meta = mean, scale, weights, meta or {}

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, l2: float = L2) -> Head:
        mean, scale = x.mean(0), x.std(0) + 1e-6
        return cls(mean, scale, _fit((x - mean) / scale, y, l2))

    def unsafe(self, x: np.ndarray) -> np.ndarray:
        return self.probability(x) > 0.5

    def probability(self, x: np.ndarray) -> np.ndarray:
        z = (x - self.mean) / self.scale
        return 1 / (1 + np.exp(-(z @ self.weights[:-1] + self.weights[-1])))

    @classmethod
    def load(cls, name: str) -> Head:
        d = json.loads(head_file(name).read_text(encoding="utf-8"))
        return cls.from_dict(d, d["meta"])

    @classmethod
    def from_dict(cls, d: dict, meta: dict | None = None) -> Head:
        return cls(np.array(d["mean"]), np.array(d["scale"]), np.array(d["weights"]), meta)

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(), "weights": self.weights.tolist()}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"meta": self.meta, **self.to_dict()}) + "\n", encoding="utf-8")


def head_file(name: str, prefix: str = "") -> Path:
    """heads/<name>.json, or an error naming the heads there are (those starting with `prefix`)."""
    path = HEADS_DIR / f"{name}.json"
    if not path.is_file():
        known = sorted(p.stem for p in HEADS_DIR.glob(f"{prefix}*.json"))
        raise ThinksafeError(f"judge spec key head: unknown head '{name}' (known: {known})")
    return path


def grouped_cv(
    x: np.ndarray, y: np.ndarray, groups: list[str], folds: int = FOLDS, seed: int = 0
) -> np.ndarray:
    """Out-of-fold `unsafe` predictions, folds split by group (goal): each prediction is on a behaviour
    the head never trained on."""
    names = sorted(set(groups))
    order = np.random.default_rng(seed).permutation(len(names))
    fold_of = {names[j]: k % folds for k, j in enumerate(order)}
    fold = np.array([fold_of[g] for g in groups])
    pred = np.zeros(len(y), dtype=bool)
    for k in range(folds):
        train, test = fold != k, fold == k
        pred[test] = Head.fit(x[train], y[train]).unsafe(x[test])
    return pred


def main(argv: list[str] | None = None) -> int:
    from thinksafe.judges import relevance, rule, validation

    p = argparse.ArgumentParser(description="fit the rule judge's head on the JBB judge-comparison set")
    p.add_argument("--data", default="jbb-judge-comparison", help="audit rows (docs/judges.md schema)")
    p.add_argument("--name", default="jbb-minilm-logreg")
    args = p.parse_args(argv)
    rows = validation.load(args.data)
    y = np.array([r["human_label"] == "unsafe" for r in rows], dtype=np.float64)
    sig = [rule.signals(r["response"], "answer") for r in rows]
    x = features(
        sig,
        relevance.encode([r["request"] for r in rows]),
        relevance.encode([r["response"] for r in rows]),
    )
    goals = [r["request"] for r in rows]
    cv = {f"seed{s}": float((grouped_cv(x, y, goals, seed=s) == (y == 1)).mean()) for s in (0, 1, 2)}
    head = Head.fit(x, y)
    train = float((head.unsafe(x) == (y == 1)).mean())
    head.meta = {
        "fit_on": "JailbreakBench judge-comparison set, all 300 rows, label human_majority",
        "model": f"logistic regression, L2={L2:g}; features: rule signals, log words, cosine, "
        "MiniLM(goal), MiniLM(response)",
        "train_accuracy": train,
        "grouped_cv_accuracy": cv,
        "folds": FOLDS,
        "fit_sha256": validation.content_sha256(rows),
        "fit_rows": sorted(validation.row_sha256(r)[:16] for r in rows),
    }
    HEADS_DIR.mkdir(exist_ok=True)
    head.save(HEADS_DIR / f"{args.name}.json")
    print(json.dumps(head.meta, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
