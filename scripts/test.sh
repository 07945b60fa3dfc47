#!/usr/bin/env bash
# Runs the suite on SQLite, then again on a throwaway PostgreSQL server.
# Outside CI, a machine without PostgreSQL binaries or Chromium skips those parts with a notice;
# with CI=true, both are required and their absence fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
# -rfEs: list failures, errors and skip reasons (a skipped browser run must be visible).
# -p no:playwright: the browser fixtures are our own (tests/e2e/conftest.py); a pytest-playwright
# left in a local venv would otherwise re-parametrize them. Harmless where it is not installed.
PYTEST=($PY -m pytest -q -rfEs -p no:cacheprovider -p no:playwright)

echo "== 测试（SQLite） =="
"${PYTEST[@]}" "$@"

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  if [ "${CI:-}" = "true" ]; then echo "CI 需要 PostgreSQL，但未找到 initdb" >&2; exit 1; fi
  echo "未安装 PostgreSQL，跳过 PostgreSQL 测试（apt-get install postgresql 后再运行 make test）"
  exit 0
fi

echo "== 测试（PostgreSQL） =="
# This pass also runs the production smoke test (tests/smoke, marker `production`): it creates its own
# database on this server and drives gunicorn -w 3 plus the scheduler process over HTTP.
# A free port unless one is given, so parallel runs on one machine do not collide.
PGPORT=${CRM_TEST_PGPORT:-$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
PGDATA=$(mktemp -d /tmp/crm-pgdata.XXXXXX)
if [ "$(id -u)" = 0 ]; then chown postgres: "$PGDATA"; AS="runuser -u postgres --"; else AS=""; fi
$AS "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
$AS "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
  -o "-p $PGPORT -c listen_addresses=127.0.0.1 -k $PGDATA -c fsync=off -c synchronous_commit=off" start >/dev/null
trap '$AS "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1; rm -rf "$PGDATA"' EXIT
"$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres crm_test
TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/crm_test" \
  "${PYTEST[@]}" "$@"
