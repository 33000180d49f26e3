#!/usr/bin/env bash
# Runs the TypeScript client check (clients/typescript-check) end to end on a fresh machine:
# builds the API and the simulator once, starts a private PostgreSQL, the payment-processor simulator and
# the API on 127.0.0.1 (their own ports and a fresh state folder in .local/typescript-check, so a service
# started by scripts/run.sh is left alone; webhooks to a local receiver allowed), creates a partner's live
# key and test-mode key (`--test`) with the operator CLI, then
# `npm ci`, `npm run generate`, `npm run typecheck` and `npm run day` (the day runs even when the
# typecheck fails). Stops everything it started; exits 0 only when both passed. Bounded:
# TOM_TS_CHECK_TIMEOUT seconds overall (default 600).
#
# It does what scripts/run.sh does, minus the build inside (done once here, under a lock when `flock`
# exists) and with a lower order-creation rate limit so the day can reach 429 cheaply.
#
# Environment (all optional):
#   TOM_TS_API_PORT (18080), TOM_TS_SIM_PORT (18081), TOM_TS_PG_PORT (55532), TOM_TS_METRICS_PORT (19464)
#   TOM_TS_CHECK_TIMEOUT (600)  TOM_TS_SKIP_BUILD=1 (use binaries already built in Release)
#   TOM_TS_SERVE_ONLY=1 (start the service, print the day's environment, wait: for working on the day)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=lib/postgres.sh
source "$root/scripts/lib/postgres.sh"
# shellcheck source=lib/process.sh
source "$root/scripts/lib/process.sh"
# shellcheck source=lib/stack.sh
source "$root/scripts/lib/stack.sh"

client="$root/clients/typescript-check"
api_port=${TOM_TS_API_PORT:-18080}
sim_port=${TOM_TS_SIM_PORT:-18081}
pg_port=${TOM_TS_PG_PORT:-55532}
metrics_port=${TOM_TS_METRICS_PORT:-19464}
api_url="http://127.0.0.1:$api_port"
sim_url="http://127.0.0.1:$sim_port"
timeout_s=${TOM_TS_CHECK_TIMEOUT:-600}
state="$root/.local/typescript-check"

for tool in dotnet node npm curl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "!! $tool is required on PATH" >&2
    exit 1
  fi
done

stack_guard typescript-check "$timeout_s"

if [ "${TOM_TS_SKIP_BUILD:-}" != 1 ]; then stack_build "$root"; fi
# The day creates a handful of orders, then exceeds the order-creation limit to see 429 RATE_LIMITED.
export RateLimiting__OrderCreationPerKeyPerMinute=${RateLimiting__OrderCreationPerKeyPerMinute:-12}
export RateLimiting__PerKeyPerMinute=${RateLimiting__PerKeyPerMinute:-600}
# The test-mode day registers a webhook endpoint on this machine over http (its receiver on 127.0.0.1).
export Webhooks__AllowInsecureUrls=true Webhooks__AllowPrivateNetworks=true
stack_up "$root" "$state" "$pg_port" "$sim_url" "$api_url" "$metrics_port"
key=$(api keys create --telegram-user-id 1000001 --username ts-check 2>"$state/keys.log") || { cat "$state/keys.log" >&2; exit 1; }
# The same partner's test-mode key (osk_test_…: its test twin, simulated money, the sandbox routes).
test_key=$(api keys create --telegram-user-id 1000001 --username ts-check --test 2>>"$state/keys.log") || { cat "$state/keys.log" >&2; exit 1; }
# A second partner's key (for 404 across partners).
other_key=$(api keys create --telegram-user-id 1000002 --username ts-check-other 2>>"$state/keys.log")

if [ "${TOM_TS_SERVE_ONLY:-}" = 1 ]; then
  printf 'TOM_API_URL=%s TOM_SIM_URL=%s TOM_API_KEY=%s TOM_TEST_API_KEY=%s TOM_OTHER_API_KEY=%s TOM_ORDER_RATE_LIMIT=%s\n' \
    "$api_url" "$sim_url" "$key" "$test_key" "$other_key" "$RateLimiting__OrderCreationPerKeyPerMinute" | tee "$state/env"
  echo ">> serving until stopped (Ctrl+C) or the deadline"
  wait "$api_pid"
  exit 0
fi

cd "$client"
echo ">> npm ci"
timeout "$(left)" npm ci --no-audit --no-fund --loglevel=error
echo ">> npm run generate"
TOM_API_URL="$api_url" timeout "$(left)" npm run --silent generate
echo ">> npm run typecheck (lint, then tsc --noEmit, strict)"
typecheck_status=0
timeout "$(left)" npm run --silent typecheck || typecheck_status=$?
# The day runs even when the typecheck fails: tsx does not typecheck, and both results are worth having.
echo ">> npm run day"
day_status=0
TOM_API_URL="$api_url" TOM_SIM_URL="$sim_url" TOM_API_KEY="$key" TOM_TEST_API_KEY="$test_key" TOM_OTHER_API_KEY="$other_key" \
  TOM_ORDER_RATE_LIMIT="$RateLimiting__OrderCreationPerKeyPerMinute" \
  timeout "$(left)" npm run --silent day || day_status=$?
result() { if [ "$1" -eq 0 ]; then echo OK; else echo "FAILED ($1)"; fi; }
echo ">> typescript-check: typecheck $(result "$typecheck_status"), day $(result "$day_status")"
if [ "$typecheck_status" -ne 0 ]; then exit "$typecheck_status"; fi
exit "$day_status"
