"""Shared fixtures: where the upstream files are (the offline mirror, the judge-validation sets), the
tiny random Qwen2.5-VL built once per run, and a check that no test touches the project's own runs.

The upstream files are never copied into the project; tests read them in place. Their locations:
  THINKSAFE_MIRROR            benchmark mirror (default ../shared/benchmarks beside the project)
  THINKSAFE_JUDGE_VALIDATION  judge-validation sets (default ../shared/judge-validation)
  THINKSAFE_HARMBENCH_DIR     a --mirror folder with judge-validation/harmbench/data/ (default: the
                              folder above the judge-validation sets)
A test that needs one that is not there is skipped, with the variable to set in its reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"  # where CI lays a copy of shared/: beside the clone

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def location(variable: str, default: Path) -> Path:
    value = os.environ.get(variable, "").strip()
    return Path(value).expanduser().resolve() if value else default


BENCHMARKS_MIRROR = location("THINKSAFE_MIRROR", SHARED / "benchmarks")
JUDGE_VALIDATION = location("THINKSAFE_JUDGE_VALIDATION", SHARED / "judge-validation")
HARMBENCH = location("THINKSAFE_HARMBENCH_DIR", JUDGE_VALIDATION.parent)


def present(path: Path, variable: str, what: str) -> Path:
    if not path.is_dir():
        pytest.skip(f"no {what} at {path}: set {variable} to a copy of it (docs/testing.md)")
    return path


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The benchmark mirror: one folder per upstream source, as shared/benchmarks lays them out."""
    return present(BENCHMARKS_MIRROR, "THINKSAFE_MIRROR", "benchmark mirror")


@pytest.fixture(scope="session")
def judge_validation() -> Path:
    """The human-labelled judge-validation sets (jbb-judge-comparison/, xstest-v2/)."""
    return present(JUDGE_VALIDATION, "THINKSAFE_JUDGE_VALIDATION", "judge-validation data")


@pytest.fixture(scope="session")
def harmbench_dir() -> Path:
    """A --mirror folder holding HarmBench's data/ at judge-validation/harmbench/data/ (its classifier
    val sets are pinned, never shipped)."""
    if not (HARMBENCH / "judge-validation" / "harmbench" / "data").is_dir():
        pytest.skip(
            f"no judge-validation/harmbench/data/ under {HARMBENCH}: set THINKSAFE_HARMBENCH_DIR to a folder "
            "holding a HarmBench checkout's data/ there (docs/testing.md)"
        )
    return HARMBENCH


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory) -> Path:
    """A folder laid out like shared/ (benchmarks/, judge-validation/ linked to wherever they are), for
    the project copies to have beside them as the config's `../shared/...` paths expect. Parts that are
    not found are left out: the DAG tests run without them (no judge audit)."""
    shared = tmp_path_factory.mktemp("shared-layout") / "shared"
    shared.mkdir()
    for name, path in (("benchmarks", BENCHMARKS_MIRROR), ("judge-validation", JUDGE_VALIDATION)):
        if path.is_dir():
            (shared / name).symlink_to(path, target_is_directory=True)
    return shared


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """The ~0.2 M-parameter random Qwen2.5-VL: real architecture, built in seconds, no hub."""
    from thinksafe.models.build import build_tiny

    out = tmp_path_factory.mktemp("models") / "tiny"
    build_tiny(out)
    return out


# ---- the project's working state stays as the tests found it ------------------------------------------

# What `make demo` and a user's runs leave in the project: the tests plan and run in copies instead.
WORKING_STATE = ("data", "results", "logs", "checkpoints", "work", ".snakemake", "dvc.lock")
TOOL_CACHES = {".pytest_cache", ".ruff_cache", "__pycache__"}


def working_state() -> dict[str, int]:
    """Every file under the working-state folders (path -> mtime), and the project's top-level names."""
    state = {f"top-level: {p.name}": 0 for p in ROOT.iterdir() if p.name not in TOOL_CACHES}
    for name in WORKING_STATE:
        top = ROOT / name
        if top.is_file():
            state[name] = top.stat().st_mtime_ns
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for f in files:
                path = Path(folder, f)
                state[str(path.relative_to(ROOT))] = path.lstat().st_mtime_ns
    return state


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_STATE] = working_state()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before, after = session.config.stash.get(_STATE, None), working_state()
    if before is None or before == after:
        return
    changed = sorted(
        [f"{p} (new)" for p in after.keys() - before.keys()]
        + [f"{p} (removed)" for p in before.keys() - after.keys()]
        + [f"{p} (modified)" for p in before.keys() & after.keys() if before[p] != after[p]]
    )
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = ["\ntests changed the project's working state (plan and run in a project copy instead):"]
    lines += [f"  {c}" for c in changed[:20]]
    if len(changed) > 20:
        lines.append(f"  ... and {len(changed) - 20} more")
    if reporter:
        reporter.write_line("\n".join(lines), red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


_STATE = pytest.StashKey[dict]()
