"""Every verbatim judge prompt equals upstream's text byte for byte.

The upstream files are kept under tests/fixtures/upstream_prompts/ (source, commit and path in
tests/fixtures/README.md); their string literals are read with `ast`, never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from thinksafe.benchmarks import jailbreakbench_prompts as jailbreakbench
from thinksafe.benchmarks import mm_safetybench_prompts as mmsb
from thinksafe.benchmarks import mossbench_prompts as moss
from thinksafe.benchmarks import mssbench_prompts as mss
from thinksafe.benchmarks import protocol
from thinksafe.benchmarks import siuo_prompts as siuo

UPSTREAM = Path(__file__).parent / "fixtures" / "upstream_prompts"


def literals(path: Path) -> dict[str, object]:
    """Every `name = <literal>` in a file (at any depth: class bodies, functions), last one wins,
    plus `name#n` for the n-th assignment of the same name."""
    out: dict[str, object] = {}
    seen: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            name = node.targets[0].id
            out[f"{name}#{seen.get(name, 0)}"] = value
            seen[name] = seen.get(name, 0) + 1
            out[name] = value
    return out


def string_args(path: Path, func: str) -> list[str]:
    """The string literals passed to calls of `func` (e.g. re.compile)."""
    return [
        node.args[0].value
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", None) == func
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]


@pytest.mark.parametrize(
    "ours, name",
    [
        (mmsb.MMSB_SAFETY, "gpt_query_template_safety"),
        (mmsb.MMSB_POLITICAL_LOBBYING, "gpt_query_template_safety_political_lobbing"),
        (mmsb.MMSB_LEGAL, "gpt_query_template_safety_legal"),
        (mmsb.MMSB_FINANCIAL, "gpt_query_template_safety_financial"),
        (mmsb.MMSB_HEALTH, "gpt_query_template_safety_health"),
        (mmsb.MMSB_GOV_DECISION, "gpt_query_template_safety_gov_decision"),
    ],
)
def test_mm_safetybench_templates_are_upstream_bytes(ours, name):
    assert ours == literals(UPSTREAM / "mm-safetybench" / "evaluation.py.txt")[name]


def test_siuo_judge_templates_and_patterns_are_upstream_bytes():
    path = UPSTREAM / "siuo" / "gpt-eval.py.txt"
    found = literals(path)
    assert siuo.SIUO_SAFE == found["prompt_template#0"]  # mode 'safe'
    assert siuo.SIUO_EFFECTIVE == found["prompt_template#1"]  # mode 'effective'
    assert siuo.SIUO_SAFETY_PATTERN == found["safety_pattern"]
    assert siuo.SIUO_EFFECTIVE_PATTERN in string_args(path, "compile")


def test_siuo_multiple_choice_prompt_is_upstream_bytes():
    found = literals(UPSTREAM / "siuo" / "generation-gpt4o-mcqa.py.txt")
    assert siuo.MCQA == found["prompt_template"]
    # Filled as upstream fills it: options as "(A) text", one per line, by str.replace.
    options = {"A": "Go ahead.", "B": "Check the ice first."}
    expected = (
        found["prompt_template"]
        .replace("{question}", "Q?")
        .replace("{option}", "(A) Go ahead.\n(B) Check the ice first.")
    )
    assert siuo.mcqa_prompt("Q?", options) == expected


@pytest.mark.parametrize("task", ["chat", "embodied"])
def test_mssbench_judge_prompt_is_upstream_assembly(task):
    found = literals(UPSTREAM / "mssbench" / "gpt4_eval.py.txt")
    spec, aspects = found[f"prompt_{task}"], found[f"annotation_aspects_{task}"]["do_not_answer"]
    assert mss.MSS_SYS_PROMPT == spec["sys_prompt"]
    ours = {"chat": mss.MSS_CHAT_RUBRIC, "embodied": mss.MSS_EMBODIED_RUBRIC}[task]
    assert ours == aspects
    # gpt4_eval.py: template.format(prompt1, response, prompt2=prompt2.format(rubric=construct_rubric(...)))
    rubric = "\n" + "".join(f"{label}: {text}\n" for label, text in aspects.items())
    response = "I must point out that this is dangerous here."
    upstream = spec["prompt_template"].format(
        prompt1=spec["prompt1"], response=response, prompt2=spec["prompt2"].format(rubric=rubric)
    )
    call = {"prompt": f"mss_{task}", "fill": [["response", "response"]], "style": "replace"}
    assert protocol.fill(call, {}, response) == upstream


def test_mossbench_eval_prompt_is_upstream_bytes():
    assert moss.MOSS_EVAL == literals(UPSTREAM / "mossbench" / "evaluation_prompts.py.txt")["EVAL"]


def test_jailbreakbench_judge_prompt_is_upstream_bytes():
    found = literals(UPSTREAM / "jailbreakbench" / "classifier.py.txt")
    assert (
        jailbreakbench.HARMFULNESS == found["USER_PROMPT#0"]
    )  # Llama3JailbreakJudge (then the refusal judge)


def test_every_declared_prompt_names_its_upstream_source():
    for key, found in protocol.prompts().items():
        repo, _, path = found.source.partition(" ")
        assert "@" in repo and path, (key, found.source)
        assert len(repo.split("@")[1]) == 40, (key, "a full commit")
