# The two commands of README.md: `make run` and `make test`.
# Everything they need is installed from here, on a fresh Debian machine with
# Python >= 3.11 (system packages with apt-get, as root or with sudo).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

# WeasyPrint needs Pango; the browser tests need Chromium; pdftoppm (poppler)
# turns PDFs into images for looking at them.
RUN_SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
TEST_SYSTEM_PACKAGES := $(RUN_SYSTEM_PACKAGES) chromium poppler-utils

.PHONY: run demo-national test lint system-packages-run system-packages-test clean bench

run: system-packages-run $(VENV)/.installed-run
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Serving on http://127.0.0.1:8000 with a Celery worker and beat. Ctrl-C stops all of them."
	$(VENV)/bin/honcho start -f Procfile.dev

# England's schools for the impact analysis (the England row and the matched
# comparison's pool): the shipped national KS2/KS4 files and their illustrative
# 2023-2025 results. A few minutes on SQLite, so a step of its own; run it once,
# then `make run` (which keeps them).
demo-national: system-packages-run $(VENV)/.installed-run
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --national

test: system-packages-test $(VENV)/.installed-test
	bash scripts/run_tests.sh

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .

system-packages-run:
	@bash scripts/system_packages.sh $(RUN_SYSTEM_PACKAGES)

system-packages-test:
	@bash scripts/system_packages.sh $(TEST_SYSTEM_PACKAGES)

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

# Performance evidence at national scale (docs/performance.md). Needs
# PostgreSQL and Redis on 127.0.0.1; see scripts/bench/run.sh.
bench: system-packages-run $(VENV)/.installed-bench
	@bash scripts/system_packages.sh wrk
	bash scripts/bench/run.sh

$(VENV)/.installed-bench: requirements.txt requirements-bench.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements-bench.txt
	touch $@

clean:
	rm -rf $(VENV) var db.sqlite3 .pytest_cache .ruff_cache .mypy_cache
