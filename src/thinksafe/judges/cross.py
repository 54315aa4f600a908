"""The comply judge's honest figures: fit on one labelled source, tested on the other, both directions.

Before fitting, rows whose request also appears in the test source are dropped (100 JBB requests are XSTest
prompts), so no request is both fit on and tested. Nothing here is tuned on the test source: the features,
patterns, thresholds and L2 are fixed in the code before either figure is computed.
"""

from __future__ import annotations

from pathlib import Path

from thinksafe.judges import audit, validation
from thinksafe.judges.comply_head import ComplyHeads, without_requests_of

SOURCES = ("xstest-v2", "jbb-judge-comparison")


def cross_source(mirror: Path | None, requests: list[dict] = (), requests_from: str = "") -> str:
    """Both directions; `requests` (labelled requests of a tuning split) join the harm_request head's
    data in each, less the test source's requests."""
    from thinksafe.judges import get_judge

    sets = {name: validation.load_set(name, mirror) for name in SOURCES}
    base = get_judge({"kind": "comply", "name": "comply"})
    lines = [
        "| fit on | rows fit | requests (harm head) | tested on | rows | accuracy | Cohen's κ | harm rows "
        "| answer rows |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for fit_name, test_name in (SOURCES, SOURCES[::-1]):
        fit_rows = without_requests_of(sets[fit_name], sets[test_name])
        extra = without_requests_of(list(requests), sets[test_name])
        fit_on = f"{fit_name} minus the requests of {test_name}"
        heads = ComplyHeads.fit(
            fit_rows, fit_on + (f"; + {len(extra)} {requests_from} requests" if extra else ""), extra
        )
        report, _ = audit.run_audit(base.with_heads(heads), sets[test_name])
        assert report["figure"].startswith("held-out"), report["figure"]
        a, by = report["agreement"], report["by_expectation"]
        cells = [
            f"{100 * by[h]['accuracy']:.1f}% ({by[h]['n']})" if h in by else "–" for h in ("harm", "answer")
        ]
        lines.append(
            f"| {fit_name} | {len(fit_rows)} | {heads.meta['requests']} | {test_name} | {a['n']} "
            f"| {100 * a['accuracy']:.1f}% "
            f"| {a['kappa']:.3f} | {' | '.join(cells)} |"
        )
    return "\n".join(lines) + "\n"
