"""Untrusted code and data: remote modelling code only where the registry entry allows it, pickle weights
only where the entry allows them, and every download and mirror file verified by sha256 before use."""

from __future__ import annotations

import json
import os
import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from reliability import figures

from thinksafe import cli, config
from thinksafe.benchmarks.fetch import fetch
from thinksafe.errors import ThinksafeError
from thinksafe.models.loading import load

pytest_plugins = ["reliability.plugin"]
MARKER = "REMOTE_CODE_RAN"


def spec(path: Path, **over) -> dict:
    return {"name": "untrusted", "path": str(path), "family": "qwen2_5_vl", "revision": "local",
            "backend": "hf", "reasoning": "none", **over}  # fmt: skip


def refused(fn, *words: str) -> str:
    """The ThinksafeError `fn()` raises; it must name every word (the key, the reason)."""
    with pytest.raises(ThinksafeError) as e:
        fn()
    message = str(e.value)
    figures.add(untrusted_cases=1, untrusted_refused=int(all(w in message for w in words)))
    for w in words:
        assert w in message, message
    return message


@pytest.fixture
def hub_code_model(tiny_model_dir, tmp_path) -> Path:
    """The tiny model with an auto_map pointing at modelling code that leaves a marker if it ever runs."""
    model = tmp_path / "hub-code"
    shutil.copytree(tiny_model_dir, model)
    cfg = json.loads((model / "config.json").read_text())
    cfg["auto_map"] = {"AutoModelForCausalLM": "modeling_evil.EvilModel", "AutoConfig": "modeling_evil.C"}
    (model / "config.json").write_text(json.dumps(cfg))
    (model / "modeling_evil.py").write_text(f"open({str(tmp_path / MARKER)!r}, 'w').write('ran')\n")
    return model


def test_remote_code_needs_the_entry_to_allow_it(hub_code_model, tmp_path):
    refused(lambda: load(spec(hub_code_model)), "models.untrusted.trust_remote_code", "auto_map")
    cfg = json.loads((hub_code_model / "config.json").read_text())
    cfg.pop("auto_map")
    (hub_code_model / "config.json").write_text(json.dumps({**cfg, "model_type": "evil_arch"}))
    refused(lambda: load(spec(hub_code_model)), "models.untrusted.trust_remote_code", "evil_arch")
    assert not (tmp_path / MARKER).exists()  # nothing from the model folder was imported


def test_only_registry_entries_that_say_so_trust_remote_code():
    cfg = config.load(config.ROOT / "config.yaml")
    for name, entry in cfg["models"].items():
        assert config.resolve_model(cfg, name)["trust_remote_code"] is bool(entry.get("trust_remote_code"))


def test_pickle_weights_are_refused_unless_the_entry_allows_them(tiny_model_dir, tmp_path):
    import torch
    from safetensors.torch import load_file

    model = tmp_path / "pickled"
    shutil.copytree(tiny_model_dir, model)
    weights = load_file(str(model / "model.safetensors"))
    (model / "model.safetensors").unlink()
    torch.save(weights, model / "pytorch_model.bin")
    refused(lambda: load(spec(model)), "models.untrusted.path", "allow_pickle_weights")
    loaded = load(spec(model, allow_pickle_weights=True))  # the entry opts in: the same weights load
    sums = {round(float(t.double().sum()), 5) for t in loaded.model.state_dict().values()}
    assert all(round(float(t.double().sum()), 5) in sums for t in weights.values())


def test_a_tampered_mirror_file_is_refused(mirror, tmp_path, capsys):
    upstream, mirror = mirror, tmp_path / "mirror"
    shutil.copytree(upstream / "figstep-safebench", mirror / "figstep-safebench")
    csv = mirror / "figstep-safebench" / "question" / "safebench.csv"
    csv.write_bytes(csv.read_bytes().replace(b"How can", b"Why can", 1))
    out = tmp_path / "data" / "raw" / "figstep"
    code = cli.main(["download", "--spec", json.dumps({"adapter": "figstep", "name": "figstep"}),
                     "--mirror", str(mirror), "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()[-1]
    ok = code == 2 and "checksum mismatch" in err and str(csv) in err and not out.exists()
    figures.add(untrusted_cases=1, untrusted_refused=int(ok))
    assert ok, err
    assert not list(out.parent.glob(".figstep*"))  # no half-assembled raw dir either


def test_a_tampered_download_is_refused_and_not_kept(tmp_path, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    (served / "data.csv").write_bytes(b"id,question\n1,how do I bake bread\n")
    good_sha = "0" * 64  # the pinned checksum the served bytes do not have
    handler = partial(SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.timeout = 0.2
    stop = threading.Event()

    def serve() -> None:  # at most four requests, then the thread ends by itself
        for _ in range(4):
            if stop.is_set():
                break
            server.handle_request()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    cached = tmp_path / "cache" / "rev" / "data.csv"
    url = f"http://127.0.0.1:{server.server_address[1]}/data.csv"
    try:
        refused(lambda: fetch(url, cached, good_sha), url, "checksum mismatch")
    finally:
        stop.set()
        thread.join(timeout=5)
        server.server_close()
        os.environ["HF_HUB_OFFLINE"] = "1"
    assert not cached.exists() and not list(cached.parent.glob("*.part"))  # nothing kept to be used
