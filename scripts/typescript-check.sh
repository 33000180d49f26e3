#!/usr/bin/env bash
# Runs the TypeScript client check (clients/typescript-check) end to end on a fresh machine:
# builds the API and the simulator once, starts a private PostgreSQL, the payment-processor simulator and
# the API on 127.0.0.1 (their own ports and a fresh state folder in .local/typescript-check, so a service
# started by scripts/run.sh is left alone), creates a partner key with the operator CLI, then
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

client="$root/clients/typescript-check"
api_port=${TOM_TS_API_PORT:-18080}
sim_port=${TOM_TS_SIM_PORT:-18081}
pg_port=${TOM_TS_PG_PORT:-55532}
metrics_port=${TOM_TS_METRICS_PORT:-19464}
api_url="http://127.0.0.1:$api_port"
sim_url="http://127.0.0.1:$sim_port"
timeout_s=${TOM_TS_CHECK_TIMEOUT:-600}
state="$root/.local/typescript-check"
deadline=$((SECONDS + timeout_s))

for tool in dotnet node npm curl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "!! $tool is required on PATH" >&2
    exit 1
  fi
done

started_pg=""
sim_pid=""
api_pid=""
watchdog_pid=""

cleanup() {
  local status=$?
  set +e
  trap '' INT TERM
  echo ">> stopping" >&2
  if [ -n "$watchdog_pid" ]; then kill "$watchdog_pid" 2>/dev/null; wait "$watchdog_pid" 2>/dev/null; fi
  stop_child "$api_pid"
  stop_child "$sim_pid"
  if [ -n "$started_pg" ]; then pg_stop_cluster "$started_pg" || true; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The overall bound: past the deadline the watchdog signals this shell, whose trap stops everything.
# Stopping the watchdog stops its sleep too.
(
  trap 'kill "$sleep_pid" 2>/dev/null; exit 0' TERM
  sleep "$timeout_s" &
  sleep_pid=$!
  wait "$sleep_pid"
  echo "!! typescript-check: over ${timeout_s}s, stopping" >&2
  kill -TERM $$
) &
watchdog_pid=$!

# left: seconds before the deadline (at least 1).
left() { local l=$((deadline - SECONDS)); echo $((l > 0 ? l : 1)); }

if [ "${TOM_TS_SKIP_BUILD:-}" != 1 ]; then
  echo ">> building (Release)"
  build=(dotnet build "$root/TheOpenMoney.sln" -c Release --nologo -v quiet -clp:ErrorsOnly)
  # Other builds on this machine take the same lock (2 cores); without flock, build directly.
  if command -v flock >/dev/null 2>&1; then flock /tmp/tom-build.lock "${build[@]}"; else "${build[@]}"; fi
fi
api_dir="$root/src/TheOpenMoney.Api/bin/Release/net10.0"
sim_dir="$root/src/TheOpenMoney.Simulators/bin/Release/net10.0"

# A fresh state for every run: the database and the simulator start empty together.
pg_ensure_binaries
if [ -f "$state/pgdata/PG_VERSION" ]; then pg_stop_cluster "$state/pgdata" || true; fi
rm -rf "$state"
mkdir -p "$state"
chmod 755 "$root/.local" "$state"
echo ">> starting PostgreSQL on 127.0.0.1:$pg_port (data in .local/typescript-check/pgdata)"
PG_FSYNC=off pg_start_cluster "$state/pgdata" "$pg_port"
started_pg="$state/pgdata"
pg_create_database "$pg_port" theopenmoney

secret() { head -c 48 /dev/urandom | base64 | tr -d '\n=+/'; }
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=theopenmoney"
export ApiKeys__Pepper ASPNETCORE_ENVIRONMENT=Development Management__Urls="http://127.0.0.1:$metrics_port"
ApiKeys__Pepper=$(secret)
export PaymentProcessor__BaseUrl="$sim_url" PaymentProcessor__ApiToken PaymentProcessor__WebhookToken
PaymentProcessor__ApiToken=$(secret)
PaymentProcessor__WebhookToken=$(secret)
export Supplier__Mode=Http Supplier__BaseUrl="$sim_url/supplier" Supplier__ApiKey TonRamp__BaseUrl="$sim_url" TonRamp__MerchantId=demo-merchant
Supplier__ApiKey=$(secret)
export Webhooks__SecretKey
Webhooks__SecretKey=$(head -c 32 /dev/urandom | base64 | tr -d '\n')
# The day creates a handful of orders, then exceeds the order-creation limit to see 429 RATE_LIMITED.
export RateLimiting__OrderCreationPerKeyPerMinute=${RateLimiting__OrderCreationPerKeyPerMinute:-12}
export RateLimiting__PerKeyPerMinute=${RateLimiting__PerKeyPerMinute:-600}
export PaymentProcessor__PollInterval=${PaymentProcessor__PollInterval:-00:00:01}

echo ">> starting the payment-processor simulator on $sim_url"
(cd "$sim_dir" && \
  Simulator__ApiToken="$PaymentProcessor__ApiToken" \
  Simulator__WebhookEndpoint="$api_url/internal/processor/webhook" \
  Simulator__WebhookToken="$PaymentProcessor__WebhookToken" \
  Simulator__SupplierApiKey="$Supplier__ApiKey" \
  exec dotnet TheOpenMoney.Simulators.dll --urls "$sim_url") >"$state/simulator.log" 2>&1 &
sim_pid=$!

api() { (cd "$api_dir" && dotnet TheOpenMoney.Api.dll "$@"); }
api migrate 2>"$state/migrate.log" || { cat "$state/migrate.log" >&2; exit 1; }
key=$(api keys create --telegram-user-id 1000001 --username ts-check 2>"$state/keys.log") || { cat "$state/keys.log" >&2; exit 1; }
# A key that is well formed but not issued (for 401 checks), and a second partner's key (for 404 across partners).
other_key=$(api keys create --telegram-user-id 1000002 --username ts-check-other 2>>"$state/keys.log")

echo ">> starting the API on $api_url (log in .local/typescript-check/api.log)"
(cd "$api_dir" && exec dotnet TheOpenMoney.Api.dll --urls "$api_url") >"$state/api.log" 2>&1 &
api_pid=$!

echo ">> waiting for $api_url/api/v1/health"
until curl -fs -o /dev/null "$api_url/api/v1/health"; do
  if ! kill -0 "$api_pid" 2>/dev/null || ! kill -0 "$sim_pid" 2>/dev/null; then
    echo "!! the API or the simulator exited; see .local/typescript-check/*.log" >&2
    tail -n 30 "$state/api.log" "$state/simulator.log" >&2
    exit 1
  fi
  if [ "$(left)" -le 1 ]; then echo "!! the API did not become healthy in time" >&2; exit 1; fi
  sleep 1
done

if [ "${TOM_TS_SERVE_ONLY:-}" = 1 ]; then
  printf 'TOM_API_URL=%s TOM_SIM_URL=%s TOM_API_KEY=%s TOM_OTHER_API_KEY=%s TOM_ORDER_RATE_LIMIT=%s\n' \
    "$api_url" "$sim_url" "$key" "$other_key" "$RateLimiting__OrderCreationPerKeyPerMinute" | tee "$state/env"
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
TOM_API_URL="$api_url" TOM_SIM_URL="$sim_url" TOM_API_KEY="$key" TOM_OTHER_API_KEY="$other_key" \
  TOM_ORDER_RATE_LIMIT="$RateLimiting__OrderCreationPerKeyPerMinute" \
  timeout "$(left)" npm run --silent day || day_status=$?
result() { if [ "$1" -eq 0 ]; then echo OK; else echo "FAILED ($1)"; fi; }
echo ">> typescript-check: typecheck $(result "$typecheck_status"), day $(result "$day_status")"
if [ "$typecheck_status" -ne 0 ]; then exit "$typecheck_status"; fi
exit "$day_status"
