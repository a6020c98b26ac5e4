# Two commands do everything on a fresh machine:
#   make run   - venv + pinned dependencies + embedded workspace, then serve http://127.0.0.1:5000
#   make test  - the same set-up plus Debian chromium, then the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_ID := demo-chengdu-north
DEMO_WS := instance/workspaces/$(DEMO_ID)
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test setup sysdeps workspace serve-prod lint bench bench-web clean lock

run: setup workspace
	$(BIN)/python app.py --host $(HOST) --port $(PORT)

test: setup sysdeps
	$(BIN)/ruff check gis api layers app.py tests benchmarks
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: $(STAMP)

$(STAMP): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	touch $(STAMP)

# Debian packages the browser tests need (chromium); installs only when missing.
sysdeps:
	bash scripts/sysdeps.sh

workspace: $(DEMO_WS)/metadata.json

$(DEMO_WS)/metadata.json: $(STAMP) data/osm/chengdu_jinniu_xindu.osm.bz2 data/demo/boundary.geojson
	$(BIN)/python -m gis ingest --osm data/osm/chengdu_jinniu_xindu.osm.bz2 \
		--boundary data/demo/boundary.geojson --demo --out $(DEMO_WS)

serve-prod: setup workspace
	$(BIN)/gunicorn --workers 2 --threads 4 --timeout 120 --bind $(HOST):$(PORT) 'app:create_app()'

lint: setup
	$(BIN)/ruff check gis api layers app.py tests benchmarks

bench: setup workspace
	$(BIN)/python -m benchmarks.run_all

# load test of the production server on loopback (gunicorn, 2 workers; wrk when installed)
bench-web: setup workspace
	$(BIN)/python -m benchmarks.load_server --write-docs

lock:
	$(PYTHON) -m venv /tmp/gis-lock-venv
	/tmp/gis-lock-venv/bin/pip install -q -r requirements.in -r requirements-dev.in
	/tmp/gis-lock-venv/bin/pip freeze | grep -v -E '^(pip|setuptools|wheel)==' > requirements.lock

clean:
	rm -rf $(VENV) instance/workspaces .pytest_cache
