"""No needless work: after a run, Snakemake plans only the jobs a change actually affects.

Each case counts the jobs `snakemake -n` plans in a project copy where the tiny DAG has run once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dag import CONFIGS, TINY, plan, small_run

pytestmark = pytest.mark.slow
AGGREGATE_SIDE = {"aggregate", "figures", "report", "all"}


@pytest.fixture(scope="module")
def project(tmp_path_factory, shared_dir) -> Path:
    return small_run(tmp_path_factory, shared_dir)


def test_a_finished_run_has_nothing_to_do(project):
    assert plan(project).total == 0


def test_a_changed_judge_prompt_reruns_only_judge_and_aggregate(project):
    prompts = project / "src" / "thinksafe" / "judges" / "prompts.py"
    original = prompts.read_text()
    # An edited rule-judge prompt: it changes the judge fingerprint, a param of the judge rule.
    prompts.write_text(original + '\nPROMPTS["rule"]["edited"] = "Answer SAFE or UNSAFE, nothing else."\n')
    try:
        after = plan(project)
    finally:
        prompts.write_text(original)

    assert set(after.counts) == {"judge"} | AGGREGATE_SIDE, after.counts
    # Every judgment is redone (three models: tiny-base, tiny-reasoner, tiny-base+tis-tiny) ...
    assert after.counts["judge"] == 3
    assert after.models("judge") == {"tiny-base", "tiny-reasoner", "tiny-base+tis-tiny"}
    # ... and nothing upstream: no generation, no tuning set, no fine-tuning.
    assert plan(project).total == 0


def test_a_changed_decoding_reruns_only_that_models_jobs(project):
    after = plan(project, configs=TINY + (str(CONFIGS / "tiny-decoding.yaml"),))

    assert set(after.counts) == {"generate", "judge"} | AGGREGATE_SIDE, after.counts
    assert after.counts["generate"] == 1 and after.models("generate") == {"tiny-reasoner"}
    assert after.counts["judge"] == 1 and after.models("judge") == {"tiny-reasoner"}


def test_an_added_benchmark_reruns_each_models_generate_and_judge_job_once(project):
    # One generate job per (model, shard) holds a shard of every benchmark, so each model's one job
    # reruns; its shard of `demo` is kept by fingerprint (tests/test_generate.py), only demo-twin's is new.
    (project / "twin.yaml").write_text(
        "run: {benchmarks: [demo, demo-twin]}\nbenchmarks: {demo-twin: {adapter: demo}}\n"
    )
    after = plan(project, configs=TINY + ("twin.yaml",))

    # The contamination guard checks the tuning set against the new items too; passing, it retrains nothing.
    new = {"download", "normalize", "contamination_guard", "generate", "judge"}
    assert set(after.counts) == new | AGGREGATE_SIDE, after.counts
    assert after.counts["download"] == after.counts["normalize"] == 1  # the new benchmark only
    assert after.counts["generate"] == 3 and after.models("generate") == {
        "tiny-base",
        "tiny-reasoner",
        "tiny-base+tis-tiny",
    }
    assert after.counts["judge"] == 3
