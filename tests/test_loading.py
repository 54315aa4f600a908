"""The one weights loader: security switches must be real booleans at every entry, and the embedding
model of the rule judge loads through it like any other model."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from thinksafe.errors import ThinksafeError
from thinksafe.models.loading import load, switch


def test_a_switch_is_a_real_boolean_or_an_error():
    where = "config key models.m"
    assert switch({}, "trust_remote_code", where) is False
    assert switch({"trust_remote_code": None}, "trust_remote_code", where) is False
    assert switch({"trust_remote_code": True}, "trust_remote_code", where) is True
    for value in ("false", "true", "", 0, 1, [], "no"):
        with pytest.raises(ThinksafeError, match=r"models\.m\.trust_remote_code: must be true or false"):
            switch({"trust_remote_code": value}, "trust_remote_code", where)


def test_the_string_false_never_turns_remote_code_on(tiny_model_dir, tmp_path):
    model = tmp_path / "hub-code"
    shutil.copytree(tiny_model_dir, model)
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps({**config, "auto_map": {"AutoModel": "evil.M"}}))
    (model / "evil.py").write_text(f"open({str(tmp_path / 'ran')!r}, 'w')\n")
    spec = {"name": "m", "path": str(model), "family": "qwen2_5_vl"}
    for value in ("false", "False", "0"):
        with pytest.raises(ThinksafeError, match=r"models\.m\.trust_remote_code: must be true or false"):
            load({**spec, "trust_remote_code": value})
    with pytest.raises(ThinksafeError, match=r"models\.m\.allow_pickle_weights: must be true or false"):
        load({**spec, "allow_pickle_weights": "yes"})
    assert not (tmp_path / "ran").exists()


def test_the_embedding_model_loads_through_the_loader():
    from thinksafe.judges import relevance

    vectors = relevance.encode(["how to bake bread", "a recipe for bread", "stock prices fell"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]  # related texts lie closer
