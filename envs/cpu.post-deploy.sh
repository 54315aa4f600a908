#!/usr/bin/env bash
# Run by Snakemake inside the new environment, from the project root (the workflow's directory):
# the project itself, without dependencies (they are pinned in the environment file).
set -euo pipefail
pip install --no-deps -e .
