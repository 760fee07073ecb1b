# Every target works on a fresh machine with Python 3.11+ and make: the venv is made on demand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test lint typecheck pytest demo demo-asgi demo-cli demo-report bench clean

DEMO_DIR := examples/plus-que-pro
DEMO_ADDR := 127.0.0.1:8000

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,demo]"
	touch $(STAMP)

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

# The reference site behind consentkit, on http://127.0.0.1:8000 (Ctrl-C to stop).
demo: $(STAMP)
	@$(BIN)/python $(DEMO_DIR)/demo.py --intro
	$(BIN)/gunicorn --chdir $(DEMO_DIR) --bind $(DEMO_ADDR) --workers 2 --access-logfile - wsgi_app:app

demo-asgi: $(STAMP)
	@$(BIN)/python $(DEMO_DIR)/demo.py --intro
	$(BIN)/uvicorn --app-dir $(DEMO_DIR) --host 127.0.0.1 --port 8000 asgi_app:app

# The catalogue, its cookie table and signed tokens, on the command line.
demo-cli: $(STAMP)
	$(BIN)/python $(DEMO_DIR)/demo.py

# SYNTHETIC decisions in a ledger of their own, and the consent report of them (report.html).
demo-report: $(STAMP)
	$(BIN)/python $(DEMO_DIR)/demo.py --seed-report

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
