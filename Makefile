# make reproduce  - set up .venv (if needed) and run the zero-init reproduction
# make test       - set up .venv (if needed) and run the whole test suite
# make study      - every experiment of the study, records and figures in runs/
# make report     - every run of the report, over seeds, into report/ (cached)
# make docs       - the report, published into docs/results/ and README.md
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUNS := runs
REPORT := report
# Report runs at once, each in a worker process: one per CPU core.
WORKERS ?= $(shell nproc 2>/dev/null || echo 1)

.PHONY: reproduce test study part1 part2 doctor report docs lint bench clean

$(STAMP): setup.cfg pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[test,distributed,bench]'
	touch $@

reproduce: $(STAMP)
	$(PY) -m experiments.mnist --init=zeros --output_dir=$(RUNS)/mnist_zeros
	$(PY) -m experiments.mnist --init=he_normal --output_dir=$(RUNS)/mnist_he_normal
	$(PY) -m experiments.compare --runs=$(RUNS)/mnist_zeros,$(RUNS)/mnist_he_normal --output=$(RUNS)/loss_zeros_vs_he.png

# One pytest-xdist worker per core; a class stays on one worker (setup.cfg).
test: $(STAMP)
	$(PY) -m pytest -q -ra -n auto tests

study: part1 part2 doctor

part1: $(STAMP)
	$(PY) -m experiments.regression --output_dir=$(RUNS)/regression
	$(PY) -m experiments.toy --output_dir=$(RUNS)/toy
	$(PY) -m experiments.mnist --init=zeros --output_dir=$(RUNS)/part1/zeros
	$(PY) -m experiments.mnist --init=constant --init_value=0.05 --activation=sigmoid --output_dir=$(RUNS)/part1/constant_sigmoid
	$(PY) -m experiments.mnist --init=he_normal --output_dir=$(RUNS)/part1/he
	$(PY) -m experiments.compare --runs=$(RUNS)/part1/zeros,$(RUNS)/part1/constant_sigmoid,$(RUNS)/part1/he --output=$(RUNS)/part1/loss_zeros_constant_he.png
	$(PY) -m experiments.compare --kind=symmetry --runs=$(RUNS)/part1/zeros,$(RUNS)/part1/constant_sigmoid,$(RUNS)/part1/he --output=$(RUNS)/part1/symmetry_per_iteration.png

part2: $(STAMP)
	$(PY) -m experiments.depth --output_dir=$(RUNS)/depth
	$(PY) -m experiments.depth --inputs=gaussian --output_dir=$(RUNS)/depth_gaussian
	$(PY) -m experiments.deep_relu --output_dir=$(RUNS)/deep_relu
	$(PY) -m experiments.deep_relu --mode=sensitivity --output_dir=$(RUNS)/deep_relu_depths
	$(PY) -m experiments.sweep --output_dir=$(RUNS)/sweep

doctor: $(STAMP)
	$(PY) -m experiments.doctor --init=zeros --output_dir=$(RUNS)/doctor_zeros
	$(PY) -m experiments.doctor --init=he_normal --output_dir=$(RUNS)/doctor_he

report: $(STAMP)
	$(PY) -m experiments.report --output_dir=$(REPORT) --workers=$(WORKERS)

# Publishes what tests/report_test.py checks: results.json, report.md and
# its figures (the HTML page embeds them and stays in report/).
docs: $(STAMP)
	$(PY) -m experiments.report --output_dir=$(REPORT) --workers=$(WORKERS) --readme=README.md
	rm -rf docs/results
	mkdir -p docs/results/figures
	cp $(REPORT)/results.json $(REPORT)/report.md docs/results/
	cp $(REPORT)/figures/*.png docs/results/figures/

bench: $(STAMP)
	$(PY) -m benchmarks.reproduction_bench
	$(PY) -m benchmarks.initializers_bench
	$(PY) -m benchmarks.sweep_engines_bench
	$(PY) -m benchmarks.monitoring_bench
	$(PY) -m benchmarks.doctor_bench
	$(PY) -m benchmarks.repair_bench

lint: $(STAMP)
	$(VENV)/bin/ruff check keras_initstudy experiments tests benchmarks
	$(VENV)/bin/ruff format --check keras_initstudy experiments tests benchmarks

clean:
	rm -rf $(VENV) $(RUNS) $(REPORT) *.egg-info
