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
	@echo "setting up $(VENV): Python packages (requirements.txt), then MathJax, axe-core and Font Awesome (npm)"
	@test -x $(PY) || python3 -m venv $(VENV) 2>/dev/null || { echo "installing python3-venv (apt-get)"; \
	  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && python3 -m venv $(VENV); }
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -r requirements.txt
	@command -v npm >/dev/null || { echo "installing npm (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	@mkdir -p $(NPM_DIR) && npm install --silent --no-audit --no-fund --prefix $(NPM_DIR) $(NPM_PACKAGES)
	@touch $@

# `make book DATA=DIR` builds every page from the dataset in DIR instead of the reconstruction.
# The data are checked first (a contract violation stops the build with the loader's message, exit 2);
# then one line per chapter (executed or cached), Sphinx's warnings, and a summary (src/covidat/book/build.py).
DATA ?=

book: $(INSTALLED)
	@$(PY) -m covidat book $(if $(DATA),--data "$(DATA)",)

chromium:
	@command -v chromium >/dev/null || { echo "installing chromium (apt-get), for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The notebooks' committed outputs are compared with the executions `make book` has just cached
# (tests/book/test_notebooks.py), so no chapter runs twice.
test: book chromium
	@$(PY) -m pytest

bench: $(INSTALLED)
	$(PY) bench/build.py
	$(PY) bench/reconstruct.py
	$(PY) bench/ess_bound.py
	$(PY) bench/site.py
	$(PY) bench/power.py
	$(PY) bench/pinned.py
	$(PY) bench/counterexample.py

clean:
	rm -rf _build

# Re-run every chapter and store its outputs in the notebook, on purpose (`make test` compares them
# with a fresh run), one kernel per core.
record: $(INSTALLED)
	@printf '%s\n' chapters/*.ipynb | xargs -P "$$(nproc)" -n 1 $(VENV)/bin/jupyter nbconvert --to notebook --execute \
	  --inplace --ExecutePreprocessor.record_timing=False --KernelManager.transport_encryption=auto

# The chapters as live notebooks, in JupyterLab (installed into .venv on first use), with the
# book's library importable (`-e .` in requirements.txt); as root (a container) it needs --allow-root.
lab: $(INSTALLED)
	test -x $(VENV)/bin/jupyter-lab || $(PY) -m pip install --quiet jupyterlab
	$(VENV)/bin/jupyter lab --notebook-dir=chapters $(if $(filter 0,$(shell id -u)),--allow-root,)
