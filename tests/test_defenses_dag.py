"""A defended model is an ordinary model of the DAG: the demo plans its generate and judge jobs and feeds its
judgments to aggregate; after a run, a changed defense text reruns that defended model's jobs and no
other model's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dag import TINY, plan, project_copy, snakemake

pytestmark = pytest.mark.slow
AGGREGATE_SIDE = {"aggregate", "figures", "report", "all"}
# The tiny DAG without its tuning, with the tiny reasoner defended by the demo's safepath defense.
DEFENDED = """
run:
  models: [tiny-reasoner, tiny-reasoner@safepath]
  tuning: {models: [], datasets: []}
"""
EDITED = """
defenses:
  safepath: {kind: thought_prefix, text: "Wait, could this request cause harm? Let me check first."}
"""


def test_the_demo_plans_the_defended_models_jobs_as_ordinary_jobs(tmp_path, shared_dir):
    project = project_copy(tmp_path, shared_dir, repo=False)
    out = snakemake(project, "-n", "--cores", "1", configs=("config/demo.yaml",), timeout=300).stdout
    dry = plan(project, configs=("config/demo.yaml",))

    assert "demo-reasoner@safepath" in dry.models("generate") and "demo-reasoner" in dry.models("generate")
    assert "demo-reasoner@safepath" in dry.models("judge")
    blocks = re.split(r"\n(?=(?:local)?rule \w+:)", out)
    aggregate = next(b for b in blocks if re.match(r"(local)?rule aggregate:", b))
    # One judge job per (judge, model): its folder stands for the generations (and the .meta.json the cost
    # table reads) that it judged.
    assert re.search(r"input: .*results/judgments/comply/demo-reasoner@safepath[,\n]", aggregate)
    generate = next(b for b in blocks if "demo-reasoner@safepath/demo/00.meta.json" in b)
    assert re.match(r"(local)?rule generate:", generate)


@pytest.fixture(scope="module")
def defended_run(tmp_path_factory, shared_dir) -> tuple[Path, tuple[str, ...]]:
    root = tmp_path_factory.mktemp("defended-run")
    project = project_copy(root, shared_dir)
    overlay = root / "defended.yaml"
    overlay.write_text(DEFENDED)
    configs = (*TINY, str(overlay))
    snakemake(project, "--cores", "2", configs=configs, timeout=1200)
    return project, configs


def test_a_defended_run_writes_the_defense_tables(defended_run):
    project, configs = defended_run
    assert plan(project, configs=configs).total == 0
    text = (project / "results/tables/defenses.md").read_text()
    assert "| tiny-reasoner@safepath | safepath (thought_prefix) |" in text
    assert "| Δ vs tiny-reasoner | safepath (thought_prefix) |" in text
    assert "### Defense cost per item" in text
    assert "tiny-reasoner@safepath" not in (project / "results/tables/table1.md").read_text()
    page = (project / "results/report.html").read_text()
    assert "Defenses: each defended model against the same model undefended" in page
    assert "Defense cost per item" in page


def test_a_changed_defense_text_reruns_only_that_defended_models_jobs(defended_run, tmp_path):
    project, configs = defended_run
    edited = tmp_path / "edited.yaml"
    edited.write_text(EDITED)
    after = plan(project, configs=(*configs, str(edited)))

    assert set(after.counts) == {"generate", "judge"} | AGGREGATE_SIDE, after.counts
    assert after.counts["generate"] == 1 and after.models("generate") == {"tiny-reasoner@safepath"}
    assert after.counts["judge"] == 1 and after.models("judge") == {"tiny-reasoner@safepath"}
