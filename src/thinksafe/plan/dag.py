"""The jobs a run would start, as Snakemake itself plans them: its dry run with the chosen profile.

The dry run lists only the jobs that still have to run (outputs present and up to date count as done), each
with its rule, wildcards and resources, and prints the jobs a cluster executor would submit together under
`Group job <name>`. What it does not print is which rules run on the submitting node (`localrules`): it
leaves that decision out of a dry run. That comes from Snakemake's own `Workflow.is_local` on the workflow
the same run built, so a new `localrules:` line or `group:` in rules/ shows here without a copy of the policy.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from thinksafe.errors import ThinksafeError

_RULE = re.compile(r"^(?P<indent>\s*)(?:local)?(?:rule|checkpoint) (?P<rule>[\w-]+):$")
_GROUP = re.compile(r"Group job (?P<group>\S+) \(")
_PAIR = re.compile(r"(\w+)=([^,]*)")


@dataclass
class Job:
    rule: str
    wildcards: dict[str, str] = field(default_factory=dict)
    resources: dict[str, str] = field(default_factory=dict)
    group: int | None = None  # index of the group job it is submitted in, or None when alone
    benchmark: str | None = None  # its `benchmark:` file (logs/benchmarks/...tsv): the run's cost section

    def resource(self, name: str, default: float = 0.0) -> float:
        try:
            return float(self.resources.get(name, default))
        except ValueError:  # `<TBD>`: decided from input sizes at run time
            return default


@dataclass
class DagPlan:
    jobs: list[Job]
    local_rules: set[str]
    cluster: bool  # the profile's executor submits jobs (slurm, ...), not the local one
    seconds: float

    def submissions(self, jobs: list[Job] | None = None) -> int:
        """What the cluster executor submits for `jobs`: one per group job they touch, one per job that is
        neither local nor grouped; nothing when the executor is the local one."""
        jobs = self.jobs if jobs is None else jobs
        if not self.cluster:
            return 0
        groups = {j.group for j in jobs if j.group is not None}
        alone = [j for j in jobs if j.group is None and j.rule not in self.local_rules]
        return len(groups) + len(alone)


def parse_dry_run(text: str) -> list[Job]:
    """Jobs of a `snakemake -n` output (Snakemake 9's layout: `rule x:` blocks, grouped jobs indented under
    `Group job <name> (jobs in lexicogr. order):`)."""
    jobs: list[Job] = []
    group: int | None = None
    n_groups = 0
    current: Job | None = None
    for line in text.splitlines():
        if _GROUP.search(line):
            group, n_groups = n_groups, n_groups + 1
            current = None
            continue
        head = _RULE.match(line)
        if head:
            if not head["indent"]:
                group = None  # a job at the left margin ends the group listing
            current = Job(head["rule"], group=group)
            jobs.append(current)
            continue
        stripped = line.strip()
        if current is not None and stripped.startswith("wildcards: "):
            current.wildcards = dict(_PAIR.findall(stripped.removeprefix("wildcards: ")))
        elif current is not None and stripped.startswith("benchmark: "):
            current.benchmark = stripped.removeprefix("benchmark: ")
        elif current is not None and stripped.startswith("resources: "):
            current.resources = {k: v.strip() for k, v in _PAIR.findall(stripped.removeprefix("resources: "))}
    return jobs


# Run in a child: Snakemake's own CLI (so the profile applies exactly as on a real run), recording the
# Workflow it builds; at exit the child prints Snakemake's answer to "which rules run on the submitting
# node" (Workflow.is_local: localrules, rules that run nothing like `all`, never a grouped rule) and the
# executor the profile chose. A dry run prints neither.
_CHILD = """
import atexit, json, sys
import snakemake.cli as cli
import snakemake.workflow as W
seen, executor = [], []
init, to_api = W.Workflow.__init__, cli.args_to_api
def record(self, *args, **kwargs):
    init(self, *args, **kwargs)
    seen.append(self)
def record_args(args, parser):
    executor.append(args.executor)
    return to_api(args, parser)
W.Workflow.__init__, cli.args_to_api = record, record_args
@atexit.register
def tell():
    # A dry run executes with the dryrun executor, which is local: ask is_local as a cluster run would.
    W.Workflow.local_exec = property(lambda self: False)
    for w in seen[-1:]:
        local = sorted(r.name for r in w.rules if w.is_local(r))
        told = {"local_rules": local, "executor": executor[-1] if executor else None}
        print("THINKSAFE-PLAN " + json.dumps(told), flush=True)
sys.argv = ["snakemake", *sys.argv[1:]]
cli.main()
"""
_TOLD = re.compile(r"^THINKSAFE-PLAN (.*)$", re.M)


def dry_run(project: Path, configfiles: list[str], profile: Path | None) -> DagPlan:
    """The dry run of the workflow in `project` with these config overlays and profile."""
    start = time.monotonic()
    args = ["-n", *(["--configfile", *configfiles] if configfiles else [])]
    args += ["--profile", str(profile)] if profile else ["--cores", "1"]
    proc = subprocess.run([sys.executable, "-c", _CHILD, *args], cwd=project, capture_output=True, text=True)
    text = proc.stdout + proc.stderr
    if proc.returncode != 0:
        tail = "\n".join(text.strip().splitlines()[-15:])
        raise ThinksafeError(f"snakemake could not plan the run (exit {proc.returncode}):\n{tail}")
    told = _TOLD.search(text)
    jobs = parse_dry_run(text)
    if told is None or (not jobs and "Nothing to be done" not in text):
        raise ThinksafeError(f"cannot read snakemake's dry run:\n{text[-2000:]}")
    facts = json.loads(told.group(1))
    cluster = facts["executor"] not in (None, "local", "dryrun", "touch")
    return DagPlan(jobs, set(facts["local_rules"]), cluster, time.monotonic() - start)
