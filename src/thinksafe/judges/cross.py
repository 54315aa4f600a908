"""The comply judge's honest figures: heads fit on some labelled sources, tested on another they never saw.

For each source that can be read, two fits are tested on it: the shipped recipe's (heads fit on XSTest v2
alone, where XSTest is not the test source) and leave-one-source-out (heads fit on every other source).
Before fitting, rows whose request also appears in the test source are dropped (100 JBB requests are XSTest
prompts), so no request is both fit on and tested. Nothing here is tuned on a test source: the features,
patterns, thresholds and L2 are fixed in the code before any figure is computed. A source that cannot be
read (the HarmBench sets need a mirror holding them) is named in the output, never skipped in silence.
"""

from __future__ import annotations

from pathlib import Path

from thinksafe.errors import ThinksafeError
from thinksafe.judges import audit, validation
from thinksafe.judges.base import Judge
from thinksafe.judges.comply_head import ComplyHeads, without_requests_of

SOURCES = ("xstest-v2", "jbb-judge-comparison", "harmbench-text", "harmbench-multimodal")
RECIPE = ("xstest-v2",)  # what the shipped head is fit on (plus the harm head's tuning-split requests)

HEADER = (
    "| fit on | rows fit | requests (harm head) | tested on | rows | accuracy | Cohen's κ | harm rows "
    "| answer rows |\n|---|---|---|---|---|---|---|---|---|"
)


def readable(mirror: Path | None) -> tuple[dict[str, list[dict]], list[str]]:
    """({source: rows}, notes on the sources that could not be read)."""
    sets, notes = {}, []
    for name in SOURCES:
        try:
            sets[name] = validation.load_set(name, mirror)
        except ThinksafeError as e:
            notes.append(f"- {name}: not read ({e})")
    return sets, notes


def held_out_line(
    base: Judge,
    sets: dict[str, list[dict]],
    fit_names: tuple[str, ...],
    test: str,
    requests: list[dict],
    requests_from: str,
) -> str:
    """One row of the table: `base` with heads fit on `fit_names` (less the test source's requests),
    tested on `test`."""
    fit_rows = without_requests_of([r for n in fit_names for r in sets[n]], sets[test])
    extra = without_requests_of(list(requests), sets[test])
    fit_on = f"{' + '.join(fit_names)} minus the requests of {test}"
    heads = ComplyHeads.fit(
        fit_rows, fit_on + (f"; + {len(extra)} {requests_from} requests" if extra else ""), extra
    )
    report, _ = audit.run_audit(base.with_heads(heads), sets[test])
    if not report["figure"].startswith("held-out"):
        raise AssertionError(f"{test}: {report['figure']}")  # a leak would flatter the figure
    a, by = report["agreement"], report["by_expectation"]
    cells = [f"{100 * by[h]['accuracy']:.1f}% ({by[h]['n']})" if h in by else "–" for h in ("harm", "answer")]
    return (
        f"| {' + '.join(fit_names)} | {len(fit_rows)} | {heads.meta['requests']} | {test} | {a['n']} "
        f"| {100 * a['accuracy']:.1f}% | {a['kappa']:.3f} | {' | '.join(cells)} |"
    )


def cross_source(mirror: Path | None, requests: list[dict] = (), requests_from: str = "") -> str:
    """The table; `requests` (labelled requests of a tuning split) join the harm_request head's data in
    every fit, less the test source's requests."""
    from thinksafe.judges import get_judge

    sets, notes = readable(mirror)
    if len(sets) < 2:
        raise ThinksafeError("cross-source figures need two readable sources:\n" + "\n".join(notes))
    base = get_judge({"kind": "comply", "name": "comply"})  # loaded once; each line swaps its heads in
    lines = [HEADER]
    for test in sets:
        fits = []
        recipe = tuple(n for n in RECIPE if n in sets and n != test)
        if recipe:
            fits.append(recipe)
        others = tuple(n for n in sets if n != test)
        if others != recipe:
            fits.append(others)
        lines += [held_out_line(base, sets, fit, test, requests, requests_from) for fit in fits]
    return "\n".join(lines + notes) + "\n"
