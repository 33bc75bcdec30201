# Each target sets itself up from nothing: the first run creates .venv and installs the project.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint format typecheck bench clean browser civility-model

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/forumbot run

# One pytest process per core, at most 4; each has its own databases (uuid-named). A file's
# tests stay together in one process, so module fixtures are built once.
test: $(STAMP) lint typecheck browser
	$(BIN)/pytest -n auto --maxprocesses 4 --dist loadfile

# The dashboard's browser tests drive Debian's chromium (never a browser download): installed
# here when missing and we are root; otherwise those tests skip with the reason (fail under CI).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (browser tests)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing and not root: the browser tests will skip"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

# The learned civility rule's weights, from the project's own labelled messages only.
civility-model: $(STAMP)
	$(BIN)/forumbot rules train-model tests/unit/civility/civility_corpus.yaml \
		tests/unit/civility/eval/round_*.yaml tests/unit/civility/train/*.yaml \
		--civil-paragraphs seeds --out forumbot/domain/civility/incivility_model.json

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache data test-output
