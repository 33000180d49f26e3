# The client checks' private stack (sourced, not run; needs lib/postgres.sh and lib/process.sh): a bound on the
# whole run, the Release build, and PostgreSQL + the processor simulator + the API on 127.0.0.1 with a fresh
# state folder, stopped again when the script exits, whatever the reason.

# stack_guard NAME SECONDS: on exit (or INT/TERM) stop the API, the simulator and PostgreSQL that stack_up
# started; after SECONDS a watchdog signals the script, so no step outlives the bound. left() prints the
# seconds before that deadline (at least 1).
stack_guard() {
  local name=$1 timeout_s=$2
  started_pg="" sim_pid="" api_pid="" watchdog_pid=""
  stack_deadline=$((SECONDS + timeout_s))
  trap stack_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # Stopping the watchdog stops its sleep too.
  (
    trap 'kill "$sleep_pid" 2>/dev/null; exit 0' TERM
    sleep "$timeout_s" &
    sleep_pid=$!
    wait "$sleep_pid"
    echo "!! $name: over ${timeout_s}s, stopping" >&2
    kill -TERM $$
  ) &
  watchdog_pid=$!
}

stack_cleanup() {
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

left() { local l=$((stack_deadline - SECONDS)); echo $((l > 0 ? l : 1)); }

# stack_build ROOT: the solution in Release, under the machine's build lock when flock exists (2 cores).
stack_build() {
  echo ">> building (Release)"
  local build=(dotnet build "$1/TheOpenMoney.sln" -c Release --nologo -v quiet -clp:ErrorsOnly)
  if command -v flock >/dev/null 2>&1; then flock /tmp/tom-build.lock "${build[@]}"; else "${build[@]}"; fi
}

# stack_up ROOT STATE PG_PORT SIM_URL API_URL METRICS_PORT: a fresh STATE folder (the database and the simulator
# start empty together), PostgreSQL, fresh secrets, the simulator, the migrations, then the API, waiting until it
# is healthy. Settings the caller exported before are kept. Defines api() (the operator CLI) for the caller.
stack_up() {
  local root=$1 state=$2 pg_port=$3 sim_url=$4 api_url=$5 metrics_port=$6
  local shown=${state#"$root"/}
  api_dir="$root/src/TheOpenMoney.Api/bin/Release/net10.0"
  sim_dir="$root/src/TheOpenMoney.Simulators/bin/Release/net10.0"
  pg_ensure_binaries
  if [ -f "$state/pgdata/PG_VERSION" ]; then pg_stop_cluster "$state/pgdata" || true; fi
  rm -rf "$state"
  mkdir -p "$state"
  chmod 755 "$root/.local" "$state"
  echo ">> starting PostgreSQL on 127.0.0.1:$pg_port (data in $shown/pgdata)"
  PG_FSYNC=off pg_start_cluster "$state/pgdata" "$pg_port"
  started_pg="$state/pgdata"
  pg_create_database "$pg_port" theopenmoney

  export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=theopenmoney"
  export ASPNETCORE_ENVIRONMENT=Development Management__Urls="http://127.0.0.1:$metrics_port"
  export ApiKeys__Pepper PaymentProcessor__ApiToken PaymentProcessor__WebhookToken Supplier__ApiKey Webhooks__SecretKey
  ApiKeys__Pepper=$(stack_secret)
  PaymentProcessor__ApiToken=$(stack_secret)
  PaymentProcessor__WebhookToken=$(stack_secret)
  Supplier__ApiKey=$(stack_secret)
  Webhooks__SecretKey=$(head -c 32 /dev/urandom | base64 | tr -d '\n')
  export PaymentProcessor__BaseUrl="$sim_url" Supplier__Mode=Http Supplier__BaseUrl="$sim_url/supplier"
  export TonRamp__BaseUrl="$sim_url" TonRamp__MerchantId=demo-merchant
  export PaymentProcessor__PollInterval=${PaymentProcessor__PollInterval:-00:00:01}

  echo ">> starting the payment-processor simulator on $sim_url"
  (cd "$sim_dir" && \
    Simulator__ApiToken="$PaymentProcessor__ApiToken" \
    Simulator__WebhookEndpoint="$api_url/internal/processor/webhook" \
    Simulator__WebhookToken="$PaymentProcessor__WebhookToken" \
    Simulator__SupplierApiKey="$Supplier__ApiKey" \
    exec dotnet TheOpenMoney.Simulators.dll --urls "$sim_url") >"$state/simulator.log" 2>&1 &
  sim_pid=$!

  api migrate 2>"$state/migrate.log" || { cat "$state/migrate.log" >&2; exit 1; }
  echo ">> starting the API on $api_url (log in $shown/api.log)"
  (cd "$api_dir" && exec dotnet TheOpenMoney.Api.dll --urls "$api_url") >"$state/api.log" 2>&1 &
  api_pid=$!

  echo ">> waiting for $api_url/api/v1/health"
  until curl -fs -o /dev/null "$api_url/api/v1/health"; do
    if ! kill -0 "$api_pid" 2>/dev/null || ! kill -0 "$sim_pid" 2>/dev/null; then
      echo "!! the API or the simulator exited; see $shown/*.log" >&2
      tail -n 30 "$state/api.log" "$state/simulator.log" >&2
      exit 1
    fi
    if [ "$(left)" -le 1 ]; then echo "!! the API did not become healthy in time" >&2; exit 1; fi
    sleep 1
  done
}

stack_secret() { head -c 48 /dev/urandom | base64 | tr -d '\n=+/'; }

# api ARGS…: the operator CLI of the built API (keys create, …).
api() { (cd "$api_dir" && dotnet TheOpenMoney.Api.dll "$@"); }
