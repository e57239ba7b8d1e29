# Two commands for users (see README): `make lab` and `make test`.
# Each creates the local virtual environment .venv on first use (idempotent).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba-cache

.PHONY: lab test install warmup coverage bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[course,test]'
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab course/00_index.ipynb

warmup: $(STAMP)
	$(BIN)/python -m lossjit.warmup

# Package tests, then every notebook (chapters and solutions) under nbval.
test: warmup
	$(BIN)/python -m pytest tests --nbval course

# Which kernel lines the tests execute: JIT off so coverage sees the Python.
coverage: $(STAMP)
	NUMBA_DISABLE_JIT=1 $(BIN)/python -m coverage run --source=lossjit -m pytest tests -q -p no:randomly
	$(BIN)/python -m coverage report -m

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .numba-cache .pytest_cache .hypothesis .coverage htmlcov
