"""Spec arguments: security switches are JSON booleans at every command, wherever they sit in the spec."""

from __future__ import annotations

import json

import pytest
import test_reliability_untrusted as untrusted

from thinksafe import cli
from thinksafe.commands.specs import SECURITY_SWITCHES, json_object
from thinksafe.errors import ThinksafeError

# The reliability suite's model folder whose auto_map names code that leaves a marker if it is imported.
remote_code_model, MARKER = untrusted.hub_code_model, untrusted.MARKER

NOT_BOOLEANS = ["false", "true", "0", "no", "yes", "", 0, 1, 0.0, None, [], {}, [False]]


@pytest.mark.parametrize("switch", SECURITY_SWITCHES)
@pytest.mark.parametrize("value", NOT_BOOLEANS, ids=json.dumps)
def test_a_switch_that_is_not_a_json_boolean_is_refused_with_its_key(switch, value):
    text = json.dumps({"name": "m", "path": "/models/m", switch: value})
    with pytest.raises(ThinksafeError) as e:
        json_object(text)
    assert str(e.value) == f"--spec: key {switch}: must be true or false, not {json.dumps(value)}"


@pytest.mark.parametrize("switch", SECURITY_SWITCHES)
@pytest.mark.parametrize("value", [True, False])
def test_true_and_false_pass_unchanged(switch, value):
    assert json_object(json.dumps({"name": "m", switch: value}))[switch] is value


def test_a_switch_nested_in_a_dataset_or_report_spec_is_checked_where_it_sits():
    dataset = {"name": "tis", "captioner_spec": {"name": "qwen", "trust_remote_code": "false"}}
    with pytest.raises(ThinksafeError, match=r"^--spec: key captioner_spec.trust_remote_code: must be"):
        json_object(json.dumps(dataset))
    judges = {"judges": [{"name": "guard"}, {"name": "head", "allow_pickle_weights": 1}]}
    with pytest.raises(ThinksafeError, match=r"key judges\[1\].allow_pickle_weights: .* not 1$"):
        json_object(json.dumps(judges), "--judge-spec")
    with pytest.raises(ThinksafeError, match=r"^--spec: key report.redact: must be true or false, not null"):
        json_object(json.dumps({"models": [], "report": {"redact": None}}))
    assert json_object('{"trust_remote_code_note": "false", "names": ["trust_remote_code"]}')  # not switches


def test_a_spec_file_reads_like_the_json_it_holds_and_its_switches_are_checked(tmp_path):
    # The rules pass @results/specs/<kind>/<sha256>.json: an aggregate spec of a 200-model run is far
    # beyond the 128 KB Linux allows one argument.
    from thinksafe.commands.specs import write_spec

    spec = {"name": "m", "trust_remote_code": False}
    text = json.dumps(spec, sort_keys=True)
    path = write_spec(tmp_path, "models", text)
    assert path.parent == tmp_path / "models" and path.read_text() == text
    assert write_spec(tmp_path, "models", text) == path  # named by content: the same spec, the same file
    assert json_object(f"@{path}") == spec
    bad = write_spec(tmp_path, "models", json.dumps({"trust_remote_code": "false"}))
    with pytest.raises(ThinksafeError, match=rf"^--spec {bad}: key trust_remote_code: must be true or false"):
        json_object(f"@{bad}")
    with pytest.raises(ThinksafeError, match=r"^--spec: cannot read spec file .*gone.json: No such file"):
        json_object(f"@{tmp_path / 'gone.json'}")


@pytest.mark.parametrize("value", ["false", "0", 0, 1, None, "yes"], ids=json.dumps)
def test_every_command_refuses_a_string_false_before_running_anything(
    remote_code_model, tmp_path, capsys, value
):
    """The attack in issue 16: "false" read by truthiness turned remote code on."""
    model = {"name": "evil", "path": str(remote_code_model), "family": "qwen2_5_vl", "revision": "local",
             "backend": "hf", "reasoning": "none", "trust_remote_code": value}  # fmt: skip
    items = tmp_path / "items.jsonl"
    items.write_text('{"id": "a", "prompt": "hi", "image": null}\n')
    sft = tmp_path / "sft"
    sft.mkdir()
    (sft / "train.json").write_text("[]")
    out = str(tmp_path / "out")
    commands = {
        "generate --spec": ["generate", "--spec", json.dumps(model), "--items", str(items), "--shard", "00",
                            "--n-shards", "1", "--out", out + ".jsonl"],
        "finetune --model-spec": ["finetune", "--model-spec", json.dumps(model), "--train-spec", "{}",
                                  "--sft", str(sft), "--work", str(tmp_path / "work"), "--out", out],
        "build-dataset --teacher-spec": ["build-dataset", "--spec", '{"name": "d", "kind": "tis_rebuild"}',
                                         "--teacher-spec", json.dumps(model), "--raw-root", str(tmp_path),
                                         "--out", out],
        "judge --spec": ["judge", "--spec", json.dumps({"name": "g", "kind": "classifier", **model}),
                         "--items", str(items), "--generations", str(items), "--out", out + ".jsonl"],
    }  # fmt: skip
    for flag, argv in commands.items():
        assert cli.main(argv) == 2, flag
        err = capsys.readouterr().err.strip()
        key = "trust_remote_code"
        assert f"{flag.split()[1]}: key {key}: must be true or false, not {json.dumps(value)}" in err, err
        assert len(err.splitlines()) == 1
    assert not (tmp_path / MARKER).exists()
    assert not list(tmp_path.glob("out*"))


def test_a_real_false_reaches_the_loader_which_refuses_the_remote_code(remote_code_model, tmp_path, capsys):
    model = {"name": "evil", "path": str(remote_code_model), "family": "qwen2_5_vl", "revision": "local",
             "backend": "hf", "reasoning": "none", "trust_remote_code": False}  # fmt: skip
    items = tmp_path / "items.jsonl"
    items.write_text('{"id": "a", "prompt": "hi", "image": null}\n')
    argv = ["generate", "--spec", json.dumps(model), "--items", str(items), "--shard", "00",
            "--n-shards", "1", "--out", str(tmp_path / "out.jsonl")]  # fmt: skip
    assert cli.main(argv) == 2
    assert "trust_remote_code" in capsys.readouterr().err and not (tmp_path / MARKER).exists()
