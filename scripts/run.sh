#!/usr/bin/env bash
# Runs the service locally: a local PostgreSQL (data in .local/, git-ignored) unless
# ConnectionStrings__Postgres is set, the payment-processor simulator on 127.0.0.1:8081 unless
# PaymentProcessor__BaseUrl is set, migrations, a demo partner whose key is printed, and the API
# with Swagger on http://127.0.0.1:8080. Ctrl+C (SIGINT) or SIGTERM stops all of them and exits 130/143.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=lib/postgres.sh
source "$root/scripts/lib/postgres.sh"
# shellcheck source=lib/process.sh
source "$root/scripts/lib/process.sh"

api_url=${TOM_API_URL:-http://127.0.0.1:8080}
state="$root/.local"
mkdir -p "$state"
chmod 755 "$state"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "!! the .NET SDK 10 is required (dotnet on PATH)" >&2
  exit 1
fi

started_pg=""
sim_pid=""
api_pid=""

# Runs on every exit (the end, an error, Ctrl+C, SIGTERM): stops the API, the simulator and the local
# PostgreSQL, whichever are still running (Ctrl+C may already have stopped some). No errexit in here, and
# a second Ctrl+C does not cut it short.
cleanup() {
  local status=$?
  set +e
  trap '' INT TERM
  if [ -n "$api_pid$sim_pid$started_pg" ]; then echo ">> stopping" >&2; fi
  stop_child "$api_pid"
  stop_child "$sim_pid"
  if [ -n "$started_pg" ]; then pg_stop_cluster "$started_pg" || true; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A database from before the simulator kept its state knows deposit addresses a fresh simulator does not.
if [ -z "${ConnectionStrings__Postgres:-}${PaymentProcessor__BaseUrl:-}" ] && [ -f "$state/pgdata/PG_VERSION" ] \
  && [ ! -e "$state/simulator-state.json" ]; then
  echo "!! .local/pgdata exists but .local/simulator-state.json does not: addresses the API already stored are" >&2
  echo "!! unknown to the simulator (injecting deposits to them fails); remove .local/pgdata to start afresh" >&2
fi

if [ -z "${ConnectionStrings__Postgres:-}" ]; then
  pg_ensure_binaries
  port=${TOM_PG_PORT:-55432}
  echo ">> starting local PostgreSQL on 127.0.0.1:$port (data in .local/pgdata)"
  pg_start_cluster "$state/pgdata" "$port"
  started_pg="$state/pgdata"
  pg_create_database "$port" theopenmoney
  export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$port;Username=postgres;Database=theopenmoney"
fi

# A local pepper, made once and kept in .local/ (production sets ApiKeys__Pepper from a secret store).
if [ -z "${ApiKeys__Pepper:-}" ]; then
  [ -s "$state/pepper" ] || (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n=+/' >"$state/pepper")
  ApiKeys__Pepper=$(cat "$state/pepper")
  export ApiKeys__Pepper
fi
# The key that encrypts webhook secrets at rest, made once (production sets Webhooks__SecretKey from a secret store).
if [ -z "${Webhooks__SecretKey:-}" ]; then
  [ -s "$state/webhook-secret-key" ] || (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n' >"$state/webhook-secret-key")
  Webhooks__SecretKey=$(cat "$state/webhook-secret-key")
  export Webhooks__SecretKey
fi
# Local runs deliver webhooks to receivers on this machine (http, 127.0.0.1): never set these in production.
export Webhooks__AllowInsecureUrls=${Webhooks__AllowInsecureUrls:-true} Webhooks__AllowPrivateNetworks=${Webhooks__AllowPrivateNetworks:-true}
export ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development}
# The bot's /help links to this API (the bot itself runs only when Telegram__BotToken is set).
export Telegram__PublicApiUrl=${Telegram__PublicApiUrl:-$api_url}
# The OpenAPI document names the address this run serves on (its `servers`), so Swagger UI and generated clients call it.
export Api__PublicUrl=${Api__PublicUrl:-$api_url}
if [ -n "${Telegram__BotToken:-}" ]; then bot_state="on (${Telegram__Mode:-Polling})"; else bot_state="off (set Telegram__BotToken)"; fi

echo ">> building (Release)"
dotnet build "$root/src/TheOpenMoney.Api/TheOpenMoney.Api.csproj" -c Release --nologo -v quiet -clp:ErrorsOnly
dotnet build "$root/src/TheOpenMoney.Simulators/TheOpenMoney.Simulators.csproj" -c Release --nologo -v quiet -clp:ErrorsOnly
api_dir="$root/src/TheOpenMoney.Api/bin/Release/net10.0"
# Run from the build folder so appsettings*.json are found (the content root is the working directory).
api() { (cd "$api_dir" && dotnet TheOpenMoney.Api.dll "$@"); }

sim_url=${TOM_SIM_URL:-http://127.0.0.1:8081}
if [ -z "${PaymentProcessor__BaseUrl:-}" ]; then
  # Local processor tokens, made once (production takes them from the processor's own configuration).
  for name in processor-token webhook-token supplier-key; do
    [ -s "$state/$name" ] || (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '\n=+/' >"$state/$name")
  done
  export PaymentProcessor__BaseUrl="$sim_url" PaymentProcessor__ApiToken PaymentProcessor__WebhookToken
  PaymentProcessor__ApiToken=$(cat "$state/processor-token")
  PaymentProcessor__WebhookToken=$(cat "$state/webhook-token")
  # The simulator also plays the supplier (HTTP, idempotent deliveries) and TonRamp.
  export Supplier__Mode=Http Supplier__BaseUrl="$sim_url/supplier" Supplier__ApiKey TonRamp__BaseUrl="$sim_url" TonRamp__MerchantId=demo-merchant
  Supplier__ApiKey=$(cat "$state/supplier-key")
  echo ">> starting the payment-processor simulator on $sim_url (state in .local/simulator-state.json)"
  # The state file keeps its addresses and deposits across runs, as the database in .local/pgdata does.
  # It ignores Ctrl+C (the terminal signals the whole group): the clean-up stops it after the API, which
  # would otherwise log failed polls while shutting down.
  (trap '' INT && cd "$root/src/TheOpenMoney.Simulators/bin/Release/net10.0" && \
    Simulator__ApiToken="$PaymentProcessor__ApiToken" \
    Simulator__WebhookEndpoint="$api_url/internal/processor/webhook" \
    Simulator__WebhookToken="$PaymentProcessor__WebhookToken" \
    Simulator__SupplierApiKey="$Supplier__ApiKey" \
    Simulator__StateFile="$state/simulator-state.json" \
    exec dotnet TheOpenMoney.Simulators.dll --urls "$sim_url") &
  sim_pid=$!
fi

api migrate
demo_user=${TOM_DEMO_TELEGRAM_USER_ID:-1000001}
demo_key=$(api keys create --telegram-user-id "$demo_user" --username demo)
# The same partner's test-mode key (osk_test_…): simulated money, paid through the sandbox routes.
test_key=$(api keys create --telegram-user-id "$demo_user" --username demo --test)
# A small demo balance, credited once (same --ref on every run), so payment_method=balance can be tried.
demo_balance=$(api balance credit --telegram-user-id "$demo_user" --amount-ton 25 --ref demo-seed --description "demo balance" 2>/dev/null)
if [ -n "$sim_pid" ] && ! kill -0 "$sim_pid" 2>/dev/null; then
  sim_status=0
  wait "$sim_pid" || sim_status=$?
  sim_pid=""
  echo "!! the simulator exited (status $sim_status) before the API started; see its message above" >&2
  exit 1
fi

cat <<BANNER

  TheOpenMoney API   $api_url
  Swagger UI         $api_url/swagger
  Metrics            ${Management__Urls:-http://127.0.0.1:9464}/metrics  (Prometheus, operators only: not on the API port)
  Demo partner key   $demo_key
  Demo balance       $demo_balance TON
  Test-mode key      $test_key  (simulated money: nothing reaches the processor, supplier or TonRamp)
  Processor          ${PaymentProcessor__BaseUrl}  (simulator: also the supplier and TonRamp)
  Telegram bot       $bot_state

  Try it in test mode (create an order, pay it through the sandbox, read the events):
           curl -s -X POST $api_url/api/v1/orders/stars -H "Authorization: Bearer $test_key" -H "Content-Type: application/json" \\
                -d '{"recipient_username": "pandus", "quantity": 100}'
           curl -s -X POST $api_url/api/v1/sandbox/orders/<id>/pay -H "Authorization: Bearer $test_key"
           curl -s "$api_url/api/v1/events?after=0" -H "Authorization: Bearer $test_key"

  Live:    curl -s $api_url/api/v1/balance -H "Authorization: Bearer $demo_key"
           curl -s -X POST $api_url/api/v1/orders/stars -H "Authorization: Bearer $demo_key" \\
                -H "Idempotency-Key: \$(cat /proc/sys/kernel/random/uuid)" -H "Content-Type: application/json" \\
                -d '{"recipient_username": "pandus", "quantity": 100, "payment_method": "balance"}'

  Simulate a TON payment of a ton_memo order (amount in nanoTON = price_ton x 10^9, comment = payment_memo):
           curl -s -X POST $sim_url/_sim/deposits -H "Content-Type: application/json" \\
                -d '{"user_id": "orders", "amount": "417000000", "comment": "STARS-xxxxxx"}'
  Top up the demo balance: send to the topup_address of GET /balance:
           curl -s -X POST $sim_url/_sim/deposits -H "Content-Type: application/json" \\
                -d '{"deposit_address": "<topup_address>", "amount": "5000000000"}'

BANNER

# The API runs in the background so that this shell is in `wait`, which a signal interrupts at once
# (a foreground child would hold the traps until it exits). Whichever of the API and the simulator exits
# first ends the run; the EXIT trap stops the rest.
(cd "$api_dir" && exec dotnet TheOpenMoney.Api.dll --urls "$api_url") &
api_pid=$!
status=0
wait -n -p exited "$api_pid" ${sim_pid:+"$sim_pid"} || status=$?
case "${exited:-none}" in
  "$api_pid") api_pid=""; name="the API" ;;
  "$sim_pid") sim_pid=""; name="the simulator" ;;
  *) name="a child process" ;;
esac
echo "!! $name exited (status $status)" >&2
exit "$status"
