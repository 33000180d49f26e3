#!/usr/bin/env bash
# Benchmarks (not tests): builds Release, starts a throwaway PostgreSQL, the simulator and the API on
# loopback, runs wrk and pgbench side by side, and writes bench/results/<time>.json and bench/RESULTS.md.
# Bounded: about 10 minutes. BENCH_DURATION (seconds per wrk/pgbench run, default 15) and
# BENCH_SIZES (default "10000 100000 1000000") shorten it; BENCH_PHASES (a subset of
# "reads create detection webhooks refunds instances") runs part of it into bench/results/partial/ without rendering the report.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/scripts/lib/postgres.sh"
pg_ensure_binaries
if ! command -v wrk >/dev/null 2>&1 || ! command -v pgbench >/dev/null 2>&1; then
  echo ">> installing wrk and pgbench with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends wrk postgresql-client >&2
fi
export PG_BIN
python3 "$root/bench/run.py" "$@"
if [[ -z "${BENCH_PHASES:-}" ]]; then
  python3 "$root/bench/render.py"
fi
