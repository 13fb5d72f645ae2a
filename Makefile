# agentblog: every set-up step lives here; .ci/run calls `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 4
BLOG_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
FLASK := $(BIN)/flask --app blog

.PHONY: serve test lint format init-db import-posts services bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

init-db: $(VENV)/.installed
	$(FLASK) init-db

import-posts: init-db
	$(FLASK) import-posts posts

serve: import-posts
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) \
		--access-logfile - 'blog:create_app()'

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# PostgreSQL and Redis run on every machine of this project; start them if they stopped.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || \
		redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
		--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true

# make exports command-line variables: clear BLOG_TEST_DATABASE_URL so the first run is SQLite.
test: import-posts lint services
	BLOG_TEST_DATABASE_URL= $(BIN)/pytest
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		echo "== again on PostgreSQL =="; \
		BLOG_TEST_DATABASE_URL=$(BLOG_TEST_DATABASE_URL) $(BIN)/pytest; \
	else echo "PostgreSQL does not answer on 127.0.0.1:5432: skipped the PostgreSQL run"; fi

bench: $(VENV)/.installed
	$(BIN)/python bench/pages.py

.PHONY: bench-publish
bench-publish: $(VENV)/.installed
	$(BIN)/python bench/publish.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
