# Every target creates .venv itself: on a fresh machine `make demo` or `make test` is all it takes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# CI runs the long Hypothesis profile; a developer's machine the quick one.
HYPOTHESIS_PROFILE ?= $(if $(CI),ci,dev)
export HYPOTHESIS_PROFILE
export NO_MKDOCS_2_WARNING := 1
# The site serves its own Mermaid, so diagrams render offline and on an intranet: the
# pinned release is fetched once from npm into the git-ignored .cache/ and the docs hook
# publishes it (tools/docs_hooks.py).
NPM ?= npm
MERMAID_VERSION := 11.17.2
MERMAID_JS := .cache/mermaid-$(MERMAID_VERSION)/mermaid.min.js
export DESKFLOW_MERMAID_JS := $(MERMAID_JS)

.PHONY: demo test lint typecheck imports docs docs-serve bench fmt clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[testing,holidays,templates]' --group dev
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m deskflow demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks docs tools
	$(BIN)/ruff format --check src tests benchmarks docs tools

typecheck: $(STAMP)
	$(BIN)/mypy src tests tools

$(MERMAID_JS):
	@command -v $(NPM) >/dev/null 2>&1 || { echo "error: the docs need npm (Node.js) to fetch mermaid@$(MERMAID_VERSION) once into .cache/; install it (e.g. apt-get install npm) and run make again" >&2; exit 1; }
	rm -rf $(@D).part && mkdir -p $(@D).part
	cd $(@D).part && $(NPM) pack --silent mermaid@$(MERMAID_VERSION) >/dev/null
	tar -xzf $(@D).part/mermaid-$(MERMAID_VERSION).tgz -C $(@D).part package/dist/mermaid.min.js
	mkdir -p $(@D) && mv $(@D).part/package/dist/mermaid.min.js $@ && rm -rf $(@D).part

docs: $(STAMP) $(MERMAID_JS)
	$(BIN)/mkdocs build --strict

docs-serve: $(STAMP) $(MERMAID_JS)
	$(BIN)/mkdocs serve

imports: $(STAMP)
	$(BIN)/lint-imports

# Extra pytest arguments, e.g. `make test PYTEST_ARGS='-m "not slow"'` to skip the slow tests.
PYTEST_ARGS ?=
test: lint typecheck imports docs
	$(BIN)/pytest -n 2 -p no:cacheprovider $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

fmt: $(STAMP)
	$(BIN)/ruff format src tests benchmarks docs tools
	$(BIN)/ruff check --fix src tests benchmarks docs tools

clean:
	rm -rf $(VENV) site .cache .pytest_cache .mypy_cache .ruff_cache .hypothesis
