"""The suite's figures: each reliability test adds what it measured; the plugin prints them at the end.

Counters add up over the tests of a run (two kill tests give one `kill points` figure); `peak` keeps the
largest value seen (the most retries one request needed).
"""

from __future__ import annotations

from collections import defaultdict

FIGURES: dict[str, float] = defaultdict(float)
PEAKS: dict[str, float] = {}


def add(**counts: float) -> None:
    for name, value in counts.items():
        FIGURES[name] += value


def peak(**values: float) -> None:
    for name, value in values.items():
        PEAKS[name] = max(PEAKS.get(name, value), value)


def _n(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def lines() -> list[str]:
    """Human lines, one per acceptance point that ran; empty when no reliability test ran."""
    f, out = FIGURES, []
    if "kill_points" in f:
        out.append(
            f"kill points {_n(f['kill_points'])} (generate {_n(f['generate_kills'])}, finetune "
            f"{_n(f['finetune_kills'])}), records lost {_n(f['records_lost'])}, duplicated "
            f"{_n(f['records_duplicated'])}, training steps re-run or skipped {_n(f['steps_off'])} "
            f"(checkpoints cut mid-save {_n(f['checkpoints_cut'])})"
        )
    if "api_requests" in f:
        rate = 100 * f["api_faults"] / f["api_requests"] if f["api_requests"] else 0.0
        out.append(
            f"API requests {_n(f['api_requests'])}, fault rate {rate:.1f}%, retries max "
            f"{_n(PEAKS.get('retries_per_call', 0))}, items judged/generated {_n(f['api_items_ok'])}, "
            f"items failed explicitly {_n(f['api_items_failed'])}, "
            f"items unaccounted {_n(f['api_items_lost'])}"
        )
    if "bad_input_cases" in f or "record_cases" in f:
        tried = f["bad_input_cases"] + f["record_cases"]
        handled = f["bad_input_clear"] + f["record_handled"]
        out.append(
            f"bad input: cases tried {_n(tried)}, handled {_n(handled)}, lost {_n(f['records_lost'])}, "
            f"leaked {_n(f['bad_input_leaked'])} (stops with one located line {_n(f['bad_input_clear'])}/"
            f"{_n(f['bad_input_cases'])}; records failed on their own record, job went on "
            f"{_n(f['record_handled'])}/{_n(f['record_cases'])})"
        )
    if "disk_cases" in f:
        out.append(f"disk full / read-only cases {_n(f['disk_clear'])}/{_n(f['disk_cases'])} clear")
    if "sentinel_files" in f:
        out.append(f"sentinel found in {_n(f['sentinel_hits'])} of {_n(f['sentinel_files'])} files")
    if "untrusted_cases" in f:
        refused, cases = _n(f["untrusted_refused"]), _n(f["untrusted_cases"])
        out.append(f"untrusted code/data cases {refused}/{cases} refused")
    if "report_completions" in f:
        out.append(
            f"report: {_n(f['report_hidden'])}/{_n(f['report_completions'])} harmful completions hidden "
            f"by default, {_n(f['report_shown'])} shown with --show-completions"
        )
    return out
