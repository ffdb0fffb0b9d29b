#!/usr/bin/env bash
# `make bench`: national-scale data on PostgreSQL, gunicorn with the production
# settings, locust on each key page (paced), wrk on each at saturation beside a
# bare Django view, query counts at 1x and 10x, the impact
# report against WeasyPrint. Prints the table and writes docs/performance.md.
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust authentication) and
# Redis on 127.0.0.1:6379. The database lle_bench is dropped and made again on
# every run; Redis database 12 is emptied. Nothing else is touched.
#
# Sub-commands reuse a loaded database, to measure again after a change
# without loading the data each time:
#   run.sh             everything, as above
#   run.sh load        $BENCH_DB made again with the 1x data, sessions, pages
#   run.sh saturation  migrations, fresh sessions, wrk at saturation, the table
#   run.sh queries     query counts and times at 1x, and at 10x on a copy
#                      ${BENCH_DB}_10x (made from $BENCH_DB and grown once), the table
#   run.sh paced       query counts at 1x, then locust's paced load, the table
#   run.sh report      the table from the figures in var/bench
# A saturation.json copied to var/bench/saturation_before.json is shown beside
# the next runs' figures ("before" columns).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
started=$(date +%s)

export DJANGO_SETTINGS_MODULE=lle_portal.settings.production
export BENCH_DB="${BENCH_DB:-lle_bench}"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$BENCH_DB"
export REDIS_URL="redis://127.0.0.1:6379/12"
# A throwaway key: the bench's sessions are useless anywhere else. BENCH_SECRET_KEY
# keeps one across sub-commands (to run scripts/bench/profile.py on their sessions).
export DJANGO_SECRET_KEY="${BENCH_SECRET_KEY:-bench-$($PY -c 'import secrets; print(secrets.token_urlsafe(48))')}"
export DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver"
export SITE_URL="https://127.0.0.1"
export LLE_VAR_DIR="$(mktemp -d /tmp/lle-bench.XXXXXX)"
export DJANGO_MEDIA_ROOT="$LLE_VAR_DIR/media"
export BENCH_DIR="$PWD/var/bench"
trap 'rm -rf "$LLE_VAR_DIR"' EXIT

step() { echo; echo "== $* ($(( $(date +%s) - started )) s)"; }

COMMAND="${1:-all}"
case "$COMMAND" in all|load|saturation|queries|paced|report) ;; *) echo "unknown sub-command: $COMMAND" >&2; exit 2;; esac

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

# Drops and makes again database $1 (empty, or a copy of database $2).
make_database() {
    $PY - "$@" <<'PYEOF'
import sys, psycopg2
name, template = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
connection.autocommit = True
with connection.cursor() as cursor:
    cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    cursor.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
PYEOF
}

psql_admin() {
    $PY - "$1" <<'PYEOF'
import sys, psycopg2
connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
connection.autocommit = True
with connection.cursor() as cursor:
    cursor.execute(sys.argv[1])
PYEOF
}

database_exists() {
    $PY - "$1" <<'PYEOF'
import sys, psycopg2
connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
with connection.cursor() as cursor:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [sys.argv[1]])
    sys.exit(0 if cursor.fetchone() else 1)
PYEOF
}

load() {
    step "database $BENCH_DB (dropped and made again), migrations, collectstatic"
    make_database "$BENCH_DB"
    $PY manage.py migrate --noinput -v0
    $PY manage.py collectstatic --noinput -v0
    rm -rf "$BENCH_DIR" && mkdir -p "$BENCH_DIR"

    step "national data set (1x)"
    $PY -m scripts.bench.bench load
}

# A later sub-command on the loaded database: the branch's migrations (new
# indexes) and static files, and sessions made again (this run's secret key,
# the session store of the settings as they are now).
reuse() {
    if ! database_exists "$BENCH_DB" || [ ! -f "$BENCH_DIR/plan.json" ]; then
        echo "No loaded database $BENCH_DB: run \`scripts/bench/run.sh load\` first." >&2
        exit 1
    fi
    step "database $BENCH_DB (kept): migrations, collectstatic, sessions"
    $PY manage.py migrate --noinput -v0
    $PY manage.py collectstatic --noinput -v0
    $PY -m scripts.bench.bench plan
}

# Pages are counted and timed computing their content, not reading it from the
# cache (the overview's lists, the whole-page cache of lle_portal/page_cache.py).
queries_at() {
    step "query counts and times at $1"
    DEPLOYMENTS_OVERVIEW_CACHE_SECONDS=0 LLE_PAGE_CACHE_SECONDS=0 $PY -m scripts.bench.bench queries "$1" 2>"$BENCH_DIR/queries_$1.log"
}

saturation() {
    step "throughput at saturation: wrk against the portal and a bare Django view"
    $PY -m scripts.bench.saturation
}

report() {
    step "table"
    $PY -m scripts.bench.bench report
}

case "$COMMAND" in
all)
    load
    queries_at 1x
    step "load test: gunicorn + locust"
    $PY -m scripts.bench.loadtest
    saturation
    step "impact report"
    $PY -m scripts.bench.bench impact 2>"$BENCH_DIR/impact.log" || echo "  impact report: failed (see $BENCH_DIR/impact.log)"
    step "10x data: 9 more units"
    $PY -m scripts.bench.bench grow 9
    queries_at 10x
    report
    ;;
load)
    load
    ;;
saturation)
    reuse
    saturation
    report
    ;;
queries)
    reuse
    queries_at 1x
    ten="${BENCH_DB}_10x"
    if ! database_exists "$ten"; then
        step "10x data: a copy of $BENCH_DB and 9 more units, in $ten (kept for later runs)"
        # Grown under another name, so that a failed run leaves no half-made $ten.
        make_database "${ten}_growing" "$BENCH_DB"
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/${ten}_growing" $PY -m scripts.bench.bench grow 9
        psql_admin "ALTER DATABASE \"${ten}_growing\" RENAME TO \"$ten\""
    fi
    (
        export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$ten"
        $PY manage.py migrate --noinput -v0
        $PY -m scripts.bench.bench plan
        queries_at 10x
    )
    # plan.json describes the 1x database again (its counts head the table).
    $PY -m scripts.bench.bench plan
    report
    ;;
paced)
    reuse
    queries_at 1x
    step "load test: gunicorn + locust"
    $PY -m scripts.bench.loadtest
    report
    ;;
report)
    report
    ;;
esac
echo "scripts/bench/run.sh $COMMAND took $(( $(date +%s) - started )) s."
