# Quick start: `make demo` and `make test` on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo serve test install install-dev lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# the editable sources are byte-compiled as pip does for installed packages (Python does not
# write bytecode where PYTHONDONTWRITEBYTECODE is set: each command would compile them again);
# the numba kernels are compiled and cached once, with a message (wellclear.warmup)
install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q src
	$(BIN)/python -m wellclear.warmup

install-dev: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m compileall -q src
	$(BIN)/python -m wellclear.warmup

DEMO := out/demo

# The main job on embedded defaults: conflicts predicted in real Paris traffic, then the
# built-in October 2015 Syria scenario scanned end to end into an HTML report, then replayed
# into a live wellclear serve, each side with its own token (what each party received).
demo: install
	$(BIN)/wellclear detect src/wellclear/data/paris_20211007_1320-1330.json.gz \
		--at 2021-10-07T13:30:00Z --table
	mkdir -p $(DEMO)
	$(BIN)/wellclear simulate --scenario syria2015 --output $(DEMO)/syria2015.parquet
	$(BIN)/wellclear scan $(DEMO)/syria2015.parquet --agreement syria2015 \
		--output $(DEMO)/scan --format csv --overwrite
	$(BIN)/wellclear report $(DEMO)/scan --output $(DEMO)/report.html
	@echo "demo: encounters and infringements in $(DEMO)/scan, report in $(DEMO)/report.html"
	$(BIN)/python scripts/demo_live.py $(DEMO)/syria2015.parquet $(DEMO)/live

# The live service with the Syria 2015 scenario replayed into it, left running on port 8470
serve: install
	mkdir -p $(DEMO)
	$(BIN)/wellclear simulate --scenario syria2015 --output $(DEMO)/syria2015.parquet
	$(BIN)/python scripts/demo_live.py $(DEMO)/syria2015.parquet $(DEMO)/serve --keep

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev
	$(BIN)/pytest

test: lint typecheck pytest

bench: install-dev
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/detect.py

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
