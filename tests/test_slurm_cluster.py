"""A real single-node SLURM cluster: munged, slurmctld and slurmd on this host with two fake GPUs.

The project's small DAG runs through the slurm executor with the shipped profile, adapted to this node
as a site would adapt it (docs/cluster.md). The GPU-tagged rule is submitted with its GPU request, as
one grouped job per (model, shard) that writes its shard of both benchmarks after one model load; the
local rules (download, normalize, the offline judge) run on this node without sbatch; a generation job
cancelled with scancel mid-run is resubmitted and resumes from its partial file. Needs root (it
installs and starts the daemons) or an already running SLURM.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from dag import BIN, CONFIGS, ROOT, TINY, env, local_rules, project_copy, run, snakemake

pytestmark = pytest.mark.slow
SLURM = TINY + (str(CONFIGS / "slurm.yaml"),)
RESUME = SLURM + (str(CONFIGS / "slurm-resume.yaml"),)
GPU_TYPE = "a100"  # what profiles/slurm asks for; the fake GRES is given the same type


def _skip_reason() -> str | None:
    if os.geteuid() == 0:
        return None  # slurm-up.sh installs and starts what is missing
    if not shutil.which("sbatch"):
        return "SLURM is not installed and installing it needs root (CI runs as root)"
    if subprocess.run(["sinfo", "-h"], capture_output=True).returncode != 0:
        return "not root, and no running SLURM cluster to use"
    return None


@pytest.fixture(scope="module")
def cluster():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    started = os.geteuid() == 0
    if started:
        up = run([str(ROOT / "scripts" / "slurm-up.sh")], ROOT, timeout=600, check=False)
        if up.returncode != 0:
            pytest.fail(f"slurm-up.sh failed:\n{up.stdout[-2000:]}\n{up.stderr[-3000:]}")
    yield
    if started:
        run([str(ROOT / "scripts" / "slurm-down.sh")], ROOT, timeout=120, check=False)


@pytest.fixture(scope="module")
def site_profile(tmp_path_factory) -> Path:
    """profiles/slurm adapted to this one small node, changing only the lines a site changes."""
    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    for rule in ("generate", "finetune"):
        profile["set-resources"][rule]["cpus_per_task"] = 1  # the node has 2 CPUs and 2 (fake) GPUs
    profile.update(
        {
            "jobs": 4,
            "latency-wait": 5,
            "slurm-init-seconds-before-status-checks": 2,  # short jobs: poll soon (MinJobAge=600 >= 3x)
            "slurm-keep-successful-logs": True,
        }
    )
    out = tmp_path_factory.mktemp("profile") / "slurm"
    out.mkdir()
    (out / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return out


@pytest.fixture(scope="module")
def project(tmp_path_factory, shared_dir) -> Path:
    return project_copy(tmp_path_factory.mktemp("slurm"), shared_dir)


def scontrol(jobid: str) -> dict[str, str]:
    out = run(["scontrol", "show", "job", jobid], ROOT, timeout=30).stdout
    return dict(m.groups() for m in re.finditer(r"(\w+)=(\S*)", out))


def submitted(output: str) -> dict[str, list[str]]:
    """SLURM job ids per rule, from the executor's 'submitted with SLURM jobid' lines."""
    jobs: dict[str, list[str]] = {}
    for m in re.finditer(r"submitted with SLURM jobid (\d+) \(log: \S*/rule_(\w+?)/", output):
        jobs.setdefault(m[2], []).append(m[1])
    return jobs


def test_small_dag_runs_through_sbatch_with_the_gpu_request(cluster, site_profile, project):
    target = "results/judgments/rule/tiny-reasoner"  # one local judge job: every shard of the model
    done = snakemake(project, "--profile", str(site_profile), "--verbose", target, configs=SLURM, timeout=900)
    output = done.stdout + done.stderr
    for bench in ("demo", "demo-twin"):
        assert (project / target / bench / "00.jsonl").stat().st_size > 0

    jobs = submitted(output)
    # Only the model build and the generation went through sbatch; the cheap CPU rules ran here.
    assert set(jobs) == {"build_demo_model", "generate"}, jobs
    assert {"download", "normalize", "preflight", "judge"} <= local_rules(project)
    for rule in ("download", "normalize", "judge"):
        assert re.search(rf"^localrule {rule}:$", output, re.M), rule
    # The grouped generation: one sbatch job loaded the model once and wrote the shard of both benchmarks.
    assert len(jobs["generate"]) == 1, jobs
    log = (project / "logs/generate/tiny-reasoner/00.log").read_text()
    assert [m for m in re.findall(r"SUMMARY generate tiny-reasoner (\S+) shard 00", log)] == [
        "demo",
        "demo-twin",
    ]
    for bench in ("demo", "demo-twin"):
        assert (project / f"results/generations/tiny-reasoner/{bench}/00.meta.json").exists()
    # The sbatch line of the GPU-tagged rule carries the GPU request from the profile's gpu_model.
    sbatch = [
        line for line in output.splitlines() if "sbatch call:" in line and "--comment rule_generate" in line
    ]
    assert sbatch and all(f"--gpus={GPU_TYPE}:1" in line and "-p gpu" in line for line in sbatch), sbatch
    # ... and SLURM scheduled it against the (fake) GPU GRES.
    info = scontrol(jobs["generate"][0])
    assert info["TresPerJob"] == f"gres:gpu:{GPU_TYPE}:1", info
    assert info["Partition"] == "gpu" and info["JobState"] == "COMPLETED"
    # CPU rules carry no GPU request and go to the CPU partition.
    cpu = scontrol(jobs["build_demo_model"][0])
    assert cpu["Partition"] == "cpu" and "gpu" not in cpu.get("TresPerJob", "")


def test_cancelled_generation_is_resubmitted_and_resumes_from_its_partial(cluster, site_profile, project):
    target = "results/generations/tiny-reasoner/demo/00.jsonl"
    partial = project / (target + ".partial")
    cmd = [
        str(BIN / "snakemake"),
        "--configfile",
        *RESUME,
        "--profile",
        str(site_profile),
        "--verbose",
        target,
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=project,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        # Wait until the job has written a few records, then cancel it mid-run.
        deadline = time.monotonic() + 600
        while not (partial.exists() and len(partial.read_text().splitlines()) >= 3):
            assert proc.poll() is None, proc.stdout.read()[-4000:]
            assert time.monotonic() < deadline, "the generation never wrote its partial file"
            time.sleep(0.5)
        jobid = _running_generate_job()
        before = {json.loads(line)["id"]: line for line in partial.read_text().splitlines()}
        run(["scancel", jobid], ROOT, timeout=30)
        out, _ = proc.communicate(timeout=900)
    except BaseException:
        os.killpg(proc.pid, 9)
        raise
    assert proc.returncode == 0, out[-5000:]

    jobs = submitted(out)["generate"]
    assert len(jobs) == 2 and jobs[0] == jobid, jobs  # the cancelled job, then its resubmission
    assert scontrol(jobs[0])["JobState"] == "CANCELLED"
    assert scontrol(jobs[1])["JobState"] == "COMPLETED"

    # The resubmitted attempt started from the records the cancelled one had written and generated
    # only the rest (its log's SUMMARY line) ...
    log = (project / "logs/generate/tiny-reasoner/00.log").read_text()
    line = re.search(r"SUMMARY generate tiny-reasoner demo shard 00 (.*)", log)[1]
    counts = dict(re.findall(r"(\w+)=(\d+)", line))
    resumed, now = int(counts["resumed"]), int(counts["generated_now"])
    n_items = len((project / "data/items/demo.jsonl").read_text().splitlines())
    assert resumed >= len(before) and resumed + now == n_items, log[-2000:]
    # ... kept them as they were, and finished the rest.
    final = [json.loads(line) for line in (project / target).read_text().splitlines()]
    assert len(final) == n_items and not partial.exists()
    by_id = {r["id"]: r for r in final}
    for rid, line in before.items():
        assert by_id[rid] == json.loads(line)


def _running_generate_job() -> str:
    out = run(["squeue", "-h", "-t", "RUNNING", "-o", "%i %k"], ROOT, timeout=30).stdout
    ids = [line.split()[0] for line in out.splitlines() if "rule_generate" in line]
    assert len(ids) == 1, out
    return ids[0]
