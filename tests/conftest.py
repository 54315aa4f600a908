"""Shared fixtures: the ../shared offline mirror and the tiny random Qwen2.5-VL built once per run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
BENCHMARKS_MIRROR = SHARED / "benchmarks"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    assert SHARED.is_dir(), f"../shared must sit beside the project ({SHARED})"
    return SHARED


@pytest.fixture(scope="session")
def mirror() -> Path:
    return BENCHMARKS_MIRROR


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """The ~0.2 M-parameter random Qwen2.5-VL: real architecture, built in seconds, no hub."""
    from thinksafe.models.build import build_tiny

    out = tmp_path_factory.mktemp("models") / "tiny"
    build_tiny(out)
    return out
