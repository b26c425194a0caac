# omsd: the two commands are `make run` (daemon + demo strategy on the paper venue) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
NATIVE := $(VENV)/.native-core
CORE_SOURCES := $(wildcard oms_daemon/core/*.py) oms_daemon/native.py

.PHONY: run test lint bench tools native clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,native]'
	rm -f $(VENV)/.installed-*
	touch $@

## native: compile the core with Cython (same source; without a C compiler omsd runs the source as is)
native: $(NATIVE)

$(NATIVE): $(STAMP) $(CORE_SOURCES)
	$(BIN)/omsd native build || echo "note: native build failed; omsd runs the pure-Python core"
	touch $@

## run: start omsd on the paper venue with the demo strategy (DEMO_SECONDS=N to stop by itself)
run: $(STAMP) $(NATIVE)
	$(BIN)/python examples/run_demo.py $(if $(DEMO_SECONDS),--seconds $(DEMO_SECONDS))

## test: lint and the whole test suite (slow soak tests excluded: `$(BIN)/pytest -m slow`)
test: $(STAMP) $(NATIVE) tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

## bench: throughput and latency figures (see bench/)
bench: $(STAMP) $(NATIVE)
	$(BIN)/python bench/core.py

## tools: real promtool for the metrics checks, libfaketime for the clock-step tests (Debian packages;
## skipped with a note when not installable)
tools:
	@command -v promtool >/dev/null 2>&1 || \
		{ (apt-get update -qq && apt-get install -y -qq prometheus) >/dev/null 2>&1 || \
		  echo "note: promtool not installable here; its checks will be skipped"; }
	@command -v faketime >/dev/null 2>&1 || \
		{ (apt-get update -qq && apt-get install -y -qq faketime) >/dev/null 2>&1 || \
		  echo "note: libfaketime not installable here; the clock-step tests will be skipped"; }

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis build
	rm -f oms_daemon/core/*.so
