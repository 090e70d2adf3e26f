# Two commands for a fresh machine (see README):
#   make run   -- create .venv (idempotent) and run the main job
#   make test  -- create .venv (idempotent) and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.tregsim-installed

.PHONY: run test setup clean-venv docs check-report bench calibrate-tables

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/tregsim run

# Tests run in parallel over the machine's cores (pytest-xdist; a test file's tests stay in one worker so its
# module fixtures are computed once).  `make test PYTEST_WORKERS=0` runs them in one process.
PYTEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile

docs: $(STAMP)
	$(BIN)/python -c "import sys; from tregsim.model.parameters import markdown; sys.stdout.write(markdown())" > docs/parameters.md
	$(BIN)/python -c "import sys; from tregsim.model.definition import equations_markdown; sys.stdout.write(equations_markdown())" > docs/equations.md

clean-venv:
	rm -rf $(VENV)

# Render a fresh `tregsim reproduce bilbao2014` report in headless Chromium (installs Debian's chromium if absent).
check-report: $(STAMP)
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	rm -rf tregsim-out/check-report && $(BIN)/tregsim reproduce bilbao2014 --out tregsim-out/check-report
	$(BIN)/python tools/check_report.py tregsim-out/check-report/report.html tregsim-out/check-report/screenshot.png --min-figures 5

# Benchmarks (ratios against peers in the same run).
bench: $(STAMP)
	$(BIN)/python benchmarks/reproduce_bilbao2014.py
	$(BIN)/tregsim bench --json > benchmarks/engine-latest.json
	cat benchmarks/engine-latest.json

# The one recorded command behind the shipped parameter tables: every fit from its documented priors,
# then the tables it writes become the package's (and the docs are regenerated from them).
calibrate-tables: $(STAMP)
	rm -rf build/calibrate && $(BIN)/tregsim calibrate --out build/calibrate
	cp build/calibrate/parameters_human.csv build/calibrate/parameters_mouse.csv src/tregsim/data/
	cp build/calibrate/population_rrms*.parquet build/calibrate/population_rrms*.json src/tregsim/data/
	$(MAKE) docs
