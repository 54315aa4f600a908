"""The config is validated before any job starts; an error is one line that names the key."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from dag import project_copy

from thinksafe import config
from thinksafe.errors import ThinksafeError

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")


def overlay(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "overlay.yaml"
    path.write_text(text)
    return path


def test_full_and_demo_configs_are_valid():
    full = config.load(ROOT / "config.yaml")
    demo = config.load(ROOT / "config.yaml", ROOT / "config/demo.yaml")
    assert "r1-onevision-7b" in config.evaluated_models(full)
    assert config.evaluated_models(demo) == ["demo-reasoner", "demo-base", "demo-base+tis-demo"]


def test_every_mlrm_is_paired_with_its_base():
    full = config.load(ROOT / "config.yaml")
    models = config.evaluated_models(full)
    for name in full["run"]["models"]:
        assert full["models"][name]["base"] in models


def test_tuned_model_is_its_parent_plus_the_adapter():
    demo = config.load(ROOT / "config.yaml", ROOT / "config/demo.yaml")
    spec = config.resolve_model(demo, "demo-base+tis-demo")
    assert spec["adapter"] == "checkpoints/demo-base+tis-demo"
    assert spec["base"] == spec["tuned_from"] == "demo-base"
    assert spec["path"] == config.resolve_model(demo, "demo-base")["path"]


@pytest.mark.parametrize(
    "text, key",
    [
        ("run:\n  shards: two\n", "run.shards"),
        ("run:\n  models: [no-such-model]\n", "run.models[0]"),
        ("run:\n  benchmarks: [demo, no-such-bench]\n", "run.benchmarks[1]"),
        ("run:\n  judges: [oracle]\n", "run.judges[0]"),
        (
            "models:\n  demo-base:\n    decoding: {max_new_tokens: -1}\n",
            "models.demo-base.decoding.max_new_tokens",
        ),
        ("models:\n  demo-base:\n    backend: tgi\n", "models.demo-base.backend"),
        ("models:\n  demo-reasoner:\n    base: nobody\n", "models.demo-reasoner.base"),
        ("finetune:\n  method: qlora-ish\n", "finetune.method"),
    ],
)
def test_bad_config_names_the_key(tmp_path, text, key):
    with pytest.raises(ThinksafeError, match="config key " + re.escape(key) + ":"):
        config.load(ROOT / "config.yaml", ROOT / "config/demo.yaml", overlay(tmp_path, text))


def test_malformed_yaml_names_file_and_line(tmp_path):
    bad = overlay(tmp_path, "run:\n  models: [a, b\n")
    with pytest.raises(ThinksafeError, match=r"overlay.yaml:\d+: malformed YAML"):
        config.load(bad)


def test_snakemake_stops_before_any_job_with_one_line(tmp_path):
    bad = overlay(tmp_path, "run:\n  models: [demo-reasoner, gpt-7]\n")
    proc = subprocess.run(
        [SNAKEMAKE, "-n", "--configfile", "config/demo.yaml", str(bad)],
        cwd=project_copy(tmp_path, repo=False), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("thinksafe:")]
    assert errors == ["thinksafe: config key run.models[1]: unknown model 'gpt-7'"]
    assert "rule " not in proc.stdout  # nothing was planned


def test_demo_dry_run_lists_every_stage_as_separate_jobs(tmp_path):
    proc = subprocess.run(
        [SNAKEMAKE, "-n", "--configfile", "config/demo.yaml", "--forceall"],
        cwd=project_copy(tmp_path, repo=False), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    stats = proc.stdout.split("Job stats:")[1]
    for rule in ("download", "normalize", "generate", "judge", "aggregate", "build_dataset", "finetune"):
        assert f"\n{rule} " in stats
    # the tuned model is re-evaluated by the same generate rule, as one more model
    assert "results/generations/demo-base+tis-demo/demo/00.jsonl" in proc.stdout


def test_after_full_sft_the_tuned_model_is_read_whole_from_its_checkpoint(tmp_path):
    full = overlay(tmp_path, "finetune:\n  method: full\n")
    demo = config.load(ROOT / "config.yaml", ROOT / "config/demo.yaml", full)
    spec = config.resolve_model(demo, "demo-base+tis-demo")
    assert spec["path"] == "checkpoints/demo-base+tis-demo"
    assert "adapter" not in spec and "build" not in spec
    assert spec["tuned_from"] == "demo-base"
