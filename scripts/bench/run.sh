#!/usr/bin/env bash
# `make bench`: national-scale data on PostgreSQL, gunicorn with the production
# settings, locust on each key page (paced), wrk on each at saturation beside a
# bare Django view, query counts at 1x and 10x, the impact
# report against WeasyPrint. Prints the table and writes docs/performance.md.
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust authentication) and
# Redis on 127.0.0.1:6379. The database lle_bench is dropped and made again on
# every run; Redis database 12 is emptied. Nothing else is touched.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
started=$(date +%s)

export DJANGO_SETTINGS_MODULE=lle_portal.settings.production
export BENCH_DB="${BENCH_DB:-lle_bench}"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$BENCH_DB"
export REDIS_URL="redis://127.0.0.1:6379/12"
# A throwaway key: the bench's sessions are useless anywhere else.
export DJANGO_SECRET_KEY="bench-$($PY -c 'import secrets; print(secrets.token_urlsafe(48))')"
export DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver"
export SITE_URL="https://127.0.0.1"
export LLE_VAR_DIR="$(mktemp -d /tmp/lle-bench.XXXXXX)"
export DJANGO_MEDIA_ROOT="$LLE_VAR_DIR/media"
export BENCH_DIR="$PWD/var/bench"
trap 'rm -rf "$LLE_VAR_DIR"' EXIT

step() { echo; echo "== $* ($(( $(date +%s) - started )) s)"; }

step "PostgreSQL and Redis"
$PY - <<'PYEOF'
import sys, psycopg2, redis
try:
    psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=3).close()
except Exception as error:
    sys.exit(f"make bench needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust authentication): {error}")
try:
    redis.Redis.from_url("redis://127.0.0.1:6379/12", socket_connect_timeout=3).flushdb()
except Exception as error:
    sys.exit(f"make bench needs Redis on 127.0.0.1:6379 (the production settings use it for cache and Celery): {error}")
print("  both answer")
PYEOF

step "database $BENCH_DB (dropped and made again), migrations, collectstatic"
$PY - <<'PYEOF'
import os, psycopg2
name = os.environ["BENCH_DB"]
connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
connection.autocommit = True
with connection.cursor() as cursor:
    cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    cursor.execute(f'CREATE DATABASE "{name}"')
PYEOF
$PY manage.py migrate --noinput -v0
$PY manage.py collectstatic --noinput -v0
rm -rf "$BENCH_DIR" && mkdir -p "$BENCH_DIR"

step "national data set (1x)"
$PY -m scripts.bench.bench load

# The overview is counted computing its lists, not reading them from the cache.
step "query counts at 1x"
DEPLOYMENTS_OVERVIEW_CACHE_SECONDS=0 $PY -m scripts.bench.bench queries 1x 2>"$BENCH_DIR/queries_1x.log"

step "load test: gunicorn + locust"
$PY -m scripts.bench.loadtest

step "throughput at saturation: wrk against the portal and a bare Django view"
$PY -m scripts.bench.saturation

step "impact report"
$PY -m scripts.bench.bench impact 2>"$BENCH_DIR/impact.log" || echo "  impact report: failed (see $BENCH_DIR/impact.log)"

step "10x data: 9 more units"
$PY -m scripts.bench.bench grow 9

step "query counts at 10x"
DEPLOYMENTS_OVERVIEW_CACHE_SECONDS=0 $PY -m scripts.bench.bench queries 10x 2>"$BENCH_DIR/queries_10x.log"

step "table"
$PY -m scripts.bench.bench report
echo "make bench took $(( $(date +%s) - started )) s."
