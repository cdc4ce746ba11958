# Two commands are the whole quick start: `make run` and `make test`.
# Each creates .venv and installs the project on first use (and again when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-slow clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,plots,dask]'
	touch $(STAMP)

# The main job: the fault-tolerant report on the embedded LLM-scale default problem.
run: $(STAMP)
	$(BIN)/qattn report --out report

# The default test suite (everything but the `slow` marker), sized for a 2-core machine.
test: $(STAMP)
	$(BIN)/python -m pytest -q

# Long simulations and sweeps only (pytest's exit 5, "no test selected", is not a failure).
test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow -o addopts='--import-mode=importlib -p no:cacheprovider'; \
	rc=$$?; if [ $$rc -eq 5 ]; then exit 0; else exit $$rc; fi

clean:
	rm -rf $(VENV) report
