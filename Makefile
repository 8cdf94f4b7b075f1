# One command sets up from nothing and runs the demo (make run); one runs the tests (make test).
# The venv is rebuilt only when pyproject.toml changes, so both are cheap the second time.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.layerkit-installed
DB ?= sample.db
# Whose edits these are (undo, conflicts and the place kept are per name): make run ANNOTATOR=anna
ANNOTATOR ?= annotator

.PHONY: setup run test lint bench clean

setup: $(STAMP)

# torch goes first, pinned: 2.13.0 is the CPU build; a bare "torch" would pull GBs of CUDA.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[train,dev,postgres]'
	touch $(STAMP)

run: setup
	$(BIN)/layerkit --db $(DB) init
	$(BIN)/layerkit --db $(DB) import sample_corpus/
	$(BIN)/layerkit --db $(DB) preannotate
	$(BIN)/layerkit --db $(DB) status
	$(BIN)/layerkit --db $(DB) annotate --annotator $(ANNOTATOR)

# The store's tests run on SQLite and on a throwaway PostgreSQL server that this starts and stops.
test: setup
	HF_HUB_OFFLINE=1 bash tools/with_postgres.sh $(BIN)/python -m pytest -q -n auto --maxprocesses 4

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(DB) $(DB)-wal $(DB)-shm
