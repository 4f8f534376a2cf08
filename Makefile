# Two commands from a fresh clone (only Python 3.11 needed): `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEPS := $(VENV)/.deps-stamp
PIP := $(BIN)/pip install -q --disable-pip-version-check -c constraints.txt

.PHONY: install demo test lint format bench clean

# Dependencies: torch first and pinned (constraints.txt), so pip takes the local CPU wheel; the `mobile`
# extra (TF-Lite export and timing) is installed for the demo and the tests.
$(DEPS): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip setuptools wheel
	$(PIP) torch==2.13.0
	$(PIP) ".[dev,mobile]"
	touch $(DEPS)

# The package itself: a real (non-editable) install, as users get it.
install: $(DEPS)
	$(PIP) --no-deps --no-build-isolation --force-reinstall .

demo: install
	$(BIN)/archsearch run --space mbv2 --budget 300MFLOPs --hw pixel

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint:
	$(BIN)/ruff check archsearch tests benchmarks && $(BIN)/ruff format --check archsearch tests benchmarks

format:
	$(BIN)/ruff format archsearch tests benchmarks && $(BIN)/ruff check --fix archsearch tests benchmarks

bench: install
	$(BIN)/python benchmarks/bench_cost.py

clean:
	rm -rf $(VENV) build *.egg-info
