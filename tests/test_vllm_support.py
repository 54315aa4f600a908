"""The offline copy of vLLM's registry agrees with the upstream file it names (an excerpt kept verbatim)."""

import re
from pathlib import Path

from thinksafe.models import vllm_support

REGISTRY = Path(__file__).parent / "fixtures" / "upstream" / "vllm_registry_0002bff0.py.txt"


def _table(name: str) -> str:
    text = REGISTRY.read_text(encoding="utf-8")
    return text.split(f"{name} = {{", 1)[1].split("\n}\n", 1)[0]


def test_every_architecture_we_call_served_is_in_vllms_multimodal_table():
    served = set(re.findall(r'^    "(\w+)": \(', _table("_MULTIMODAL_MODELS"), re.M))
    assert len(served) > 50  # the whole table was read, not a fragment
    assert vllm_support.SUPPORTED <= served


def test_removed_architectures_carry_the_version_vllm_names():
    removed = dict(re.findall(r'^    "(\w+)": "([\d.]+)",', _table("_PREVIOUSLY_SUPPORTED_MODELS"), re.M))
    assert removed["MllamaForConditionalGeneration"] == "0.10.2"
    assert {arch: removed[arch] for arch in vllm_support.REMOVED} == vllm_support.REMOVED
