# Two commands do everything on a fresh machine:
#   make run   - venv + pinned dependencies + embedded workspace, then serve http://127.0.0.1:5000
#   make test  - the same set-up plus Debian chromium, then the whole test suite
#   make test-future - the suite (without the browser tests) with the clock a year ahead
# `make setup` installs the project in .venv in editable mode: .venv/bin/baicheng runs this tree.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_ID := demo-chengdu-north
DEMO_WS := instance/workspaces/$(DEMO_ID)
HOST ?= 127.0.0.1
PORT ?= 5000
# The suite runs on up to 4 cores (pytest-xdist; 1 core = in this process). On CI's 2 cores:
# 10.5 min instead of 21.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); if [ $$n -gt 4 ]; then n=4; fi; if [ $$n -lt 2 ]; then n=0; fi; echo $$n)
PYTEST_ARGS ?= -n $(TEST_WORKERS) --durations=15

.PHONY: run test test-future setup sysdeps workspace serve-prod lint bench bench-web clean lock

run: setup workspace
	$(BIN)/baicheng serve --host $(HOST) --port $(PORT)

test: setup sysdeps
	$(BIN)/ruff check gis api layers app.py tests benchmarks
	$(BIN)/ruff format --check gis api layers app.py tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite with the clock a year ahead (Debian's libfaketime), so that no test depends on the
# day it runs (issue 9); PostgreSQL, gunicorn and every other child process see the same clock.
# FAKETIME_DONT_FAKE_MONOTONIC=1: with a faked monotonic clock every timed lock or event wait
# blocks for the whole offset. scripts/faketime/sitecustomize.py works around libfaketime
# 0.9.10 rejecting time.sleep's monotonic deadline under that setting (EINVAL).
# Left out: the browser tests (-m "not browser"): chromium under libfaketime never finishes
# loading a page (Page.goto times out after 30 s). They run on the real clock in `make test`.
# Not part of `make test`: it runs the suite a second time (4-6 minutes on 2 shared cores).
FAKETIME_LIB ?= $(shell dpkg -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$$' | head -n 1)
FAKETIME_OFFSET ?= +365d
FAKETIME_ENV = FAKETIME="$(FAKETIME_OFFSET)" FAKETIME_DONT_FAKE_MONOTONIC=1 \
	LD_PRELOAD="$(FAKETIME_LIB)" PYTHONPATH=scripts/faketime

test-future: setup sysdeps
	test -n "$(FAKETIME_LIB)" || { echo "test-future: no libfaketime (apt-get install faketime)"; exit 1; }
	$(FAKETIME_ENV) $(BIN)/python -c "import datetime; print('test-future: today is', datetime.date.today())"
	$(FAKETIME_ENV) $(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Debian packages the browser tests need (chromium); installs only when missing.
sysdeps:
	bash scripts/sysdeps.sh

workspace: $(DEMO_WS)/metadata.json

$(DEMO_WS)/metadata.json: $(STAMP) data/osm/chengdu_jinniu_xindu.osm.bz2 data/demo/boundary.geojson
	$(BIN)/baicheng ingest --osm data/osm/chengdu_jinniu_xindu.osm.bz2 \
		--boundary data/demo/boundary.geojson --demo --out $(DEMO_WS)

serve-prod: setup workspace
	$(BIN)/gunicorn --workers 2 --threads 4 --timeout 120 --bind $(HOST):$(PORT) 'app:create_app()'

lint: setup
	$(BIN)/ruff check gis api layers app.py tests benchmarks
	$(BIN)/ruff format --check gis api layers app.py tests benchmarks
	$(BIN)/mypy

bench: setup workspace
	$(BIN)/python -m benchmarks.run_all

# load test of the production server on loopback (gunicorn, 2 workers; wrk when installed)
bench-web: setup workspace
	$(BIN)/python -m benchmarks.load_server --write-docs

lock:
	$(PYTHON) -m venv /tmp/gis-lock-venv
	/tmp/gis-lock-venv/bin/pip install -q -r requirements.in -r requirements-dev.in
	{ echo '# Pinned by `pip freeze` from requirements.in + requirements-dev.in (Python 3.11). Regenerate: see Makefile target lock.'; \
	  /tmp/gis-lock-venv/bin/pip freeze --all | grep -v -E '^(pip|wheel)=='; } > requirements.lock

clean:
	rm -rf $(VENV) instance/workspaces .pytest_cache build dist *.egg-info
