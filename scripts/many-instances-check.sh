#!/usr/bin/env bash
# Two API instances on one PostgreSQL, the second through PgBouncer in transaction mode, checked end to end on
# 127.0.0.1 (bounded: 6 minutes): one key's limit holds across both, a revocation through the CLI fails on both
# within a second, an order created through PgBouncer is paid by the single poll leader, and leader jobs, LISTEN
# and migrations keep working because they use ConnectionStrings:PostgresDirect. Needs the pgbouncer binary
# (apt-get install pgbouncer). Prints one line per check and exits non-zero on the first failure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/postgres.sh
source "$root/scripts/lib/postgres.sh"
# shellcheck source=lib/process.sh
source "$root/scripts/lib/process.sh"
# shellcheck source=lib/stack.sh
source "$root/scripts/lib/stack.sh"

command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || { echo "!! pgbouncer is not installed (apt-get install pgbouncer)" >&2; exit 1; }
pgbouncer_bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
state="$root/.local/many-instances"
pg_port=${TOM_MI_PG_PORT:-55461} bouncer_port=${TOM_MI_BOUNCER_PORT:-55462}
sim_url=http://127.0.0.1:28181 api_url=http://127.0.0.1:28180 api2_url=http://127.0.0.1:28182
bouncer_pid="" api2_pid=""
stack_guard many-instances-check 360
trap 'stop_child "$api2_pid"; pkill -f "pgbouncer $state/pgbouncer.ini" 2>/dev/null; sleep 0.5; pkill -KILL -f "$state/pgbouncer.ini" 2>/dev/null; stack_cleanup' EXIT

if [ "${TOM_MI_SKIP_BUILD:-}" != 1 ]; then stack_build "$root"; fi
export RateLimiting__PerKeyPerMinute=30
stack_up "$root" "$state" "$pg_port" "$sim_url" "$api_url" 29464
direct="$ConnectionStrings__Postgres"

# PgBouncer, transaction pooling, in front of the same database.
cat >"$state/pgbouncer.ini" <<INI
[databases]
theopenmoney = host=127.0.0.1 port=$pg_port dbname=theopenmoney user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = trust
auth_file = $state/userlist.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 40
ignore_startup_parameters = extra_float_digits,application_name
logfile = $state/pgbouncer.log
INI
echo '"postgres" ""' >"$state/userlist.txt"
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$state/pgbouncer.ini" "$state/userlist.txt"; chmod o+rwx "$state"; fi
pg_as_owner "$pgbouncer_bin" "$state/pgbouncer.ini" >"$state/pgbouncer.out" 2>&1 &
bouncer_pid=$!
for _ in $(seq 1 50); do psql -h 127.0.0.1 -p "$bouncer_port" -U postgres -d theopenmoney -tAc 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
echo ">> PgBouncer $("$pgbouncer_bin" --version | head -1) on 127.0.0.1:$bouncer_port (transaction mode)"

echo ">> starting the second API on $api2_url through PgBouncer"
(cd "$api_dir" && ConnectionStrings__Postgres="Host=127.0.0.1;Port=$bouncer_port;Username=postgres;Database=theopenmoney;No Reset On Close=true" \
  ConnectionStrings__PostgresDirect="$direct" Management__Urls="http://127.0.0.1:29465" \
  exec dotnet TheOpenMoney.Api.dll --urls "$api2_url") >"$state/api2.log" 2>&1 &
api2_pid=$!
until curl -fs -o /dev/null "$api2_url/api/v1/health"; do
  kill -0 "$api2_pid" 2>/dev/null || { echo "!! the second API exited" >&2; tail -n 30 "$state/api2.log" >&2; exit 1; }
  [ "$(left)" -gt 1 ] || { echo "!! the second API did not become healthy" >&2; exit 1; }
  sleep 1
done

key=$(api keys create --telegram-user-id 1000031 --username many 2>/dev/null)
limited_key=$(api keys create --telegram-user-id 1000032 --username many-limits 2>/dev/null)
export TOM_API_URL="$api_url" TOM_API2_URL="$api2_url" TOM_SIM_URL="$sim_url" TOM_KEY="$key" TOM_LIMITED_KEY="$limited_key"
python3 - <<'PY'
import json, os, time, urllib.request, urllib.error, subprocess
urls = [os.environ["TOM_API_URL"], os.environ["TOM_API2_URL"]]
key = os.environ["TOM_KEY"]
def call(url, path, method="GET", body=None, key=key):
    req = urllib.request.Request(url + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), dict(e.headers)
# 1. An order through PgBouncer, paid through the simulator, seen paid on both instances.
status, order, _ = call(urls[1], "/api/v1/orders/stars", "POST", {"recipient_username": "pandus", "quantity": 100})
assert status == 200, (status, order)
o = order["data"]
req = urllib.request.Request(os.environ["TOM_SIM_URL"] + "/_sim/deposits", method="POST", headers={"Content-Type": "application/json"},
                             data=json.dumps({"user_id": "orders", "amount": o["price_nanoton"], "comment": o["payment_memo"]}).encode())
urllib.request.urlopen(req, timeout=10).read()
deadline = time.time() + 30
while time.time() < deadline:
    states = [call(u, f"/api/v1/orders/{o['id']}")[1]["data"]["status"] for u in urls]
    if all(s in ("paid", "processing", "completed") for s in states):
        break
    time.sleep(0.2)
print(f"ok  order {o['id']} created through PgBouncer is {states} on both instances")
# 2. One key's limit (30 a minute, leased 1 at a time) across both: exactly 30 admitted of 50, alternating.
answers = [call(urls[i % 2], "/api/v1/partner", key=os.environ["TOM_LIMITED_KEY"]) for i in range(50)]
ok = sum(1 for a in answers if a[0] == 200)
refused = [a for a in answers if a[0] == 429]
assert ok == 30 and len(refused) == 20, (ok, len(refused))
print(f"ok  {ok} of 50 admitted across both instances for a limit of 30; the rest 429 with Retry-After {refused[0][2].get('Retry-After')} s")
PY
# 3. Revoked through the CLI: refused on both within a second.
api keys revoke --telegram-user-id 1000031 >/dev/null 2>&1
start=$(date +%s%N)
for url in "$api_url" "$api2_url"; do
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/partner" -H "Authorization: Bearer $key")" = 401 ]; do
    [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 5000 ] || { echo "!! $url still served the revoked key after 5 s" >&2; exit 1; }
    sleep 0.02
  done
done
echo "ok  the revoked key is refused on both instances after $(( ($(date +%s%N) - start) / 1000000 )) ms"
curl -s "$api2_url/api/v1/health" | python3 -c "import json,sys; d=json.load(sys.stdin)['data']; print('ok  health through PgBouncer:', d['status'])"
echo ">> many-instances-check: OK"
