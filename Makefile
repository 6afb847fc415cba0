# Two entry points: `make book` and `make test`. Both work on a machine with only Python 3.11.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
NPM_DIR := $(VENV)/npm
NPM_PACKAGES := mathjax@3.2.2 axe-core@4.14.1 @fortawesome/fontawesome-free@6.7.2
INSTALLED := $(VENV)/.installed

.PHONY: book test chromium bench clean record lab

$(INSTALLED): requirements.txt pyproject.toml Makefile  # Makefile: NPM_PACKAGES
	test -x $(PY) || python3 -m venv $(VENV) || { apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm; }
	mkdir -p $(NPM_DIR) && npm install --silent --no-audit --no-fund --prefix $(NPM_DIR) $(NPM_PACKAGES)
	touch $@

# `make book DATA=DIR` builds every page from the dataset in DIR instead of the reconstruction.
DATA ?=
BUILD_ENV := $(if $(DATA),COVIDAT_DATA=$(abspath $(DATA)),)

# The data are checked first, so a contract violation stops the build with the loader's message
# alone (exit 2; failing published claims, exit 1, do not stop it: the scorecard shows them).
# Sphinx only re-reads changed pages, so a warm build would not repeat old warnings:
# drop the rendered pages each time and keep the notebook execution cache instead.
book: $(INSTALLED)
	@$(BUILD_ENV) $(PY) -m covidat check >/dev/null || [ $$? -eq 1 ] || { echo "make book: fix the dataset and run again" >&2; exit 2; }
	rm -rf _build/html _build/.doctrees
	$(BUILD_ENV) $(VENV)/bin/jupyter-book build . -W -n --keep-going

chromium:
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: book chromium
	$(PY) -m pytest

bench: $(INSTALLED)
	$(PY) bench/build.py
	$(PY) bench/reconstruct.py
	$(PY) bench/site.py
	$(PY) bench/power.py
	$(PY) bench/pinned.py

clean:
	rm -rf _build

# Re-run every chapter and store its outputs in the notebook, on purpose (nbval compares them).
record: $(INSTALLED)
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.record_timing=False chapters/*.ipynb

# The chapters as live notebooks, in JupyterLab (installed into .venv on first use), with the
# book's library importable (`-e .` in requirements.txt); as root (a container) it needs --allow-root.
lab: $(INSTALLED)
	test -x $(VENV)/bin/jupyter-lab || $(PY) -m pip install --quiet jupyterlab
	$(VENV)/bin/jupyter lab --notebook-dir=chapters $(if $(filter 0,$(shell id -u)),--allow-root,)
