# stockwatch: `make run` serves the store on 127.0.0.1:8000, `make test` runs every test.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstalled whenever pyproject.toml changes.
STAMP := $(VENV)/.installed-stamp

HOST ?= 127.0.0.1
PORT ?= 8000
#: Seconds of silence before daphne pings a WebSocket, and the wait for its answer.
STOCKWATCH_HEARTBEAT ?= 20
STOCKWATCH_PING_TIMEOUT ?= 30
PYTEST_ARGS ?=
#: make bench: subscribers per run, changes per run, and more options for bench/compare.py.
BENCH_CLIENTS ?= 100 1000 5000 10000
BENCH_CHANGES ?= 20
BENCH_ARGS ?=
#: make run-cluster: daphne processes behind Redis on PostgreSQL, and the first port (0: free).
CLUSTER_PROCESSES ?= 2
CLUSTER_PORT ?= 0

.PHONY: venv run run-cluster test lint format browsers axe bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

run: export DJANGO_DEBUG ?= 1
run: export STOCKWATCH_HEARTBEAT := $(STOCKWATCH_HEARTBEAT)
run: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@# The email worker runs beside the server and stops with it.
	$(BIN)/python manage.py send_notifications & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/python -m daphne -b $(HOST) -p $(PORT) \
		--ping-interval $(STOCKWATCH_HEARTBEAT) --ping-timeout $(STOCKWATCH_PING_TIMEOUT) \
		config.asgi:application

# DATABASE_URL (default postgres://postgres@127.0.0.1:5432/stockwatch, created if missing),
# REDIS_URL (default redis://127.0.0.1:6379/0), STOCKWATCH_CHANNEL_LAYER=core|pubsub.
run-cluster: venv
	exec $(BIN)/python bench/cluster.py --processes $(CLUSTER_PROCESSES) --port $(CLUSTER_PORT) \
		--heartbeat $(STOCKWATCH_HEARTBEAT) --ping-timeout $(STOCKWATCH_PING_TIMEOUT)

test: venv browsers axe
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# axe-core, the accessibility engine the browser tests inject, from the npm registry.
axe:
	bash scripts/install-axe.sh

# The browser tests drive Debian's Chromium through its chromedriver.
browsers:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
		$$sudo apt-get update && \
		$$sudo env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y --no-install-recommends chromium chromium-driver; \
	fi

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Fan-out of stockwatch, the naive baseline and the floor side by side; see bench/README.md.
bench: venv
	$(BIN)/python -m bench.compare --clients $(BENCH_CLIENTS) --changes $(BENCH_CHANGES) \
		--markdown $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
