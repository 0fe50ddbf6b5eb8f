# Both entry points create .venv and install what they need on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench install screenshots

$(BIN)/conexor: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/conexor

run: install
	$(BIN)/conexor demo

test: install
	@command -v rsyslogd >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsyslog rsyslog-gnutls; } \
	  || echo "note: rsyslog is not installed; the SIEM forwarding tests will be skipped"
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
	  || echo "note: chromium is not installed; the dashboard browser tests will be skipped"
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy --strict src

# Re-take the dashboard screenshots shown in the README (needs PostgreSQL and chromium).
screenshots: install
	CONEXOR_SCREENSHOTS=docs/images $(BIN)/python -m pytest -q tests/web/test_dashboard.py

bench: install
	$(BIN)/python bench/point_lookup.py
