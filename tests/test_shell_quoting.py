"""Config values reach the rules' shell lines as data, never as shell code.

A mirror path, an audit file or a prompt holding `$(touch X)` is a strange name, not a command: every
value that reaches a shell line is quoted (`{params.x:q}`, `{input:q}`). Planned and run in copies
of the project.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import yaml
from dag import project_copy, snakemake

DEMO = ("config/demo.yaml",)


def overlay(project: Path, values: dict) -> tuple[str, ...]:
    (project / "hostile.yaml").write_text(yaml.safe_dump(values))
    return (*DEMO, "hostile.yaml")


def unquoted(command: str) -> str:
    """The characters of a shell command that bash would expand: those outside single quotes (inside
    double quotes `$(` and backticks still run)."""
    out, state = [], None
    for ch in command:
        if state == "'":
            state = None if ch == "'" else state
        elif ch in "'\"" and state in (None, ch):
            state = ch if state is None else None
        else:
            out.append(ch)
    return "".join(out)


def test_the_scanner_sees_what_bash_would_expand():
    assert "$(touch X)" in unquoted("thinksafe download --mirror /m/$(touch X) --out d")
    assert "$(touch X)" in unquoted('thinksafe download --mirror "/m/$(touch X)" --out d')
    assert "$(" not in unquoted("thinksafe download --mirror '/m/$(touch X)' --out d")
    # shlex.quote of a value with a quote in it, 'it'"'"'s $(x)', leaves only that quote exposed.
    assert unquoted(shlex.quote("it's $(x) `y`")) == "'"


def test_a_command_in_the_mirror_path_is_a_folder_name_not_a_command(tmp_path):
    project = project_copy(tmp_path, repo=False)
    mirror = tmp_path / "mirror-$(touch PWNED)-`touch PWNED2`"
    mirror.mkdir()
    configs = overlay(project, {"mirror": str(mirror)})

    done = snakemake(
        project, "--cores", "1", "-p", "data/raw/demo", configs=configs, timeout=300, check=False
    )

    assert not (project / "PWNED").exists() and not (project / "PWNED2").exists()
    assert done.returncode == 0, done.stderr[-3000:]
    assert shlex.quote(str(mirror)) in done.stdout + done.stderr  # the shell line carried it quoted ...
    manifest = json.loads((project / "data/raw/demo/MANIFEST.json").read_text())
    assert manifest["mirror"] == str(mirror)  # ... and the CLI received it verbatim


def test_a_command_in_the_audit_file_name_is_a_file_name_not_a_command(tmp_path):
    project = project_copy(tmp_path, repo=False)
    data = tmp_path / "jbb-$(touch PWNED).jsonl"  # the shipped human labels, under a hostile name
    data.symlink_to(project / "src/thinksafe/judges/validation/jbb-judge-comparison.jsonl")
    configs = overlay(project, {"judge_audit": {"data": str(data)}})

    done = snakemake(
        project, "--cores", "1", "results/audit/rule.json", configs=configs, timeout=300, check=False
    )

    assert not (project / "PWNED").exists()
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((project / "results/audit/rule.json").read_text())["data"]["path"] == str(data)


def test_every_shell_line_of_the_dag_keeps_hostile_config_values_quoted(tmp_path):
    project = project_copy(tmp_path, repo=False)
    audit = tmp_path / "labels $(touch A) `touch B`.csv"
    audit.write_text("")  # present, so the audit rule is planned; a dry run never reads it
    (tmp_path / "m; touch C & $(touch D)").mkdir()
    hostile = {
        "mirror": str(tmp_path / "m; touch C & $(touch D)"),
        "judge_audit": {"data": str(audit)},
        "models": {"demo-reasoner": {"system_prompt": 'It\'s fine; $(touch E) `touch F` "$HOME"'}},
    }
    out = snakemake(project, "-n", "--printshellcmds", "--forceall", configs=overlay(project, hostile),
                    timeout=300).stdout  # fmt: skip

    commands = [c for c in re.findall(r"^Shell command: (.*)$", out, re.M) if c != "None"]  # `all`: None
    jobs = [r for r in re.findall(r"^(?:local)?rule (\w+):", out, re.M) if r != "all"]
    assert {"download", "judge_audit", "generate", "build_dataset", "aggregate", "report"} <= set(jobs)
    assert len(commands) == len(jobs)  # every job's command was read
    for command in commands:
        exposed = unquoted(command)
        assert not any(s in exposed for s in ("$(", "`", ";", "$HOME")), command
