#!/usr/bin/env python3
"""Benchmark runner for TheOpenMoney. Not a test: it measures and writes results; it asserts nothing.

Side by side in one run on this machine:
  1. POST /orders/stars (unique Idempotency-Key per request) vs pgbench running the same SQL transaction;
  2. GET /orders/{id} and GET /orders?limit=20 vs a bare endpoint in the same process returning a fixed
     JSON body of the same size (in BENCH_READ_ROUNDS interleaved rounds; each ratio the median of the rounds');
  3. payment detection: 10,000 deposits for 10,000 pending orders (poller, then webhook), plus a trickle
     of single deposits for per-payment latency;
  4. peak RSS of the API during each run;
at several sizes of the orders table.
"""
import itertools
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DURATION = int(os.environ.get("BENCH_DURATION", "15"))
# Rounds the read paths are measured in (each DURATION / READ_ROUNDS seconds long).
READ_ROUNDS = int(os.environ.get("BENCH_READ_ROUNDS", "3"))
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "10000 100000 1000000").split()]
# For quick iterations: a subset of "reads create detection" (the report needs all three).
PHASES = set(os.environ.get("BENCH_PHASES", "reads create detection").split())
CONNECTIONS = 32
THREADS = 2
PG_BIN = os.environ["PG_BIN"]
AS_ROOT = os.geteuid() == 0
# The jetton master of the USDT the bench pays in (the API's default, set explicitly).
USDT_MASTER = "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs"
PEPPER = "bench-pepper-" + "x" * 40
PROCESSES = []


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_owner(args):
    return ["runuser", "-u", "postgres", "--"] + args if AS_ROOT else args


def run(args, **kwargs):
    result = subprocess.run(args, text=True, capture_output=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(str(a) for a in args)[:200]} exited {result.returncode}: {result.stderr[-2000:]}")
    return result


def start(args, env, cwd, logfile):
    out = open(logfile, "w")
    process = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    PROCESSES.append(process)
    return process


def stop_all():
    for process in PROCESSES:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in PROCESSES:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


class Postgres:
    def __init__(self, root):
        self.data = os.path.join(root, "pgdata")
        self.port = free_port()
        os.makedirs(self.data)
        if AS_ROOT:
            os.chmod(root, 0o755)
            shutil.chown(self.data, "postgres", "postgres")
        run(as_owner([f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"]))
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c max_connections=300 "
                   "-c shared_buffers=512MB -c work_mem=16MB -c max_wal_size=4GB -c checkpoint_timeout=30min "
                   # Commit times of the order transactions: the webhook runs' stage breakdown starts there.
                   "-c track_commit_timestamp=on")
        run(as_owner([f"{PG_BIN}/pg_ctl", "-D", self.data, "-w", "-t", "60", "-l", os.path.join(self.data, "log"), "-o", options, "start"]))
        self.sql("CREATE DATABASE tom", db="postgres")
        self.dsn = f"Host=127.0.0.1;Port={self.port};Username=postgres;Database=tom;Maximum Pool Size=100" + os.environ.get("BENCH_DSN_EXTRA", "")

    def sql(self, statement, db="tom"):
        return run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db, "-tAq", "-v", "ON_ERROR_STOP=1", "-c", statement]).stdout.strip()

    def stop(self):
        subprocess.run(as_owner([f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"]), capture_output=True)


class RssSampler:
    """Samples the API's resident set size every 100 ms; `peak()` gives the maximum since `reset()`."""

    def __init__(self, pid):
        self.pid = pid
        self.max_kb = 0
        self.running = True
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while self.running:
            try:
                with open(f"/proc/{self.pid}/status") as status:
                    kb = int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1))
                    self.max_kb = max(self.max_kb, kb)
            except (OSError, AttributeError):
                pass
            time.sleep(0.1)

    def reset(self):
        self.max_kb = 0

    def peak_mb(self):
        return round(self.max_kb / 1024, 1)


def http(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


def wait_healthy(url):
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def wrk_script(script_parts):
    """The Lua parts and the JSON report joined into one temporary script (the caller removes it)."""
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    for part in script_parts + ["report.lua"]:
        script.write((BENCH / part).read_text() + "\n")
    script.close()
    return script.name


def wrk(url, script_parts, env_extra, duration=None):
    script = wrk_script(script_parts)
    env = {**os.environ, **env_extra}
    output = run(["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{duration or DURATION}s", "--latency", "-s", script, url], env=env).stdout
    os.unlink(script)
    return json.loads(re.search(r"BENCH_JSON (\{.*\})", output).group(1))


def wrk_many(urls, script_parts, env_extra, duration=None):
    """One wrk per URL at once, each with its share of the connections; the rates summed, the worst p99 kept."""
    script = wrk_script(script_parts)
    env = {**os.environ, **env_extra}
    share = max(1, CONNECTIONS // len(urls))
    procs = [subprocess.Popen(["wrk", "-t", "1", "-c", str(share), "-d", f"{duration or DURATION}s", "--latency", "-s", script, url],
                              env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for url in urls]
    outs = [json.loads(re.search(r"BENCH_JSON (\{.*\})", p.communicate()[0]).group(1)) for p in procs]
    os.unlink(script)
    return {"rps": round(sum(o["rps"] for o in outs), 1), "p99_ms": max(o["p99_ms"] for o in outs), "per_process": [o["rps"] for o in outs]}


def two_instances(pg, env, api_dir, root, api_url, get_path, reader, key):
    """A second API process on the same database; the same two-wrk load on one instance, then spread over both."""
    api2_url = f"http://127.0.0.1:{free_port()}"
    api2 = start(["dotnet", "TheOpenMoney.Api.dll", "--urls", api2_url], {**env, "Management__Urls": f"http://127.0.0.1:{free_port()}"},
                 api_dir, os.path.join(root, "api2.log"))
    wait_healthy(f"{api2_url}/api/v1/health")
    for url in (api_url, api2_url):
        warm_up(url, ["get.lua"], {"TOM_BENCH_KEY": reader, "TOM_BENCH_PATH": get_path})
        warm_up(url, ["create_order.lua"], {"TOM_BENCH_KEY": key})
    figures = {}
    for name, parts, extra in [("get_order", ["get.lua"], {"TOM_BENCH_KEY": reader, "TOM_BENCH_PATH": get_path}),
                               ("create_order", ["create_order.lua"], {"TOM_BENCH_KEY": key})]:
        figures[name] = {"one_instance": wrk_many([api_url, api_url], parts, extra), "two_instances": wrk_many([api_url, api2_url], parts, extra)}
        log(f"instances: {name} one {figures[name]['one_instance']['rps']} req/s, two {figures[name]['two_instances']['rps']} req/s")
    os.killpg(api2.pid, signal.SIGTERM)
    api2.wait(timeout=20)
    return figures


def warm_up(url, script_parts, env_extra, rounds=8):
    """Runs 5-second loads until two in a row are within 10 % of each other (at most `rounds`)."""
    previous = None
    for _ in range(rounds):
        rate = wrk(url, script_parts, env_extra, duration=5)["rps"]
        if previous and abs(rate - previous) <= 0.1 * previous:
            break
        previous = rate
    log(f"warmed {env_extra.get('TOM_BENCH_PATH', script_parts[0])}: {rate} req/s")


def pgbench(pg, partner_id, key_hash, duration=None):
    workdir = tempfile.mkdtemp(prefix="pgbench-")
    os.chmod(workdir, 0o777)
    result = run(["pgbench", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-n", "-M", "prepared",
                  "-c", str(CONNECTIONS), "-j", str(THREADS), "-T", str(duration or DURATION), "-D", f"partner={partner_id}",
                  "-D", f"keyhash={key_hash}", "-l", "--log-prefix", os.path.join(workdir, "tx"),
                  "-f", str(BENCH / ORDER_TX), "tom"], cwd=workdir).stdout
    latencies = []
    for name in os.listdir(workdir):
        with open(os.path.join(workdir, name)) as f:
            for line in f:
                latencies.append(int(line.split()[2]) / 1000.0)
    shutil.rmtree(workdir)
    tps = float(re.search(r"tps = ([\d.]+)", result).group(1))
    latencies.sort()
    return {"rps": round(tps, 1), "p50_ms": pct(latencies, 50), "p99_ms": pct(latencies, 99), "transactions": len(latencies)}


def pct(values, p):
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))
    return round(values[index], 3)


def fill_orders(pg, target, filler_partners):
    current = int(pg.sql("SELECT count(*) FROM orders"))
    missing = target - current
    if missing <= 0:
        return current
    log(f"filling orders: {current} -> {target}")
    pg.sql(f"""
        INSERT INTO orders (partner_id, status, order_type, stars_amount, recipient_username, recipient_check, price_nanoton, price_usd,
                            fee_percent, ton_usd_rate, rate_source, payment_method, payment_currency, payment_address, payment_memo,
                            expires_at, created_at, updated_at, paid_at, paid_nanoton, supplier_reference)
        SELECT p.id, 'completed', 'stars', 100, 'filler', 'ELIGIBLE', 417000000, 1.5, 0, 3.6, 'fixed', 'ton_memo', 'TON',
               'UQC2Ttw51lkpMeynPSb5YeHKMu152koHzptMpy6mAVDO9y6F', 'FILL-' || g || '-' || {current},
               now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval, now(), now(), 417000000, 'FILL'
          FROM generate_series(1, {missing}) g
          JOIN LATERAL (SELECT id FROM partners WHERE telegram_user_id = 800000000 + (g % {filler_partners})) p ON true""")
    # Measure the steady state, not the aftermath of the bulk load: vacuum every table (the runs before
    # left idempotency records and orders behind too), then write the dirty pages out.
    pg.sql("VACUUM ANALYZE")
    pg.sql("CHECKPOINT")
    return int(pg.sql("SELECT count(*) FROM orders"))


def pending_orders(pg, sim_url, api, partner_id, kind, count, webhook, webhook_token, currency="TON"):
    """Inserts `count` pending orders with memos <memo prefix>1..count, priced and paid in `currency` (TON: 0.417;
    USDT: 1.5, at the orders' address of that currency), points the simulator's webhook at the API (or turns it
    off), and returns the memo prefix."""
    memo = f"{kind}-{uuid.uuid4().hex[:6]}"
    price, quote, jetton = ("417000000", "NULL", "NULL") if currency == "TON" else ("1500000", "417000000", f"'{USDT_MASTER}'")
    pg.sql(f"""
        INSERT INTO orders (partner_id, status, order_type, stars_amount, recipient_username, recipient_check, price_nanoton, price_usd,
                            fee_percent, ton_usd_rate, rate_source, payment_method, payment_currency, ton_quote_nanoton, payment_jetton,
                            payment_address, payment_memo, expires_at, created_at, updated_at)
        SELECT {partner_id}, 'pending_payment', 'stars', 100, 'pandus', 'ELIGIBLE', {price}, 1.5, 0, 3.6, 'fixed', 'ton_memo', '{currency}',
               {quote}, {jetton},
               (SELECT address FROM deposit_addresses WHERE purpose = 'orders' AND livemode AND currency = '{currency}'),
               '{memo}' || g, now() + interval '1 hour', now(), now()
          FROM generate_series(1, {count}) g""")
    http("POST", f"{sim_url}/_sim/webhook", {"endpoint": f"{api}/internal/processor/webhook" if webhook else None, "token": webhook_token})
    return memo


def detection(pg, api, sim_url, partner_id, count, webhook, webhook_token, usdt_share=0.0):
    """Inserts `count` pending orders, injects one exact deposit per order at once, waits until all are paid.
    With `usdt_share`, that share of the orders is priced and paid in USDT, their deposits interleaved with
    the TON ones: the poller reads the (orders, TON) and (orders, USDT) histories, each with its own cursor."""
    usdt = int(count * usdt_share)
    memos = [(pending_orders(pg, sim_url, api, partner_id, "DET", count - usdt, webhook, webhook_token), count - usdt, "TON", "417000000")]
    if usdt:
        memos.append((pending_orders(pg, sim_url, api, partner_id, "DEU", usdt, webhook, webhook_token, "USDT"), usdt, "USDT", "1500000"))
    per_currency = [[{"user_id": "orders", "currency": currency, "amount": amount, "comment": f"{memo}{i}"} for i in range(1, n + 1)]
                    for memo, n, currency, amount in memos]
    deposits = [d for group in itertools.zip_longest(*per_currency) for d in group if d is not None]
    like = " OR ".join(f"payment_memo LIKE '{memo}%'" for memo, *_ in memos)
    injected = time.time()
    http("POST", f"{sim_url}/_sim/deposits/batch", {"deposits": deposits})
    deadline = injected + 300
    while time.time() < deadline:
        paid = int(pg.sql(f"SELECT count(*) FROM orders WHERE ({like}) AND status = 'paid'"))
        if paid == count:
            break
        time.sleep(0.05)
    total = time.time() - injected
    comment_like = " OR ".join(f"d.comment LIKE '{memo}%'" for memo, *_ in memos)
    rows = pg.sql(f"SELECT extract(epoch FROM d.applied_at) FROM deposits d WHERE ({comment_like}) AND d.applied_at IS NOT NULL")
    latencies = sorted((float(v) - injected) * 1000 for v in rows.split())
    drained = drain_pushes(sim_url, injected) if webhook else None
    http("POST", f"{sim_url}/_sim/webhook", {"endpoint": None})
    # The first deposit applied marks the poll (or webhook) that picked the burst up; from there to the last is the applying.
    first = latencies[0] if latencies else None
    return {"deposits": count, "usdt_deposits": usdt, "all_paid_seconds": round(total, 2), "pushed_seconds": drained, "paid": len(latencies),
            "first_ms": round(first, 1) if first is not None else None,
            "applying_seconds": round(total - first / 1000, 2) if first is not None else None, "p50_ms": pct(latencies, 50), "p99_ms": pct(latencies, 99)}


BURST_REPEATS = int(os.environ.get("BENCH_BURST_REPEATS", "3"))


def median_burst(runs, webhook):
    median = sorted(runs, key=lambda r: r["all_paid_seconds"])[len(runs) // 2]
    return {**median, "runs_all_paid_seconds": [r["all_paid_seconds"] for r in runs],
            "runs_pushed_seconds": [r["pushed_seconds"] for r in runs] if webhook else None}


def ton_and_mixed_bursts(pg, api, sim_url, partner_id, webhook, webhook_token):
    """10,000-deposit bursts, TON only and half TON half USDT, alternated BURST_REPEATS times each (ABAB: drift
    over the phase falls on both alike); the medians and their ratio (mixed / TON only, all paid)."""
    ton, mixed = [], []
    for _ in range(BURST_REPEATS):
        ton.append(detection(pg, api, sim_url, partner_id, 10_000, webhook, webhook_token))
        mixed.append(detection(pg, api, sim_url, partner_id, 10_000, webhook, webhook_token, 0.5))
    ton_median, mixed_median = median_burst(ton, webhook), median_burst(mixed, webhook)
    return ton_median, mixed_median, round(mixed_median["all_paid_seconds"] / ton_median["all_paid_seconds"], 3)


def drain_pushes(sim_url, since):
    """Waits until the simulator has pushed every deposit it holds (at most 300 s), so no backlog of pushes is
    left for the next webhook phase (the simulator pushes in order, oldest first). Returns the seconds from
    `since` until then: for a burst, the webhook path's own throughput, whatever the poller did meanwhile."""
    deadline = time.time() + 300
    while time.time() < deadline:
        state = json.loads(urllib.request.urlopen(f"{sim_url}/_sim/state", timeout=10).read())
        if state["webhook_deliveries"] >= state["deposits"] or not state["webhook_enabled"]:
            break
        time.sleep(0.05)
    return round(time.time() - since, 2)


def trickle(pg, sim_url, api, partner_id, count, webhook, webhook_token, rate_per_second=20):
    """Single deposits at a steady pace; latency from each injection to its order being paid."""
    memo = pending_orders(pg, sim_url, api, partner_id, "TRK", count, webhook, webhook_token)
    sent = {}
    for i in range(1, count + 1):
        sent[f"{memo}{i}"] = time.time()
        http("POST", f"{sim_url}/_sim/deposits", {"user_id": "orders", "amount": "417000000", "comment": f"{memo}{i}"})
        time.sleep(1 / rate_per_second)
    deadline = time.time() + 120
    while time.time() < deadline and int(pg.sql(f"SELECT count(*) FROM deposits WHERE comment LIKE '{memo}%' AND applied_at IS NOT NULL")) < count:
        time.sleep(0.1)
    rows = pg.sql(f"SELECT comment, extract(epoch FROM applied_at) FROM deposits WHERE comment LIKE '{memo}%' AND applied_at IS NOT NULL")
    latencies = sorted((float(line.split("|")[1]) - sent[line.split("|")[0]]) * 1000 for line in rows.splitlines())
    if webhook:
        drain_pushes(sim_url, time.time())
    http("POST", f"{sim_url}/_sim/webhook", {"endpoint": None})
    return {"deposits": count, "rate_per_second": rate_per_second, "p50_ms": pct(latencies, 50), "p99_ms": pct(latencies, 99), "max_ms": round(latencies[-1], 1) if latencies else None}


# The pgbench script of one order creation (bench/event_cost.py swaps in variants).
ORDER_TX = "order_tx.sql"
WEBHOOK_PACED_RATE = int(os.environ.get("BENCH_WEBHOOK_RATE", "200"))


def webhook_deliveries(pg, api_url, env, api_dir, count=10_000):
    """Balance orders (each paid at creation: one order.paid) for a partner whose endpoint subscribes to
    order.paid only; the receiver is bench/webhook_receiver.mjs (Node) on 127.0.0.1 in its own process,
    answering 200 at once. After a 1,000-order warm-up, two runs of `count` orders sent by wrk: a burst
    (as fast as the API creates them: the delivery throughput) and a paced run at WEBHOOK_PACED_RATE/s
    (below that throughput: the lag a partner sees). Lag = arrival - the event's created_at (taken in the
    trigger inside the order's transaction); throughput = deliveries / (last arrival - first commit)."""
    receiver_port = free_port()
    received_path = tempfile.mktemp(prefix="webhooks-", suffix=".log")
    receiver = subprocess.Popen(["node", str(BENCH / "webhook_receiver.mjs"), str(receiver_port), received_path])
    try:
        key = run(["dotnet", "TheOpenMoney.Api.dll", "keys", "create", "--telegram-user-id", "900003"], env=env, cwd=api_dir).stdout.strip()
        run(["dotnet", "TheOpenMoney.Api.dll", "balance", "credit", "--telegram-user-id", "900003", "--amount-ton", "1000000", "--ref", "bench-webhooks"], env=env, cwd=api_dir)
        partner_id = pg.sql("SELECT id FROM partners WHERE telegram_user_id = 900003")
        wait_healthy(f"http://127.0.0.1:{receiver_port}/")
        http("PUT", f"{api_url}/api/v1/webhook", {"url": f"http://127.0.0.1:{receiver_port}/", "events": ["order.paid"]}, {"Authorization": f"Bearer {key}"})
        delivered_run(pg, api_url, key, partner_id, received_path, 1_000, None)
        burst = delivered_run(pg, api_url, key, partner_id, received_path, count, None)
        log(f"webhooks burst: {json.dumps(burst)}")
        paced = delivered_run(pg, api_url, key, partner_id, received_path, count, WEBHOOK_PACED_RATE)
        log(f"webhooks paced: {json.dumps(paced)}")
        beside_dead = paced_beside_a_dead_endpoint(pg, api_url, env, api_dir, key, partner_id, received_path, count)
        log(f"webhooks paced beside a dead endpoint: {json.dumps(beside_dead)}")
        drain = drain_backlog(pg, partner_id, received_path, count)
        log(f"webhooks backlog: {json.dumps(drain)}")
        attempts = int(pg.sql(f"SELECT count(*) FROM webhook_attempts WHERE partner_id = {partner_id}"))
        deliveries = int(pg.sql(f"SELECT count(*) FROM webhook_deliveries WHERE partner_id = {partner_id}"))
        return {"burst": burst, "paced": paced, "paced_beside_dead_endpoint": beside_dead, "backlog": drain,
                "deliveries_incl_warm_up": deliveries, "attempts_incl_warm_up": attempts}
    finally:
        receiver.terminate()
        receiver.wait()
        if os.path.exists(received_path):
            os.unlink(received_path)


DEAD_BACKLOG = int(os.environ.get("BENCH_DEAD_BACKLOG", "1000"))
REFUND_GRACE_S = 30
REFUND_COUNT = int(os.environ.get("BENCH_REFUNDS", "1000"))
REFUND_SENDER = "UQCdyiS-fIV9UVfI9Phswo4l2MA-hm8YseHynZ_YiH9Y1j8U"


def refund_burst(pg, sim_url, count=None):
    """REFUND_COUNT unmatched deposits with a sender (to the orders address, no memo), injected at once: how long
    until every one is refunded (its withdrawal completed at the simulator), counted from the injection and from
    the end of the grace (Refunds:Grace = REFUND_GRACE_S). The engine runs every 5 s (Withdrawals:EngineInterval);
    the simulator moves each withdrawal after a second. Every refund must be exactly once."""
    count = count or REFUND_COUNT
    base = int(pg.sql("SELECT count(*) FROM withdrawals WHERE kind = 'refund'"))
    deposits = [{"user_id": "orders", "amount": str(200_000_000 + i), "comment": f"no memo {i}", "source_address": REFUND_SENDER}
                for i in range(count)]
    started = time.time()
    http("POST", f"{sim_url}/_sim/deposits/batch", {"deposits": deposits})
    deadline = started + REFUND_GRACE_S + 600
    applied_at = None
    while time.time() < deadline:
        unmatched = int(pg.sql("SELECT count(*) FROM deposits WHERE kind = 'unmatched' AND comment LIKE 'no memo %'"))
        if applied_at is None and unmatched >= count:
            applied_at = time.time()
        done = int(pg.sql("SELECT count(*) FROM withdrawals WHERE kind = 'refund' AND status = 'completed'")) - base
        if done >= count:
            break
        time.sleep(0.5)
    finished = time.time()
    refunds = int(pg.sql("SELECT count(*) FROM withdrawals WHERE kind = 'refund'")) - base
    per_deposit = pg.sql("SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM withdrawals WHERE kind = 'refund' GROUP BY deposit_id) c")
    return {"deposits": count, "refunded": done, "refund_rows": refunds, "max_refunds_per_deposit": int(per_deposit),
            "grace_s": REFUND_GRACE_S, "seconds_from_injection": round(finished - started, 1),
            "seconds_after_grace": round(finished - (applied_at or started) - REFUND_GRACE_S, 1),
            "refunds_per_s_after_grace": round(count / max(0.001, finished - (applied_at or started) - REFUND_GRACE_S), 1)}


def paced_beside_a_dead_endpoint(pg, api_url, env, api_dir, key, partner_id, received_path, count):
    """The paced run again while another partner's endpoint accepts connections and never answers and owes
    DEAD_BACKLOG deliveries (queued before the run): the live partner's lag must not move. Reports the dead
    endpoint's attempts during the run (its share: one probe at a time once its circuit opens)."""
    dead = DeadEndpoint()
    try:
        dead_key = run(["dotnet", "TheOpenMoney.Api.dll", "keys", "create", "--telegram-user-id", "900004"], env=env, cwd=api_dir).stdout.strip()
        dead_partner = pg.sql("SELECT id FROM partners WHERE telegram_user_id = 900004")
        http("PUT", f"{api_url}/api/v1/webhook", {"url": f"http://127.0.0.1:{dead.port}/"}, {"Authorization": f"Bearer {dead_key}"})
        pg.sql(f"INSERT INTO events (partner_id, type, snapshot) SELECT {dead_partner}, 'ping', '{{}}'::jsonb FROM generate_series(1, {DEAD_BACKLOG})")
        deadline = time.time() + 60
        while int(pg.sql(f"SELECT count(*) FROM webhook_deliveries WHERE partner_id = {dead_partner} AND status = 'pending'")) < DEAD_BACKLOG and time.time() < deadline:
            time.sleep(0.2)
        before = int(pg.sql(f"SELECT count(*) FROM webhook_attempts WHERE partner_id = {dead_partner}"))
        result = delivered_run(pg, api_url, key, partner_id, received_path, count, WEBHOOK_PACED_RATE)
        result["dead_endpoint"] = {
            "owed": DEAD_BACKLOG,
            "attempts_during_run": int(pg.sql(f"SELECT count(*) FROM webhook_attempts WHERE partner_id = {dead_partner}")) - before,
            "connections_taken": len(dead.held),
            "still_pending": int(pg.sql(f"SELECT count(*) FROM webhook_deliveries WHERE partner_id = {dead_partner} AND status = 'pending'")),
        }
        http("DELETE", f"{api_url}/api/v1/webhook", None, {"Authorization": f"Bearer {dead_key}"})
        return result
    finally:
        dead.stop()


def delivered_run(pg, api_url, key, partner_id, received_path, count, rate):
    """Sends `count` paid orders with wrk (at `rate`/s, or as fast as it goes), waits for every order.paid of
    the run to reach the receiver, and measures creation rate, delivery throughput and lag."""
    from datetime import datetime
    mark = int(pg.sql("SELECT coalesce(max(id), 0) FROM events"))
    offset = os.path.getsize(received_path) if os.path.exists(received_path) else 0
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write((BENCH / "create_order.lua").read_text() + "\n" + (BENCH / "bounded.lua").read_text())
    script.close()
    env = {**os.environ, "TOM_BENCH_KEY": key, "TOM_BENCH_METHOD": "balance", "TOM_BENCH_COUNT": str(count), "TOM_BENCH_RATE": str(rate or 0),
           "TOM_BENCH_THREADS": str(THREADS), "TOM_BENCH_CONNECTIONS": str(CONNECTIONS)}
    # wrk sleeps its whole -d; each thread stops after its share of answers, and wrk is interrupted once the
    # orders are in (bounded by -d anyway).
    load = subprocess.Popen(["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", "600s", "-s", script.name, api_url],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 600
        while load.poll() is None and time.time() < deadline:
            time.sleep(0.2)
            if int(pg.sql(f"SELECT count(*) FROM events WHERE id > {mark} AND partner_id = {partner_id} AND type = 'order.paid'")) >= count:
                break
    finally:
        if load.poll() is None:
            load.send_signal(signal.SIGINT)
        load.wait(timeout=30)
        os.unlink(script.name)
    time.sleep(0.5)
    expected = int(pg.sql(f"SELECT count(*) FROM events WHERE id > {mark} AND partner_id = {partner_id} AND type = 'order.paid'"))
    first, last = pg.sql(f"SELECT extract(epoch FROM min(created_at)) || ' ' || extract(epoch FROM max(created_at)) FROM events WHERE id > {mark} AND partner_id = {partner_id} AND type = 'order.paid'").split()
    received = {}
    deadline = time.time() + 300
    while time.time() < deadline:
        with open(received_path) as f:
            f.seek(offset)
            for line in f:
                parts = line.split()
                if len(parts) == 3:
                    received.setdefault(int(parts[0]), (float(parts[1]), parts[2]))
        if len(received) >= expected:
            break
        time.sleep(0.2)
    lags = sorted(at - datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp() for at, created in received.values())
    arrivals = [at for at, _ in received.values()]
    span = max(arrivals) - float(first) if received else None
    creating = float(last) - float(first)
    return {"orders": expected, "delivered": len(received), "rate_asked": rate, "created_per_s": round(expected / creating, 1) if creating > 0 else None,
            "deliveries_per_s": round(len(received) / span, 1) if span else None,
            "lag_p50_ms": pct([l * 1000 for l in lags], 50), "lag_p90_ms": pct([l * 1000 for l in lags], 90),
            "lag_p99_ms": pct([l * 1000 for l in lags], 99), "lag_max_ms": round(lags[-1] * 1000, 1) if lags else None,
            "stages": stages(pg, partner_id, mark, received)}


def stages(pg, partner_id, mark, received):
    """Where each delivery's time went, per event: written (the trigger, inside the order's transaction) ->
    committed (pg_xact_commit_timestamp of the order's debit ledger row, insert-only) -> numbered and queued
    (the delivery's first_queued_at, the dispatcher's clock) -> sent (the first attempt's start: its row's
    created_at minus its duration) -> arrived (the receiver's clock). Percentiles of each step in ms, and of
    the whole for the slowest 1 % split the same way, so a tail shows the stage it sits in."""
    rows = pg.sql(
        "SELECT e.seq, extract(epoch FROM e.created_at), extract(epoch FROM pg_xact_commit_timestamp(l.xmin)), "
        "extract(epoch FROM d.first_queued_at), extract(epoch FROM a.created_at) - a.duration_ms / 1000.0 "
        "FROM events e JOIN webhook_deliveries d ON d.event_id = e.id "
        "JOIN webhook_attempts a ON a.delivery_id = d.id AND a.attempt = 1 "
        "JOIN balance_ledger l ON l.order_id = e.order_id AND l.amount_nanoton < 0 "
        f"WHERE e.id > {mark} AND e.partner_id = {partner_id} AND e.type = 'order.paid'")
    steps = {"commit": [], "dispatch": [], "claim": [], "send": [], "total": []}
    whole = []
    for line in rows.splitlines():
        seq, written, committed, queued, sent = line.split("|")
        if int(seq) not in received or not committed:
            continue
        arrived = received[int(seq)][0]
        parts = {"commit": float(committed) - float(written), "dispatch": float(queued) - float(committed),
                 "claim": float(sent) - float(queued), "send": arrived - float(sent), "total": arrived - float(written)}
        whole.append(parts)
        for name, value in parts.items():
            steps[name].append(value * 1000)
    result = {name: {"p50_ms": pct(sorted(values), 50), "p99_ms": pct(sorted(values), 99), "max_ms": round(max(values), 1) if values else None}
              for name, values in steps.items()}
    tail = sorted(whole, key=lambda p: p["total"])[-max(1, len(whole) // 100):] if whole else []
    result["slowest_1pct_mean_ms"] = {name: round(statistics.mean(p[name] for p in tail) * 1000, 1) for name in steps} if tail else None
    return result


class DeadEndpoint:
    """A webhook endpoint on 127.0.0.1 that accepts connections and never answers (each attempt costs the
    sender a whole timeout): holds every connection open until stopped."""

    def __init__(self):
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(512)
        self.port = self.server.getsockname()[1]
        self.held = []
        self.running = True
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while self.running:
            try:
                connection, _ = self.server.accept()
                self.held.append(connection)
            except OSError:
                return

    def stop(self):
        self.running = False
        self.server.close()
        for connection in self.held:
            connection.close()


def create_with_and_without_events(pg, api_url, key, partner_id, key_hash, cycles=8, seconds=3):
    """Order creation with the event triggers on and off, in ABBA cycles (on, off, off, on) of short runs,
    so drift weighs on both sides alike and the noise of a 2-core machine (single runs here swing by
    ±15 %) averages out: through the API (wrk, create_order.lua) and the same database work alone
    (pgbench, order_tx.sql). Each cycle gives a ratio; the median and mean are reported."""
    def toggle(on):
        action = "ENABLE" if on else "DISABLE"
        pg.sql(f"ALTER TABLE orders {action} TRIGGER tr_orders_events; ALTER TABLE balance_ledger {action} TRIGGER tr_balance_ledger_events")

    figures = {}
    for name, measure in (("api", lambda: wrk(api_url, ["create_order.lua"], {"TOM_BENCH_KEY": key}, duration=seconds)["rps"]),
                          ("pgbench", lambda: pgbench(pg, partner_id, key_hash, duration=seconds)["rps"])):
        ratios, runs = [], {"on": [], "off": []}
        for _ in range(cycles):
            cycle = {"on": 0.0, "off": 0.0}
            for label in ("on", "off", "off", "on"):
                toggle(label == "on")
                rate = measure()
                cycle[label] += rate
                runs[label].append(rate)
                log(f"create ({name}) with events {label}: {rate}/s")
            ratios.append(round(cycle["on"] / cycle["off"], 3))
        figures[name] = {"events_on": runs["on"], "events_off": runs["off"], "cycle_on_vs_off": ratios,
                         "on_vs_off_median": statistics.median(ratios), "on_vs_off_mean": round(statistics.mean(ratios), 3)}
    toggle(True)
    return figures


def drain_backlog(pg, partner_id, received_path, count=10_000):
    """The worker's ceiling without order creation competing: `count` deliveries of already-numbered events
    queued at once (as a backlog after an outage would be), timed from the queueing to the last arrival."""
    offset = os.path.getsize(received_path)
    started = time.time()
    pg.sql(f"INSERT INTO webhook_deliveries (partner_id, event_id, status, next_attempt_at, first_queued_at) "
           f"SELECT partner_id, id, 'pending', now(), now() FROM events WHERE partner_id = {partner_id} AND type = 'order.paid' "
           f"AND seq IS NOT NULL ORDER BY id LIMIT {count}")
    arrivals = []
    deadline = time.time() + 300
    while len(arrivals) < count and time.time() < deadline:
        time.sleep(0.2)
        with open(received_path) as f:
            f.seek(offset)
            arrivals = [float(line.split()[1]) for line in f if len(line.split()) == 3]
    span = max(arrivals) - started if arrivals else None
    return {"queued": count, "delivered": len(arrivals), "seconds": round(span, 2) if span else None,
            "deliveries_per_s": round(len(arrivals) / span, 1) if span else None}


def main():
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    root = tempfile.mkdtemp(prefix="tom-bench-")
    results = {"started_at": started, "machine": machine(), "duration_s": DURATION, "connections": CONNECTIONS, "sizes": {}}
    pg = Postgres(root)
    try:
        log("building Release")
        run(["dotnet", "build", str(ROOT / "src/TheOpenMoney.Api/TheOpenMoney.Api.csproj"), "-c", "Release", "--nologo", "-v", "quiet"])
        run(["dotnet", "build", str(ROOT / "src/TheOpenMoney.Simulators/TheOpenMoney.Simulators.csproj"), "-c", "Release", "--nologo", "-v", "quiet"])
        api_dir = ROOT / "src/TheOpenMoney.Api/bin/Release/net10.0"
        sim_dir = ROOT / "src/TheOpenMoney.Simulators/bin/Release/net10.0"
        sim_port, api_port = free_port(), free_port()
        sim_url, api_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{api_port}"
        webhook_token = "bench-webhook"
        env = {**os.environ, "ASPNETCORE_ENVIRONMENT": "Production", "ConnectionStrings__Postgres": pg.dsn, "ApiKeys__Pepper": PEPPER, "Webhooks__SecretKey": "YmVuY2gtd2ViaG9vay1zZWNyZXQta2V5LTMyLWJ5dGU=",
               "Pricing__TonUsdRate": "3.6", "Pricing__UsdtUsdRate": "1", "Payments__UsdtMaster": USDT_MASTER, "PaymentProcessor__BaseUrl": sim_url, "PaymentProcessor__ApiToken": "bench-token",
               "PaymentProcessor__WebhookToken": webhook_token, "RateLimiting__PerKeyPerMinute": "1000000000",
               "RateLimiting__OrderCreationPerKeyPerMinute": "1000000000", "Fulfillment__Enabled": "false", "Bench__Enabled": "true",
               "Logging__Json": "true", "Webhooks__AllowInsecureUrls": "true", "Webhooks__AllowPrivateNetworks": "true",
               # The refund phase waits out one grace period: a short one (every other phase has no unmatched deposit to refund).
               "Refunds__Grace": f"00:00:{REFUND_GRACE_S:02d}"}
        start(["dotnet", "TheOpenMoney.Simulators.dll", "--urls", sim_url], {**os.environ, "Simulator__ApiToken": "bench-token"}, sim_dir, os.path.join(root, "sim.log"))
        run(["dotnet", "TheOpenMoney.Api.dll", "migrate"], env=env, cwd=api_dir)
        api = start(["dotnet", "TheOpenMoney.Api.dll", "--urls", api_url], env, api_dir, os.path.join(root, "api.log"))
        wait_healthy(f"{api_url}/api/v1/health")
        rss = RssSampler(api.pid)
        key = run(["dotnet", "TheOpenMoney.Api.dll", "keys", "create", "--telegram-user-id", "900001"], env=env, cwd=api_dir).stdout.strip()
        reader = run(["dotnet", "TheOpenMoney.Api.dll", "keys", "create", "--telegram-user-id", "900002"], env=env, cwd=api_dir).stdout.strip()
        partner_id = pg.sql("SELECT id FROM partners WHERE telegram_user_id = 900001")
        key_hash = pg.sql(f"SELECT encode(key_hash, 'hex') FROM api_keys WHERE partner_id = {partner_id} AND revoked_at IS NULL")
        pg.sql("INSERT INTO partners (telegram_user_id, username, created_at, updated_at) SELECT 800000000 + g, 'filler', now(), now() FROM generate_series(0, 999) g")
        # The reader partner has a fixed 50 orders: list/get figures do not move with the POST runs.
        ids = []
        for _ in range(50):
            body = http("POST", f"{api_url}/api/v1/orders/stars", {"recipient_username": "pandus", "quantity": 100}, {"Authorization": f"Bearer {reader}"})
            ids.append(body["data"]["id"])
        get_path = f"/api/v1/orders/{ids[25]}"
        list_path = "/api/v1/orders?limit=20"
        get_size = len(urllib.request.urlopen(urllib.request.Request(api_url + get_path, headers={"Authorization": f"Bearer {reader}"})).read())
        list_size = len(urllib.request.urlopen(urllib.request.Request(api_url + list_path, headers={"Authorization": f"Bearer {reader}"})).read())
        results["body_bytes"] = {"get_order": get_size, "list_orders": list_size}
        # Warm-up (JIT tiers, connection pools, plan caches) on every path measured, so the first size is not slower for it.
        # Under full load the tier-1 JIT competes for the two cores, so a path is warmed until its rate settles.
        for path in [get_path, list_path, f"/bench/keyed/{get_size}", f"/bench/fixed/{get_size}", f"/bench/fixed/{list_size}"]:
            warm_up(api_url, ["get.lua"], {"TOM_BENCH_KEY": reader, "TOM_BENCH_PATH": path, **({"TOM_BENCH_ANON": "1"} if "/fixed/" in path else {})})
        warm_up(api_url, ["create_order.lua"], {"TOM_BENCH_KEY": key})
        # The orders the warm-up created go, so the first size starts at its own row count.
        pg.sql(f"DELETE FROM orders WHERE partner_id = {partner_id}; DELETE FROM idempotency_records WHERE partner_id = {partner_id}")
        pg.sql("VACUUM ANALYZE orders")

        det_partner = pg.sql("SELECT id FROM partners WHERE telegram_user_id = 800000000")
        for size in SIZES:
            actual = fill_orders(pg, size, 1000)
            figures = {"orders_in_table": actual}
            if "reads" in PHASES:
                # The five paths are measured in READ_ROUNDS rounds of DURATION / READ_ROUNDS seconds each, one path after
                # the other in every round, and each ratio is the median of the rounds' ratios: this machine's speed
                # drifts over minutes (a bare endpoint: 23-44k req/s between runs), and a ratio taken from two measurements
                # seconds apart is far less moved by it than one taken from measurements a minute apart.
                reads = [
                    ("get_order", get_path, False),
                    ("bare_get_order_size", f"/bench/fixed/{get_size}", True),
                    ("keyed_get_order_size", f"/bench/keyed/{get_size}", False),
                    ("list_orders", list_path, False),
                    ("bare_list_size", f"/bench/fixed/{list_size}", True),
                ]
                rounds = {name: [] for name, _, _ in reads}
                for round_no in range(READ_ROUNDS):
                    for name, path, anon in reads:
                        rss.reset()
                        extra = {"TOM_BENCH_KEY": reader, "TOM_BENCH_PATH": path}
                        if anon:
                            extra["TOM_BENCH_ANON"] = "1"
                        figure = wrk(api_url, ["get.lua"], extra, duration=max(1, DURATION // READ_ROUNDS))
                        figure["peak_rss_mb"] = rss.peak_mb()
                        rounds[name].append(figure)
                        log(f"{size}: round {round_no + 1} {name} {figure['rps']} req/s p99 {figure['p99_ms']} ms")
                for name, measured in rounds.items():
                    figures[name] = {"rps": statistics.median(f["rps"] for f in measured), "p99_ms": statistics.median(f["p99_ms"] for f in measured),
                                     "peak_rss_mb": max(f["peak_rss_mb"] for f in measured), "rounds_rps": [f["rps"] for f in measured]}

                def round_ratio(name, bare):
                    return round(statistics.median(a["rps"] / b["rps"] for a, b in zip(rounds[name], rounds[bare])), 3)
                figures["read_ratios"] = {"get_vs_bare": round_ratio("get_order", "bare_get_order_size"),
                                          "list_vs_bare": round_ratio("list_orders", "bare_list_size"),
                                          "keyed_vs_bare": round_ratio("keyed_get_order_size", "bare_get_order_size")}
                log(f"{size}: read ratios (median of {READ_ROUNDS} rounds) {figures['read_ratios']}")
            if "create" in PHASES:
                rss.reset()
                figures["create_order"] = wrk(api_url, ["create_order.lua"], {"TOM_BENCH_KEY": key})
                figures["create_order"]["peak_rss_mb"] = rss.peak_mb()
                log(f"{size}: create_order {figures['create_order']['rps']} req/s p99 {figures['create_order']['p99_ms']} ms")
                figures["pgbench_order_tx"] = pgbench(pg, partner_id, key_hash)
                log(f"{size}: pgbench {figures['pgbench_order_tx']['rps']} tps p99 {figures['pgbench_order_tx']['p99_ms']} ms")
            if {"reads", "create"} <= PHASES:
                figures["ratios"] = {"create_vs_pgbench": round(figures["create_order"]["rps"] / figures["pgbench_order_tx"]["rps"], 3), **figures["read_ratios"]}
            results["sizes"][str(size)] = figures
            if size == SIZES[0] and "instances" in PHASES:
                results["two_instances"] = two_instances(pg, env, api_dir, root, api_url, get_path, reader, key)
            if size == SIZES[0] and "detection" in PHASES:
                # Warm the detection paths first (JIT tiers of the webhook, its processor lookup and the poller's
                # batches): without it the first burst measured the warm-up as much as the path (seen: 10-36 s
                # for the same code in one session).
                # Poll first: the webhook warm-up then pushes what the poll warm-up left unpushed, so the measured
                # webhook phases start with nothing queued at the simulator.
                # One USDT order through the API makes the USDT orders address (at the processor and in
                # deposit_addresses), so the poller reads the (orders, USDT) history from here on.
                http("POST", f"{api_url}/api/v1/orders/stars", {"recipient_username": "pandus", "quantity": 100, "payment_currency": "USDT"},
                     {"Authorization": f"Bearer {key}"})
                for webhook in (False, True):
                    detection(pg, api_url, sim_url, det_partner, 2_000, webhook, webhook_token, 0.5)
                rss.reset()
                # Webhook phases first: the simulator pushes every not-yet-pushed deposit in order, so
                # deposits injected while the webhook was off would be replayed ahead of new ones.
                webhook_trickle = trickle(pg, sim_url, api_url, det_partner, 100, True, webhook_token)
                webhook_burst, webhook_mixed, webhook_ratio = ton_and_mixed_bursts(pg, api_url, sim_url, det_partner, True, webhook_token)
                poll_trickle = trickle(pg, sim_url, api_url, det_partner, 100, False, webhook_token)
                poll_burst, poll_mixed, poll_ratio = ton_and_mixed_bursts(pg, api_url, sim_url, det_partner, False, webhook_token)
                detection_results = {
                    "webhook_trickle": webhook_trickle, "webhook_burst": webhook_burst, "webhook_burst_half_usdt": webhook_mixed,
                    "poll_trickle": poll_trickle, "poll_burst": poll_burst, "poll_burst_half_usdt": poll_mixed,
                    "half_usdt_vs_ton_only": {"webhook": webhook_ratio, "poll": poll_ratio},
                }
                results["detection"] = {**detection_results, "poll_interval_s": 5, "peak_rss_mb": rss.peak_mb()}
                log(f"detection: {json.dumps(results['detection'])}")
        if "webhooks" in PHASES:
            if os.environ.get("BENCH_EVENTS_AB", "1") != "0":  # BENCH_EVENTS_AB=0: deliveries only
                results["events_create_ab"] = create_with_and_without_events(pg, api_url, key, partner_id, key_hash)
            rss.reset()
            results["webhook_deliveries"] = {**webhook_deliveries(pg, api_url, env, api_dir), "peak_rss_mb": rss.peak_mb()}
            log(f"webhooks: {json.dumps(results['webhook_deliveries'])}")
        if "refunds" in PHASES:
            rss.reset()
            results["refunds"] = {**refund_burst(pg, sim_url), "peak_rss_mb": rss.peak_mb()}
            log(f"refunds: {json.dumps(results['refunds'])}")
        results["peak_rss_mb_overall"] = round(int(re.search(r"VmHWM:\s+(\d+)", open(f"/proc/{api.pid}/status").read()).group(1)) / 1024, 1)
    finally:
        stop_all()
        pg.stop()
        if os.environ.get("BENCH_KEEP_LOGS"):
            for name in ("api.log", "sim.log"):
                if os.path.exists(os.path.join(root, name)):
                    shutil.copy(os.path.join(root, name), os.path.join(os.environ["BENCH_KEEP_LOGS"], name))
        shutil.rmtree(root, ignore_errors=True)
    # A partial run (BENCH_PHASES) is kept apart: the report is rendered from complete runs only.
    out = BENCH / "results" if PHASES >= {"reads", "create", "detection"} else BENCH / "results" / "partial"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{started.replace(':', '')}.json"
    path.write_text(json.dumps(results, indent=2))
    log(f"results written to {path}")
    print(json.dumps(results, indent=2))


def machine():
    cpus = os.cpu_count()
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
    model = re.search(r"model name\s+:\s+(.*)", open("/proc/cpuinfo").read())
    return {"cores": cpus, "memory_gib": round(mem_kb / 1024 / 1024, 1), "cpu": model.group(1) if model else "unknown",
            "dotnet": run(["dotnet", "--version"]).stdout.strip(), "postgres": run([f"{PG_BIN}/postgres", "--version"]).stdout.strip()}


if __name__ == "__main__":
    try:
        main()
    except Exception:
        stop_all()
        raise
