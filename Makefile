# The two commands a newcomer needs: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_LEADS ?= 2000
PYTEST_ARGS ?=

.PHONY: run test test-fast test-sqlite test-postgres lint install browser-deps db-upgrade demo clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "leadapp needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,pg,redis]'
	@touch $@

install: $(BIN)/.installed

instance/secret_key:
	@mkdir -p instance
	@$(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $@
	@chmod 600 $@

db-upgrade: install instance/secret_key
	$(FLASK) db upgrade

demo: db-upgrade
	$(FLASK) demo seed --leads $(DEMO_LEADS) --if-empty

## Run the app on SQLite with demo data at http://$(HOST):$(PORT)
run: demo
	@echo ""
	@echo "  leadapp is starting at http://$(HOST):$(PORT)/login"
	@echo "  Sign in as admin@demo.leadapp.example with the password demo-password"
	@echo "  (also manager@, sales@ and marketeer@demo.leadapp.example, same password)."
	@echo ""
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile - wsgi:app

## Debian's Chromium drives the browser tests (Playwright never downloads a browser here).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Debian's chromium first: sudo apt-get install -y chromium"; exit 1; fi; }

## The whole test suite: SQLite always, and PostgreSQL too when TEST_DATABASE_URL is set.
test: install browser-deps
	@echo "== SQLite (with the browser tests)"
	env -u TEST_DATABASE_URL $(BIN)/pytest -q $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on $$TEST_DATABASE_URL (browser tests already ran against their own server)"; \
	  $(BIN)/pytest -q -m "not browser" -p no:cacheprovider $(PYTEST_ARGS); \
	fi

## The fast suite without the browser.
test-fast: install
	$(BIN)/pytest -q -m "not browser" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check leadapp tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
