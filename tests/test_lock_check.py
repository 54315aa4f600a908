"""`thinksafe lock` and `thinksafe check` against a real hub on 127.0.0.1 that serves the tiny model.

Each run is the CLI in its own process, as a user runs it, with HF_ENDPOINT at the test hub and an empty
HF cache: a missing revision, a missing tokenizer, remote code without permission and a model too large
for its GPUs each stop with one line naming the model and the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml
from hub_server import FakeHub, Repo

from thinksafe import config as tsconfig
from thinksafe.errors import ThinksafeError
from thinksafe.models import lock
from thinksafe.models.footprint import local_parameters
from thinksafe.models.vllm_support import unsupported_reason

COMMIT = "0123456789abcdef0123456789abcdef01234567"
OTHER = "fedcba9876543210fedcba9876543210fedcba98"


def entry(hf_id: str, **extra) -> dict:
    return {"hf_id": hf_id, "revision": "main", "family": "qwen2_5_vl", "reasoning": "think",
            "backend": "hf", "resources": {"gpus": 1, "mem_mb": 1000, "runtime": 10}, **extra}  # fmt: skip


@pytest.fixture(scope="module")
def repos(tiny_model_dir, tmp_path_factory) -> dict[str, Repo]:
    remote = tmp_path_factory.mktemp("remote")
    shutil.copytree(tiny_model_dir, remote, dirs_exist_ok=True)
    config = json.loads((remote / "config.json").read_text())
    config["auto_map"] = {"AutoModelForCausalLM": "modeling_x.XForCausalLM"}
    (remote / "config.json").write_text(json.dumps(config))
    n = local_parameters(tiny_model_dir)
    return {
        "org/tiny-vl": Repo(tiny_model_dir, COMMIT, parameters={"F32": n}),
        "org/no-tokenizer": Repo(tiny_model_dir, COMMIT, parameters={"F32": n},
                                 hidden={"tokenizer.json", "vocab.json"}),  # fmt: skip
        "org/remote-code": Repo(remote, OTHER, parameters={"F32": n}),
        "org/huge-vl": Repo(tiny_model_dir, OTHER, parameters={"BF16": 72_000_000_000}),
    }


@pytest.fixture
def hub(repos, tmp_path, monkeypatch):
    with FakeHub(repos) as server:
        monkeypatch.chdir(tmp_path)
        yield server


def write_config(models: dict, lock_file: str | None = "models.lock.yaml") -> str:
    config = {
        "run": {"models": list(models), "benchmarks": ["demo"], "judges": ["rule"], "shards": 1},
        "models": models,
        "benchmarks": {"demo": {"adapter": "demo"}},
        "judges": {"rule": {"kind": "rule"}},
        "lock": lock_file,
    }
    with open("run.yaml", "w") as f:
        yaml.safe_dump(config, f)
    return "run.yaml"


def thinksafe(server: FakeHub, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_ENDPOINT=server.url, HF_HUB_OFFLINE="0", HF_HOME=os.path.abspath("hf-home"),
               HF_HUB_DISABLE_TELEMETRY="1")  # fmt: skip
    return subprocess.run([sys.executable, "-m", "thinksafe.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def test_lock_pins_main_to_its_commit_and_the_run_then_uses_it(hub):
    config_file = write_config({"tiny": entry("org/tiny-vl")})
    done = thinksafe(hub, "lock", "--config", config_file)
    assert done.returncode == 0, done.stderr
    assert f"models.tiny: org/tiny-vl@main -> {COMMIT}" in done.stdout
    pinned = lock.read("models.lock.yaml")
    assert pinned["models"]["tiny"] == {"hf_id": "org/tiny-vl", "revision": "main", "commit": COMMIT}
    assert pinned["endpoint"] == hub.url

    config = lock.load_locked(tsconfig.load(config_file))
    spec = tsconfig.resolve_model(config, "tiny")
    assert (spec["revision"], spec["revision_ref"]) == (COMMIT, "main")
    assert lock.unpinned(config) == []


def test_a_run_without_a_lock_warns_once_about_unpinned_revisions(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    config = tsconfig.load(write_config({"a": entry("org/a"), "b": entry("org/b")}))
    lock.load_locked(config)
    err = capsys.readouterr().err
    assert err.count("warning") == 1
    assert "2 model(s) run on unpinned revisions (a@main, b@main)" in err


def test_a_lock_made_for_another_revision_stops_the_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tsconfig.load(write_config({"tiny": entry("org/tiny-vl", revision="v2")}))
    stale = {"version": 1, "models": {"tiny": {"hf_id": "org/tiny-vl", "revision": "main", "commit": COMMIT}}}
    with pytest.raises(ThinksafeError, match=r"models.tiny was locked for org/tiny-vl@main.*@v2"):
        lock.apply(config, stale)


def test_lock_stops_on_a_missing_revision_naming_the_model(hub):
    config_file = write_config({"tiny": entry("org/tiny-vl", revision="v9")})
    done = thinksafe(hub, "lock", "--config", config_file)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == "thinksafe lock: error: org/tiny-vl@v9: revision not found"
    assert not os.path.exists("models.lock.yaml")


def test_check_passes_a_loadable_model_and_names_each_failure(hub):
    config_file = write_config({
        "tiny": entry("org/tiny-vl"),
        "no-tokenizer": entry("org/no-tokenizer"),
        "remote-code": entry("org/remote-code"),
        "huge": entry("org/huge-vl", resources={"gpus": 1, "mem_mb": 1000, "runtime": 10}),
    }, lock_file=None)  # fmt: skip
    done = thinksafe(hub, "check", "--config", config_file)
    lines = {line.split(":")[0]: line for line in done.stdout.splitlines()}
    ok = f"ok   tiny: org/tiny-vl@{COMMIT[:12]} Qwen2_5_VLForConditionalGeneration, think parser"
    assert lines["ok   tiny"].startswith(ok)
    assert lines["FAIL no-tokenizer"].endswith("no tokenizer file (tokenizer.json, tokenizer.model, ...)")
    assert "needs remote code (its config.json has an auto_map); set trust_remote_code: true" in \
        lines["FAIL remote-code"]  # fmt: skip
    assert "does not fit: needs 134.1 GiB" in lines["FAIL huge"]
    assert "raise resources.gpus" in lines["FAIL huge"]
    assert done.returncode == 2
    assert "3 of 4 model(s) failed the preflight: no-tokenizer, remote-code, huge" in done.stderr
    # The loadable model was read over the hub: small files only, never weights.
    fetched = {p.rsplit("/", 1)[-1] for m, p in hub.requests if m == "GET" and "/resolve/" in p}
    assert "config.json" in fetched and "tokenizer_config.json" in fetched
    assert not any(f.endswith(".safetensors") for f in fetched)


def test_the_huge_model_fits_when_the_entry_asks_for_enough_gpus(hub):
    spec = dict(entry("org/huge-vl", resources={"gpus": 4, "mem_mb": 1000, "runtime": 10}), name="huge")
    done = thinksafe(hub, "check", "--spec", json.dumps(spec), "--out", "pre/huge.json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "72.00B params, 134.1 GiB bf16" in done.stdout and "on 4×80 GiB" in done.stdout
    assert json.loads(open("pre/huge.json").read())[0]["model"] == "huge"


def test_the_vllm_backend_is_checked_against_its_registry():
    assert unsupported_reason("Qwen2_5_VLForConditionalGeneration") is None
    reason = unsupported_reason("MllamaForConditionalGeneration")
    assert reason.startswith("vllm removed MllamaForConditionalGeneration after 0.10.2")
    assert "use backend: hf" in reason


def test_the_report_shows_the_locked_commit_and_flags_another_loaded_one():
    from thinksafe.report.provenance import _locked

    entry = {"hf_id": "org/tiny-vl", "revision": COMMIT, "revision_ref": "main"}
    assert _locked(entry, [{"model_revision": COMMIT}]) == f"{COMMIT[:12]} (main)"
    assert _locked(entry, [{"model_revision": OTHER}]) == f"{COMMIT[:12]} (main) ≠ loaded {OTHER[:12]} ⚠"
    assert _locked({"hf_id": "org/tiny-vl", "revision": "main"}, []) == "not locked"
    assert _locked({"path": "data/models/tiny", "revision": "local"}, []) == "—"


def test_every_gpu_job_of_a_hub_model_waits_for_its_preflight_on_the_submitting_node(tmp_path):
    from dag import plan, project_copy

    project = project_copy(tmp_path, repo=False)
    overlay = tmp_path / "gpu.yaml"
    overlay.write_text(
        "run: {models: [r1-onevision-7b], benchmarks: [demo], judges: [rule], shards: 2, tuning: {}}\n"
        "models:\n  r1-onevision-7b: {resources: {gpus: 1, mem_mb: 64000, runtime: 240}}\n"
    )
    planned = plan(project, configs=("config.yaml", "config/demo.yaml", str(overlay)))
    # One preflight per model (its base included), before 2 shards of generate for each.
    hub = {"r1-onevision-7b", "qwen2.5-vl-7b-instruct"}
    assert planned.counts["preflight"] == 2 and planned.models("preflight") == hub
    assert sum(r == "generate" and w["model"] in hub for r, w in planned.jobs) == 4
    # The demo's CPU models (local folders, gpus: 0) need none.
    assert "demo-base+tis-demo" in planned.models("generate")
    assert not {"demo-base", "demo-base+tis-demo"} & planned.models("preflight")
    dry = (project / "rules" / "models.smk").read_text()
    assert "localrules:\n    preflight," in dry
