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
    assert config.evaluated_models(demo) == [
        "demo-reasoner", "demo-base", "demo-reasoner@safepath", "demo-base+tis-demo"
    ]  # fmt: skip


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
        cwd=project_copy(tmp_path, repo=False),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("thinksafe:")]
    assert errors == [f"thinksafe: {bad}:2: config key run.models[1]: unknown model 'gpt-7'"]
    assert "rule " not in proc.stdout  # nothing was planned


def test_demo_dry_run_lists_every_stage_as_separate_jobs(tmp_path):
    proc = subprocess.run(
        [SNAKEMAKE, "-n", "--configfile", "config/demo.yaml", "--forceall"],
        cwd=project_copy(tmp_path, repo=False),
        capture_output=True,
        text=True,
        timeout=120,
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


def load_overlay(tmp_path: Path, text: str) -> dict:
    return config.load(ROOT / "config.yaml", ROOT / "config/demo.yaml", overlay(tmp_path, text))


@pytest.mark.parametrize(
    "text, where",
    [
        (
            "models:\n  demo-base:\n    decoding: {temperature: .nan}\n",
            "models.demo-base.decoding.temperature",
        ),
        ("models:\n  demo-base:\n    decoding: {top_p: .NaN}\n", "models.demo-base.decoding.top_p"),
        ("judges:\n  rule: {kind: rule, timeout_s: .inf}\n", "judges.rule.timeout_s"),
        ("finetune:\n  learning_rate: -.inf\n", "finetune.learning_rate"),
        ("finetune:\n  lora: {dropout: .nan}\n", "finetune.lora.dropout"),
    ],
)
def test_nan_and_infinity_are_refused_though_they_pass_every_minimum(tmp_path, text, where):
    with pytest.raises(
        ThinksafeError, match=re.escape(f"config key {where}: ") + r"-?(nan|inf) is not a finite"
    ):
        load_overlay(tmp_path, text)


@pytest.mark.parametrize(
    "text, where, hint",
    [
        ("modles: {}\n", "overlay.yaml:1: config key modles", "did you mean 'models'?"),
        ("run:\n  shard: 2\n", "overlay.yaml:2: config key run.shard", "did you mean 'shards'?"),
        (
            "models:\n  demo-base:\n    decodng: {max_new_tokens: 4}\n",
            "overlay.yaml:3: config key models.demo-base.decodng",
            "did you mean 'decoding'?",
        ),
        (
            "judges:\n  rule: {kind: rule, temprature: 0}\n",
            "config key judges.rule.temprature",
            "'temperature'",
        ),
        ("finetune:\n  lora: {rank: 8}\n", "overlay.yaml:2: config key finetune.lora.rank", "known: alpha"),
        ("report:\n  redcat: true\n", "config key report.redcat", "did you mean 'redact'?"),
    ],
)
def test_a_misspelt_key_is_refused_with_a_did_you_mean(tmp_path, text, where, hint):
    with pytest.raises(ThinksafeError) as e:
        load_overlay(tmp_path, text)
    assert where in str(e.value) and "unknown key" in str(e.value) and hint in str(e.value)


@pytest.mark.parametrize(
    "text, line, key, first",
    [
        ("run:\n  shards: 1\nrun:\n  shards: 2\n", 3, "run", 1),  # a second run: would win in silence
        ("run:\n  models: [demo-reasoner]\n  models: [demo-base]\n", 3, "models", 2),
        ("models:\n  demo-base:\n    shards: 1\n    resources: {}\n    shards: 4\n", 5, "shards", 3),
        ("judges:\n  - {kind: rule, kind: llm}\n", 2, "kind", 2),
    ],
)
def test_a_key_given_twice_in_one_file_is_refused(tmp_path, text, line, key, first):
    with pytest.raises(
        ThinksafeError, match=rf"overlay.yaml:{line}: duplicate key '{key}' \(first at line {first}"
    ):
        load_overlay(tmp_path, text)


def test_a_later_file_replaces_the_run_lists_of_an_earlier_one_by_design(tmp_path):
    merged = load_overlay(tmp_path, "run:\n  models: [demo-base]\n")
    assert merged["run"]["models"] == ["demo-base"]  # replaced, as with Snakemake's --configfile
    assert merged["run"]["benchmarks"] == ["demo"]  # the rest of run: merges


@pytest.mark.parametrize(
    "text, where, message",
    [
        (
            "run:\n  benchmarks: []\n",
            "overlay.yaml:2: config key run.benchmarks",
            "empty: nothing to evaluate",
        ),
        (
            "run:\n  models: []\n  tuning: {models: [], datasets: []}\n",
            "config key run.models",
            "empty (and no",
        ),
        (
            "run:\n  tuning: {models: []}\n",
            "config key run.tuning.models",
            "datasets listed would never be used",
        ),
        (
            "run:\n  tuning: {datasets: []}\n",
            "config key run.tuning.datasets",
            "models listed would never be used",
        ),
        ("run:\n  judges: []\n", "config key run.judges", "should be non-empty"),
    ],
)
def test_an_empty_run_list_is_refused(tmp_path, text, where, message):
    with pytest.raises(ThinksafeError) as e:
        load_overlay(tmp_path, text)
    assert where in str(e.value) and message in str(e.value)


def test_tuning_only_runs_are_allowed(tmp_path):
    merged = load_overlay(tmp_path, "run:\n  models: []\n")
    assert config.evaluated_models(merged) == ["demo-base+tis-demo"]


@pytest.mark.parametrize(
    "text, where, hint",
    [
        (
            "benchmarks:\n  jbv: {adapter: jailbreakv_28k, sample: 10}\nrun:\n  benchmarks: [jbv]\n",
            "overlay.yaml:2: config key benchmarks.jbv.sample: not an option of adapter 'jailbreakv_28k'",
            "its options: adapter, name, revision, subset",
        ),
        (
            "benchmarks:\n  fs: {adapter: figstep, kinds: [SD]}\n",
            "config key benchmarks.fs.kinds: not an option of adapter 'figstep'",
            "its options",
        ),
        (
            "benchmarks:\n  demo: {adapter: demo, sample: 5}\n",
            "config key benchmarks.demo.sample: not an option of adapter 'demo'",
            "adapter, name, revision)",
        ),
        (
            "benchmarks:\n  mss: {adapter: mssbench, subset: chat}\n",
            "config key benchmarks.mss.subset",
            "did you mean 'subsets'?",
        ),
        (
            "sources:\n  jb: {adapter: jailbreakv_28k, categories: [a]}\n",
            "config key sources.jb.categories: not an option of adapter 'jailbreakv_28k'",
            "",
        ),
    ],
)
def test_an_option_the_adapter_does_not_read_is_refused(tmp_path, text, where, hint):
    with pytest.raises(ThinksafeError) as e:
        load_overlay(tmp_path, text)
    assert where in str(e.value) and hint in str(e.value)


def test_an_unknown_adapter_is_refused_naming_the_registered_ones(tmp_path):
    """The schema's adapter enum is benchmarks.ADAPTERS itself: a new adapter module is registered once."""
    from thinksafe.benchmarks import ADAPTERS

    with pytest.raises(ThinksafeError) as e:
        load_overlay(tmp_path, "benchmarks:\n  x: {adapter: mm_safety_bench}\n")
    assert "config key benchmarks.x.adapter" in str(e.value)
    assert all(repr(name) in str(e.value) for name in ADAPTERS)


def test_jailbreakv_full_without_a_mirror_stops_at_the_config_before_any_job(tmp_path):
    """HF hosts the mini split's images only: `full` over the network could never download."""
    text = "benchmarks:\n  jbv: {adapter: jailbreakv_28k, subset: full}\nrun:\n  benchmarks: [jbv]\n"
    with pytest.raises(ThinksafeError) as e:
        load_overlay(tmp_path, text)
    where = "overlay.yaml:2: config key benchmarks.jbv.subset: 'full' needs its images in a mirror"
    assert where in str(e.value)
    assert "use subset: mini" in str(e.value)
    assert load_overlay(tmp_path, text + f"mirror: {tmp_path}\n")["benchmarks"]["jbv"]["subset"] == "full"
    unused = "benchmarks:\n  jbv: {adapter: jailbreakv_28k, subset: full}\n"  # not in the run: no error
    assert load_overlay(tmp_path, unused)["benchmarks"]["jbv"]["subset"] == "full"


def test_every_adapter_declares_the_options_it_reads():
    """OPTIONS lists exactly the spec keys the adapter's code reads (besides adapter, name, revision)."""
    from thinksafe.benchmarks import ADAPTERS, COMMON_OPTIONS, get_adapter

    for name in ADAPTERS:
        module = get_adapter(name)
        source = Path(module.__file__).read_text()
        read = set(re.findall(r"spec(?:\.get\(|\[)\"(\w+)\"", source)) - set(COMMON_OPTIONS)
        assert read == set(module.OPTIONS), (name, read, module.OPTIONS)


def test_the_error_names_the_file_and_line_that_set_the_key(tmp_path):
    first = overlay(tmp_path, "run:\n  shards: 2\n")
    second = tmp_path / "second.yaml"
    second.write_text("# a comment\nrun:\n  models:\n    - demo-base\n    - demo-bse\n")
    with pytest.raises(ThinksafeError) as e:
        config.load(ROOT / "config.yaml", ROOT / "config/demo.yaml", first, second)
    assert str(e.value) == (
        f"{second}:5: config key run.models[1]: unknown model 'demo-bse' (did you mean 'demo-base'?)"
    )


def test_snakemake_lists_the_configfile_first_and_the_overlays_after(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert config.sources([a, b, "config.yaml"], [a, b]) == [Path("config.yaml"), a, b]


def test_an_audit_file_that_is_not_there_stops_the_run_instead_of_dropping_the_audit(tmp_path):
    with pytest.raises(ThinksafeError) as e:
        load_overlay(tmp_path, "judge_audit: {data: labels/missing.csv}\n")
    assert "config key judge_audit.data: labels/missing.csv: no such file and not a named set" in str(e.value)
    assert "xstest-v2, harmbench-text" in str(e.value) and "null runs without an audit" in str(e.value)
    with pytest.raises(ThinksafeError, match=r"judge_audit.mirror: .*: not a folder"):
        load_overlay(tmp_path, f"judge_audit: {{data: harmbench-text, mirror: {tmp_path / 'nowhere'}}}\n")
    # A named set (read by the command, from the mirror or downloaded pinned) and null are both fine.
    assert load_overlay(tmp_path, f"judge_audit: {{data: xstest-v2, mirror: {tmp_path}}}\n")["judge_audit"]
    assert load_overlay(tmp_path, "judge_audit: {data: null}\n")["judge_audit"]["data"] is None


def test_a_pinned_audit_set_reaches_the_command_with_its_mirror_quoted(tmp_path, shared_dir):
    project = project_copy(tmp_path, repo=False)
    mirror = tmp_path / "my mirror; $(touch X)"
    mirror.mkdir()
    (project / "extra.yaml").write_text(f"judge_audit: {{data: xstest-v2, mirror: '{mirror}'}}\n")
    done = subprocess.run(
        [SNAKEMAKE, "-n", "--printshellcmds", "--configfile", "config.yaml", "config/demo.yaml", "extra.yaml",
         "--", "results/audit/comply.json"],
        cwd=project, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"--data xstest-v2 --mirror '{mirror}'" in done.stdout
