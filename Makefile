# Two commands for a fresh machine (see README):
#   make run   -- create .venv (idempotent) and run the main job
#   make test  -- create .venv (idempotent) and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.tregsim-installed

.PHONY: run test setup clean-venv docs

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/tregsim run

test: $(STAMP)
	$(BIN)/python -m pytest -q

docs: $(STAMP)
	$(BIN)/python -c "import sys; from tregsim.model.parameters import markdown; sys.stdout.write(markdown())" > docs/parameters.md

clean-venv:
	rm -rf $(VENV)
