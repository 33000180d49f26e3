#!/usr/bin/env bash
# Runs every test. The test harness uses TOM_TEST_DATABASE_URL when set; otherwise a postgres:15
# container through Testcontainers when a Docker engine answers; otherwise a throwaway PostgreSQL
# cluster from the machine's binaries (installed with apt when missing).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=lib/postgres.sh
source "$root/scripts/lib/postgres.sh"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "!! the .NET SDK 10 is required (dotnet on PATH)" >&2
  exit 1
fi
if [ -z "${TOM_TEST_DATABASE_URL:-}" ]; then
  if pg_bin_dir >/dev/null || [ "$(id -u)" -eq 0 ] || { [ -z "${DOCKER_HOST:-}" ] && [ ! -S /var/run/docker.sock ]; }; then
    pg_ensure_binaries
    export TOM_TEST_PG_BIN="$PG_BIN"
  else
    # No binaries and no rights to install them, but a Docker engine may answer: the harness
    # takes the Testcontainers path (and says so, or says what is missing).
    echo ">> no PostgreSQL binaries; leaving it to the harness's Docker path" >&2
    PG_BIN=""
  fi
  TOM_TEST_PG_ROOT=$(mktemp -d /tmp/tom-test-pg.XXXXXX)
  chmod 755 "$TOM_TEST_PG_ROOT"
  export TOM_TEST_PG_ROOT
  cleanup() {
    for data in "$TOM_TEST_PG_ROOT"/*/; do
      [ -n "$PG_BIN" ] && [ -f "$data/PG_VERSION" ] && pg_as_owner "$PG_BIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    done
    rm -rf "$TOM_TEST_PG_ROOT"
  }
  trap cleanup EXIT
fi

# The limits' Redis store is tested against a real redis-server on loopback (Support/RedisServer.cs): installed
# with apt when missing and we may (root), the way PostgreSQL's binaries are.
if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo ">> redis-server not found; installing it with apt-get" >&2
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server; } >&2 \
    || echo "!! could not install redis-server: the Redis limit tests will fail and say so; the rest runs" >&2
fi

log=$(mktemp /tmp/tom-test-log.XXXXXX)
# The harness appends the path it took ("PostgreSQL for tests: ...") here; printed again before the closing line.
TOM_TEST_REPORT_FILE=$(mktemp /tmp/tom-test-report.XXXXXX)
export TOM_TEST_REPORT_FILE
set +e
dotnet test "$root/TheOpenMoney.sln" -c Release --nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One plain closing line: "N passed, N failed, N skipped".
count() { grep -E "^\s*$1:\s*[0-9]+" "$log" | tail -n 1 | grep -oE '[0-9]+' || echo 0; }
sort -u "$TOM_TEST_REPORT_FILE"
# A failure scrolls far above the end of a long run, and CI keeps only the tail: each failed test's
# name and the first lines of its message and stack are printed again here.
if grep -qE '^\s*Failed [A-Za-z]' "$log"; then
  echo "== failed tests (again, from above) =="
  awk '/^[[:space:]]*Failed [A-Za-z]/ { on = 1; n = 0 }
       on && /^[[:space:]]*(Passed|Skipped) [A-Za-z]/ { on = 0 }
       on && n < 30 { print; n++ }' "$log"
fi
if grep -qE '^\s*Total tests:' "$log"; then
  echo "$(count Passed) passed, $(count Failed) failed, $(count Skipped) skipped"
fi
rm -f "$log" "$TOM_TEST_REPORT_FILE"
exit "$status"
