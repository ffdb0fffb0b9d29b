#!/usr/bin/env bash
# `make test`: lint, Django's checks, migrations check, type check, then the whole suite.
#
# PostgreSQL and Redis are used when DATABASE_URL / REDIS_URL are set, or when
# they answer on their usual local ports; otherwise the suite runs on SQLite and
# skips the Redis tests, saying so. With LLE_REQUIRE_SERVICES=1 (CI) a missing
# server fails the run instead.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
export DJANGO_SETTINGS_MODULE=lle_portal.settings.test

answers() { "$VENV/bin/python" -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), timeout=1)" 2>/dev/null; }

if [ -z "${DATABASE_URL:-}" ] && answers 5432; then
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/lle_portal"
fi
if [ -z "${REDIS_URL:-}" ] && answers 6379; then
  # Database 15, so that tests never touch a development broker on database 0.
  export REDIS_URL="redis://127.0.0.1:6379/15"
fi
echo "Database: ${DATABASE_URL:-SQLite (no DATABASE_URL; PostgreSQL-only tests skipped)}"
echo "Redis:    ${REDIS_URL:-none (no REDIS_URL; Redis and worker tests skipped)}"

echo "== ruff"
"$VENV/bin/ruff" check .
echo "== manage.py check"
"$VENV/bin/python" manage.py check --fail-level WARNING
echo "== makemigrations --check"
"$VENV/bin/python" manage.py makemigrations --check --dry-run
echo "== mypy"
"$VENV/bin/mypy"
echo "== pytest"
"$VENV/bin/pytest" "$@"
