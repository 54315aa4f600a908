"""The comply judge's two small logistic heads, their fitting, and the cross-source figures.

- `comply`: does the response carry out the request? On the pair features of comply_features.NAMES.
  Label: a row labelled unsafe under `harm`, or safe under `answer`, complied.
- `harm_request`: is the request itself harmful? On the MiniLM embedding of the request (plus the image
  description), each distinct request once. Label: the row's `request_harmful` when the set states it
  (XSTest: its `contrast_` types), else whether any response to that request was labelled unsafe (a proxy,
  said so in the head's meta). `--requests ADAPTER` adds labelled requests that a benchmark adapter offers
  from a tuning split (`harm_requests(mirror, cache)`; never a test set): 350 prompts alone taught the head
  too little of what a harmful request is (docs/judges.md).

Each head file records what it was fit on: the sets, a content hash of the rows, each row's hash and each
request's hash, so the audit can call a figure "training" only on rows the heads saw (validation.row_sha256,
validation.request_sha256).

    python -m thinksafe.judges.comply_head fit --name comply-xstest --data xstest-v2 --requests ADAPTER \\
        --exclude-requests-of jbb-judge-comparison --mirror ../shared
    (ADAPTER: the shipped head's is in docs/judges.md and its meta; judges name no benchmark in code)
    python -m thinksafe.judges.comply_head cross --requests ADAPTER --mirror ../shared   # both ways
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from thinksafe.errors import ThinksafeError
from thinksafe.judges import comply_features as cf
from thinksafe.judges import relevance, validation
from thinksafe.judges.head import HEADS_DIR, L2, Head, head_file

DEFAULT = "comply-xstest"


def complied(row: dict) -> bool:
    return (row["human_label"] == "unsafe") == (row["expectation"] == "harm")


def request_harmful(rows: list[dict]) -> tuple[np.ndarray, str]:
    """Per row: is its request harmful, and how that was known."""
    if all("request_harmful" in r for r in rows):
        return np.array([r["request_harmful"] for r in rows], dtype=np.float64), "stated by the set"
    unsafe = {r["request"] for r in rows if r["human_label"] == "unsafe"}
    return (
        np.array([r.get("request_harmful", r["request"] in unsafe) for r in rows], dtype=np.float64),
        "proxy: some response to the request was labelled unsafe",
    )


def pair_features(rows: list[dict]) -> tuple[np.ndarray, list[dict], np.ndarray]:
    return cf.features(
        [r["request"] for r in rows],
        [r["response"] for r in rows],
        ["answer"] * len(rows),
        [r.get("image_description") for r in rows],
    )


class ComplyHeads:
    def __init__(self, comply: Head, harm: Head, meta: dict):
        self.comply, self.harm, self.meta = comply, harm, meta

    @classmethod
    def fit(cls, rows: list[dict], fit_on: str, requests: list[dict] = (), l2: float = L2) -> ComplyHeads:
        """`rows`: audit-schema rows (both heads); `requests`: more {request, request_harmful} rows for
        the harm_request head only."""
        x, _, _ = pair_features(rows)
        y = np.array([complied(r) for r in rows], dtype=np.float64)
        harmful, how = request_harmful(rows)
        # One vote per distinct request (text as the judge reads it), the sets' rows first.
        labelled: dict[str, tuple[str, float]] = {}
        for r, h in [*zip(rows, harmful, strict=True), *((r, float(r["request_harmful"])) for r in requests)]:
            labelled.setdefault(cf.request_text(r["request"], r.get("image_description")), (r["request"], h))
        texts = list(labelled)
        q = relevance.encode(texts)
        meta = {
            "fit_on": fit_on,
            "rows": len(rows),
            "requests": len(texts),
            "request_harmful": how,
            "model": f"two L2 logistic regressions (L2={l2:g}): comply on {len(cf.NAMES)} pair features, "
            "harm_request on the MiniLM request embedding (each distinct request once)",
            "features": list(cf.NAMES),
            "fit_sha256": validation.content_sha256(rows),
            "fit_rows": sorted(validation.row_sha256(r)[:16] for r in rows),
            "fit_requests": sorted({validation.request_sha256(req)[:16] for req, _ in labelled.values()}),
        }
        h = np.array([v for _, v in labelled.values()], dtype=np.float64)
        return cls(Head.fit(x, y, l2), Head.fit(q, h, l2), meta)

    def predict(self, x: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(P(complied), P(harmful request))."""
        return self.comply.probability(x), self.harm.probability(q)

    def fitted(self, rows: list[dict]) -> list[bool]:
        """Rows a head saw: the row itself, or (harm_request head) its request."""
        return validation.fitted(self.meta, rows)

    @classmethod
    def load(cls, name: str) -> ComplyHeads:
        path = head_file(name, prefix="comply-")
        d = json.loads(path.read_text(encoding="utf-8"))
        if d["meta"].get("features") != list(cf.NAMES):
            raise ThinksafeError(f"{path}: fit on other features than comply_features.NAMES; refit it")
        return cls(Head.from_dict(d["comply"]), Head.from_dict(d["harm_request"]), d["meta"])

    def save(self, path: Path) -> None:
        d = {"meta": self.meta, "comply": self.comply.to_dict(), "harm_request": self.harm.to_dict()}
        path.write_text(json.dumps(d) + "\n", encoding="utf-8")


def without_requests_of(rows: list[dict], other: list[dict]) -> list[dict]:
    """Rows whose request is not in `other` (request-level leakage would flatter a held-out figure)."""
    seen = {r["request"].strip().lower() for r in other}
    return [r for r in rows if r["request"].strip().lower() not in seen]


def labelled_requests(
    adapters: list[str], mirror: Path | None, cache: Path = Path("data/raw/.downloads")
) -> list[dict]:
    """{request, request_harmful, …} rows that benchmark adapters offer from their tuning splits
    (`harm_requests`); from `mirror/benchmarks/` (laid out like the sources) when a mirror is given."""
    from thinksafe.benchmarks import get_adapter

    out = []
    for name in adapters:
        adapter = get_adapter(name)
        if not hasattr(adapter, "harm_requests"):
            raise ThinksafeError(f"--requests: benchmark adapter '{name}' offers no labelled requests")
        out += adapter.harm_requests(None if mirror is None else Path(mirror) / "benchmarks", cache / name)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fit")
    f.add_argument("--name", default=DEFAULT)
    f.add_argument("--data", nargs="+", required=True, help="set names or schema files")
    f.add_argument("--exclude-requests-of", nargs="*", default=[])
    f.add_argument(
        "--requests",
        nargs="*",
        default=[],
        help="benchmark adapters whose labelled requests (a tuning split) the harm_request head adds",
    )
    f.add_argument("--mirror", type=Path)
    c = sub.add_parser("cross")
    c.add_argument("--requests", nargs="*", default=[])
    c.add_argument("--mirror", type=Path)
    args = p.parse_args(argv)
    requests = labelled_requests(args.requests, args.mirror)
    if args.cmd == "fit":
        rows = [r for d in args.data for r in validation.load_set(d, args.mirror)]
        excluded = [r for d in args.exclude_requests_of for r in validation.load_set(d, args.mirror)]
        rows = without_requests_of(rows, excluded)
        requests = without_requests_of(requests, excluded)
        fit_on = " + ".join(args.data) + (
            f", minus the requests of {' + '.join(args.exclude_requests_of)}" if excluded else ""
        )
        if requests:
            fit_on += f"; harm_request also on {len(requests)} requests of {' + '.join(args.requests)}"
        heads = ComplyHeads.fit(rows, fit_on, requests)
        heads.save(HEADS_DIR / f"{args.name}.json")
        print(
            json.dumps(
                {k: v for k, v in heads.meta.items() if k not in ("fit_rows", "fit_requests")}, indent=2
            )
        )
        return 0
    from thinksafe.judges.cross import cross_source

    print(cross_source(args.mirror, requests, " + ".join(args.requests)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
