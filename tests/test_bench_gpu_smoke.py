"""bench/gpu_generation.py runs end to end on CPU with --size tiny, so the GPU run a later session makes
does not start by debugging the bench. The figures of a CPU smoke run mean nothing and are not checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


def test_the_gpu_bench_builds_its_model_and_prints_every_row_on_cpu():
    args = ["--size", "tiny", "--new-tokens", "4", "--items", "2", "--hf-items", "2"]
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "gpu_generation.py"), *args],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "device: none (CPU)" in out and "transformers" in out
    assert "| hf backend, batch 8, whole run |" in out
    assert "| hf decode vs roofline at batch 8 |" in out
    assert "| vllm rows | vllm not installed" in out  # this machine has no vllm: said, not skipped silently


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is here: the 7b run would really run")
def test_without_a_gpu_the_7b_run_says_so_and_stops():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "gpu_generation.py")],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0 and "no GPU here" in done.stdout
