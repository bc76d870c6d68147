# Quick start: `make demo` runs the whole pipeline on the bundled sample; `make test` runs the tests.
# Both create .venv and install the project on first use.

VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3

# Nothing phones home: no DVC analytics or update check, no GX analytics, no hub downloads.
export DVC_NO_ANALYTICS := 1
export DVC_SITE_CACHE_DIR := $(CURDIR)/.dvc/tmp/site
export GX_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export TUNESET_CACHE_DIR := $(CURDIR)/.cache/tuneset
export PATH := $(CURDIR)/$(BIN):$(PATH)
# The PII salt keys surrogates and exclusion hashes. This public demo key is for the bundled sample
# only: set TUNESET_PII_SALT in your environment (never in conf/) for real data.
export TUNESET_PII_SALT ?= tuneset-public-demo-salt-not-a-secret

.PHONY: help setup demo test test-fast bench config plots

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

setup: $(BIN)/.installed  ## create .venv and install tuneset with pinned dependencies

config: setup  ## regenerate params.yaml from conf/
	$(BIN)/tuneset config

demo: setup  ## run the whole pipeline (dvc repro) on the bundled sample
	$(BIN)/tuneset config --check
	$(BIN)/dvc repro
	@$(BIN)/python -c "import json; l=json.load(open('reports/lineage.json')); print('lineage:', json.dumps(l['by_split']), 'balanced =', l['balanced'])"
	@echo "data card: reports/datacard.html; exports: data/final/"

test: setup  ## run the test suite
	$(BIN)/tuneset config --check
	$(BIN)/python -m pytest -n 2 -q

test-fast: setup  ## the tests without the slow end-to-end dvc runs
	$(BIN)/python -m pytest -n 2 -q -m "not e2e"

plots: setup  ## render dvc plots offline (vendored Vega) into dvc_plots/index.html
	$(BIN)/dvc plots show --html-template src/tuneset/report/vendor/dvc_plots.html

bench: setup  ## throughput and peak memory of ingest+normalize+export at 10k/100k/1M rows
	$(BIN)/python bench/ingest.py
