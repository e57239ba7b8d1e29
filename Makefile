# Two commands for users (see README): `make lab` and `make test`.
# Each creates the local virtual environment .venv on first use (idempotent).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lab test install warmup coverage bench clean slides site

install: $(STAMP)

# pip byte-compiles what it installs one file at a time; compileall -j 0 does the same on every core (32 -> 28 s
# on two). Like pip, it skips a file that does not compile on this Python (torch ships one for 3.12 syntax).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -e '.[course,test]'
	$(BIN)/python -m compileall -qq -j 0 $(VENV)/lib || true
	touch $(STAMP)

# COURSE picks the edition `make lab` opens: en (the default, course/00_index.ipynb) or zh (the Chinese edition,
# course/zh/00_index.ipynb); the lab's file browser shows course/, so both. (Not LANG: that is the locale.)
COURSE ?= en
LAB_INDEX_en := 00_index.ipynb
LAB_INDEX_zh := zh/00_index.ipynb
ifneq ($(filter lab,$(MAKECMDGOALS)),)
ifeq ($(LAB_INDEX_$(COURSE)),)
$(error COURSE=$(COURSE): expected COURSE=en (English, the default) or COURSE=zh (中文))
endif
endif

# LAB_ARGS go to jupyter lab, e.g. make lab LAB_ARGS="--no-browser --port 8899".
# The warm-up first: otherwise a notebook's first call of each loss compiles its kernel (about a second each).
# Numba's cache is lossjit/_kernels/__pycache__ (NUMBA_CACHE_DIR if set), found by every program using this checkout.
lab: warmup
	@test -f course/$(LAB_INDEX_$(COURSE)) || { echo "course/$(LAB_INDEX_$(COURSE)) does not exist yet"; exit 1; }
	$(BIN)/jupyter lab --ServerApp.root_dir=course course/$(LAB_INDEX_$(COURSE)) $(LAB_ARGS)

warmup: $(STAMP)
	$(BIN)/python -m lossjit.warmup

# Package tests, browser tests and every notebook (chapters and solutions) under nbval, in TEST_PROCESSES processes
# (pytest-xdist; --dist loadfile keeps each notebook, and each test file, in one process; the browser tests take
# turns at what they build into _build/: tests/browser/shared_build.py).
# PEERS=1 (CI sets it) first installs the peers the loss tests compare with (the `peers` extra: PyTorch CPU, optax
# under JAX); without them those tests skip.
TEST_PROCESSES ?= 2
PEERS ?= 0
PEERS_STAMP := $(VENV)/.peers-installed
test: warmup $(if $(filter 1,$(PEERS)),$(PEERS_STAMP))
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadfile tests --nbval course

$(PEERS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --no-compile -e '.[peers]'
	$(BIN)/python -m compileall -qq -j 0 $(VENV)/lib || true
	touch $@

# Which kernel lines the tests execute: JIT off so coverage sees the Python.
coverage: $(STAMP)
	NUMBA_DISABLE_JIT=1 $(BIN)/python -m coverage run --source=lossjit -m pytest tests -q -p no:randomly
	$(BIN)/python -m coverage report -m

# PyTorch CPU (the exact version: other spellings fetch a CUDA build) and threadpoolctl, if missing.
# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE (set on some machines) slow NumPy, so the run unsets both.
bench: $(STAMP)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -c "import threadpoolctl" 2>/dev/null || $(BIN)/python -m pip install --quiet threadpoolctl
	$(BIN)/python -m lossjit.warmup
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# Browser assets for slides and site, from the npm registry once, so both work offline: the CJK web font
# (Noto Sans SC, variable weight, split by unicode-range; its CJK files are 4.4 MB) renders the Chinese pages.
VENDOR := _build/vendor
WEB_PACKAGES := reveal.js@4.6.1 requirejs@2.3.7 jquery@3.7.1 mathjax@2.7.9 @fontsource-variable/noto-sans-sc@5.3.1

$(VENDOR)/.installed: Makefile
	@command -v npm >/dev/null || { echo "make slides/site need npm (Node.js) once to fetch reveal.js, MathJax and the CJK web font"; exit 1; }
	mkdir -p $(VENDOR)
	echo '{"private": true}' > $(VENDOR)/package.json
	npm install --prefix $(VENDOR) --no-save --no-package-lock --no-audit --no-fund --loglevel=error $(WEB_PACKAGES)
	touch $@

# Which worked solutions slides and site publish: SOLUTIONS=all (the default), SOLUTIONS=0 none,
# SOLUTIONS=1,2,3 those chapters' (SOLUTIONS=1 is chapter 1's alone). The others get no page and no
# link: every link to them reads "released after class".
SOLUTIONS ?= all

# reveal.js slides of every notebook in _build/slides (open _build/slides/index.html); `s` opens the speaker notes.
# The Chinese edition's decks are in _build/slides/zh, every deck with a switch to its twin in the other language.
slides: $(STAMP) $(VENDOR)/.installed
	rm -rf _build/slides
	$(BIN)/python tools/build_slides.py course --out _build/slides --vendor $(VENDOR)/node_modules \
		--solutions "$(SOLUTIONS)"
	$(BIN)/python tools/check_links.py _build/slides

# Static HTML site of the executed course in _build/site (the Chinese edition in _build/site/zh), then a check of
# every relative link of both editions.
site: $(STAMP) $(VENDOR)/.installed
	rm -rf _build/site
	$(BIN)/python tools/build_site.py course --out _build/site --vendor $(VENDOR)/node_modules \
		--solutions "$(SOLUTIONS)"
	$(BIN)/python tools/check_links.py _build/site

clean:
	rm -rf $(VENV) .numba-cache .pytest_cache .hypothesis .coverage htmlcov _build artifacts benchmarks/results
	find lossjit -name '*.nbi' -delete -o -name '*.nbc' -delete
