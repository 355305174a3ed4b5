# Every target creates .venv itself: on a fresh machine `make demo` or `make test` is all it takes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# CI runs the long Hypothesis profile; a developer's machine the quick one.
HYPOTHESIS_PROFILE ?= $(if $(CI),ci,dev)
export HYPOTHESIS_PROFILE
export NO_MKDOCS_2_WARNING := 1

.PHONY: demo test lint typecheck docs docs-serve bench fmt clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[testing,holidays]' --group dev
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m deskflow demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks docs tools
	$(BIN)/ruff format --check src tests benchmarks docs tools

typecheck: $(STAMP)
	$(BIN)/mypy src

docs: $(STAMP)
	$(BIN)/mkdocs build --strict

test: lint typecheck docs
	$(BIN)/pytest -n 2 -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

fmt: $(STAMP)
	$(BIN)/ruff format src tests benchmarks docs tools
	$(BIN)/ruff check --fix src tests benchmarks docs tools

clean:
	rm -rf $(VENV) site .pytest_cache .mypy_cache .ruff_cache .hypothesis
