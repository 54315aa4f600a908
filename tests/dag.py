"""Helpers for every test that plans or runs the DAG: a project copy (never the project itself, whose
data/ and results/ belong to the user's runs), a Snakemake call that cannot hang, and the planned jobs
of a dry run.

Snakemake runs in its own process group and the whole group gets SIGKILL on timeout: the SLURM
executor has been seen to ignore SIGTERM while it waits on job status (../shared/notes/slurm.md).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from subprocess import PIPE

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CONFIGS = Path(__file__).resolve().parent / "configs"
# The small DAG of these tests: the tiny model, a few demo items, the rule judge, one tuned model.
TINY = ("config/demo.yaml", str(CONFIGS / "tiny.yaml"))


def env() -> dict[str, str]:
    return dict(
        os.environ,
        PATH=f"{BIN}:{os.environ['PATH']}",
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        DVC_NO_ANALYTICS="1",
        GIT_AUTHOR_NAME="thinksafe tests",
        GIT_AUTHOR_EMAIL="tests@localhost",
        GIT_COMMITTER_NAME="thinksafe tests",
        GIT_COMMITTER_EMAIL="tests@localhost",
    )


def run(cmd: list[str], cwd: Path, timeout: float, check: bool = True) -> subprocess.CompletedProcess:
    """Run `cmd`, killing its whole process group with SIGKILL if it outlives `timeout` seconds."""
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env(), stdout=PIPE, stderr=PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(
            f"{' '.join(cmd)}: killed after {timeout} s\n{out[-3000:]}\n{err[-3000:]}"
        ) from None
    result = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}\n{out[-3000:]}\n{err[-5000:]}")
    return result


def git(project: Path, *args: str) -> str:
    return run(["git", *args], project, timeout=60).stdout


def project_copy(dest: Path, shared: Path | None = None, repo: bool = True) -> Path:
    """The project's files (tracked, and new ones git does not ignore) copied to dest/thinksafe, never
    its runs (data/, results/, .snakemake/ are ignored), so a test plans and runs on its own state.
    `shared` (the shared_dir fixture) is linked beside it as ../shared; with `repo` the copy is
    committed into a fresh git repository (DVC needs one)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    project = dest / "thinksafe"
    for name in filter(None, listed.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, project / name)
    if shared is not None and not (dest / "shared").exists():
        (dest / "shared").symlink_to(shared, target_is_directory=True)
    if repo:
        git(project, "init", "-q", "-b", "main")
        git(project, "add", "-A")
        git(project, "commit", "-q", "-m", "project copy")
    return project


def snakemake(project: Path, *args: str, configs=TINY, timeout: float = 600, check: bool = True):
    cmd = [str(BIN / "snakemake"), "--configfile", *configs, *args]
    return run(cmd, project, timeout=timeout, check=check)


@dataclass
class Plan:
    """What `snakemake -n` would run: job counts per rule, and each job's rule and wildcards."""

    counts: dict[str, int]
    jobs: list[tuple[str, dict[str, str]]]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def models(self, rule: str) -> set[str]:
        return {w.get("model", "") for r, w in self.jobs if r == rule}


def plan(project: Path, *args: str, configs=TINY) -> Plan:
    out = snakemake(project, "-n", "--cores", "1", *args, configs=configs, timeout=300).stdout
    counts: dict[str, int] = {}
    if "Job stats:" in out:
        table = out.split("Job stats:")[1].split("\n\n")[0]
        counts = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m[1] != "total"}
    elif "Nothing to be done" not in out:
        raise AssertionError(f"cannot read the plan:\n{out[-3000:]}")
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", out):
        head = re.match(r"(?:local)?rule (\w+):", block)
        if not head:
            continue
        wc = re.search(r"^\s+wildcards: (.*)$", block, re.M)
        pairs = [p.split("=", 1) for p in wc.group(1).split(", ")] if wc else []
        jobs.append((head.group(1), {k: v for k, v in pairs}))
    return Plan(counts, jobs)


def local_rules(root: Path = ROOT) -> set[str]:
    """The rules the workflow at `root` declares in `localrules:` blocks: they run on the submitting node.
    A dry run prints every job as `rule X:`; only a real run says `localrule X:`."""
    text = "\n".join(p.read_text() for p in [root / "Snakefile", *sorted((root / "rules").glob("*.smk"))])
    blocks = re.findall(r"^localrules:\s*\n((?:[ \t]+\w+,?[ \t]*\n)+)", text, re.M)
    return {name for block in blocks for name in re.findall(r"\w+", block)}


def small_run(tmp_path_factory, shared: Path | None = None) -> Path:
    """A project copy in which the whole tiny DAG has run once per test session (the DVC and rerun
    tests share it; none of them changes its files)."""
    root = tmp_path_factory.getbasetemp() / "small-run"
    project = root / "thinksafe"
    if not (root / "done").exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir()
        project_copy(root, shared)
        snakemake(project, "--cores", "2", timeout=1200)
        (root / "done").touch()
    return project
