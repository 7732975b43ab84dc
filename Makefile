# make reproduce  - set up .venv (if needed) and run the zero-init reproduction
# make test       - set up .venv (if needed) and run the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUNS := runs

.PHONY: reproduce test lint bench clean

$(STAMP): setup.cfg pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[test,figures]'
	touch $@

reproduce: $(STAMP)
	$(PY) -m experiments.mnist --init=zeros --output_dir=$(RUNS)/mnist_zeros
	$(PY) -m experiments.mnist --init=he_normal --output_dir=$(RUNS)/mnist_he_normal

test: $(STAMP)
	$(PY) -m pytest -q -ra tests

lint: $(STAMP)
	$(VENV)/bin/ruff check keras_initstudy experiments tests benchmarks
	$(VENV)/bin/ruff format --check keras_initstudy experiments tests benchmarks

clean:
	rm -rf $(VENV) $(RUNS) *.egg-info
