#!/usr/bin/env python3
"""What an event row costs the order transaction, in the database alone (issue 16's 5 % budget).

Usage (nothing else running; about 100 s per variant):
  PG_BIN=/usr/lib/postgresql/15/bin python3 bench/event_cost.py v0,v1 8 3
Starts a throwaway PostgreSQL, migrates it with the Release build (build first: bench/run.sh does),
fills 10,000 orders, runs the event dispatcher's statement every 100 ms in one psql session
(NODISPATCH=1 leaves it out), and for each variant (applied cumulatively, in the order given) runs
pgbench on bench/order_tx.sql in ABBA cycles with the event triggers enabled and disabled. Variants:
v0 the schema as migrated; v1 the index changes of 0009 plus no FK on events.partner_id (the FK part
is not in 0009); v2 lz4 on the snapshot (a no-op: rows under 2 KB are never compressed); tiny an
order trigger writing '{}' instead of the row; noop an order trigger that
writes nothing (the trigger machinery alone); cte no trigger, the event written by the order's own
INSERT (a data-modifying CTE; run it after v1, it compares against the triggerless script); q insert-only numbering (a queue table filled by the
trigger, numbers in a side table; bench/results/ab/event-cost/dispatch_q.sql). Outputs of the
2026-12-03 runs are in bench/results/ab/event-cost/.
"""
import os, shutil, sys, time, threading, subprocess, statistics, tempfile, json
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as B

def dispatcher_sql():
    """The statement EventDispatcher runs, read from its source (so this measures the real one)."""
    source = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../src/TheOpenMoney.Api/Events/EventDispatcher.cs")).read()
    body = source.split('"""', 2)[1]
    return "\n".join(line.strip() for line in body.strip().splitlines()).replace("$1", "2000").replace("$2", "now()") + ";"


DISPATCHER_SQL = dispatcher_sql()

VARIANT_SQL = {
 "v0": "",
 "v1": """
DROP INDEX ux_events_seq; CREATE UNIQUE INDEX ux_events_seq ON events (seq) WHERE seq IS NOT NULL;
DROP INDEX ix_events_created_at; CREATE INDEX ix_events_created_at ON events USING brin (created_at);
ALTER TABLE events DROP CONSTRAINT events_partner_id_fkey;
""",
 "v2": """
ALTER TABLE events ALTER COLUMN snapshot SET COMPRESSION lz4; ALTER TABLE events SET (toast_tuple_target = 128);
""",
 "tiny": """
CREATE OR REPLACE FUNCTION record_order_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO events (partner_id, type, order_id, snapshot) VALUES (NEW.partner_id, 'order.created', NEW.id, '{}');
    END IF;
    RETURN NULL;
END;
$$;
""",
 "cte": "",
 "noop": """
CREATE OR REPLACE FUNCTION record_order_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NULL;
END;
$$;
""",
 "q": """
CREATE TABLE event_queue (event_id bigint PRIMARY KEY);
CREATE TABLE event_numbers (seq bigint PRIMARY KEY, event_id bigint NOT NULL, partner_id bigint NOT NULL);
CREATE INDEX ix_event_numbers_partner ON event_numbers (partner_id, seq);
DROP INDEX ix_events_unsequenced; DROP INDEX ux_events_seq; DROP INDEX ix_events_partner_seq;
CREATE OR REPLACE FUNCTION record_order_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH e AS (INSERT INTO events (partner_id, type, order_id, snapshot) VALUES (NEW.partner_id, 'order.created', NEW.id, to_jsonb(NEW)) RETURNING id)
        INSERT INTO event_queue SELECT id FROM e;
    END IF;
    RETURN NULL;
END;
$$;
""",
}
DISPATCH = DISPATCHER_SQL
CURRENT = {"sql": DISPATCH}

CTE_TX = os.path.join(tempfile.mkdtemp(prefix="trig-tx-"), "order_tx_cte.sql")


def write_cte_tx():
    """order_tx.sql with the event written by the order's INSERT itself (a data-modifying CTE), no trigger."""
    sql = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "order_tx.sql")).read()
    start = sql.index("INSERT INTO orders")
    end = sql.index("RETURNING id;", start) + len("RETURNING id;")
    insert = sql[start:end].replace("RETURNING id;", "RETURNING *")
    sql = sql[:start] + "WITH o AS (" + insert + ")\nINSERT INTO events (partner_id, type, order_id, snapshot) SELECT partner_id, 'order.created', id, to_jsonb(o) FROM o RETURNING order_id;" + sql[end:]
    open(CTE_TX, "w").write(sql)


def main(variants, cycles, dur):
    write_cte_tx()
    root = tempfile.mkdtemp(prefix="trig-")
    pg = B.Postgres(root)
    try:
        api_dir = B.ROOT / "src/TheOpenMoney.Api/bin/Release/net10.0"
        env = {**os.environ, "ConnectionStrings__Postgres": pg.dsn, "ApiKeys__Pepper": B.PEPPER, "Webhooks__SecretKey": "YmVuY2gtd2ViaG9vay1zZWNyZXQta2V5LTMyLWJ5dGU="}
        B.run(["dotnet", "TheOpenMoney.Api.dll", "migrate"], env=env, cwd=api_dir)
        B.run(["dotnet", "TheOpenMoney.Api.dll", "keys", "create", "--telegram-user-id", "900001"], env=env, cwd=api_dir)
        partner = pg.sql("SELECT id FROM partners WHERE telegram_user_id = 900001")
        key_hash = pg.sql(f"SELECT encode(key_hash, 'hex') FROM api_keys WHERE partner_id = {partner} AND revoked_at IS NULL")
        pg.sql("INSERT INTO partners (telegram_user_id, username, created_at, updated_at) SELECT 800000000 + g, 'filler', now(), now() FROM generate_series(0, 999) g")
        B.fill_orders(pg, 10000, 1000)
        # The dispatcher, every 100 ms, in one psql session.
        stop = threading.Event()
        psql = subprocess.Popen(["psql", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d", "tom", "-qAt"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        def dispatch():
            while not stop.is_set():
                psql.stdin.write(CURRENT["sql"] + "\n"); psql.stdin.flush(); time.sleep(0.1)
        if not os.environ.get("NODISPATCH"):
            threading.Thread(target=dispatch, daemon=True).start()
        B.DURATION = dur
        for _ in range(2):
            B.pgbench(pg, partner, key_hash)  # warm-up
        out = {}
        for v in variants:
            if VARIANT_SQL[v]:
                if v == "q":
                    time.sleep(1)
                    pg.sql("UPDATE events SET seq = nextval('event_seq') WHERE seq IS NULL")
                    CURRENT["sql"] = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "results/ab/event-cost/dispatch_q.sql")).read()
                pg.sql(VARIANT_SQL[v])
                print(v, "avg snapshot bytes", pg.sql("SELECT avg(pg_column_size(snapshot))::int, avg(pg_column_size(e.*))::int FROM (SELECT * FROM events ORDER BY id DESC LIMIT 1000) e"), flush=True)
            ratios = []
            for c in range(cycles):
                cyc = {"on": 0, "off": 0}
                for label in ("on", "off", "off", "on"):
                    a = "ENABLE" if label == "on" and v != "cte" else "DISABLE"
                    pg.sql(f"ALTER TABLE orders {a} TRIGGER tr_orders_events; ALTER TABLE balance_ledger {a} TRIGGER tr_balance_ledger_events")
                    # cte: no trigger; "on" writes the event in the order's own INSERT statement instead.
                    B.ORDER_TX = CTE_TX if v == "cte" and label == "on" else "order_tx.sql"
                    r = B.pgbench(pg, partner, key_hash)["rps"]
                    cyc[label] += r
                    print(v, label, r, flush=True)
                ratios.append(round(cyc["on"] / cyc["off"], 3))
            out[v] = {"ratios": ratios, "median": statistics.median(ratios), "mean": round(statistics.mean(ratios), 3)}
            print(v, "avg snapshot bytes after", pg.sql("SELECT avg(pg_column_size(snapshot))::int, avg(pg_column_size(e.*))::int FROM (SELECT * FROM events ORDER BY id DESC LIMIT 1000) e"), flush=True)
            print(v, out[v], flush=True)
        stop.set()
        psql.stdin.close(); psql.wait()
        print(json.dumps(out))
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)

main(sys.argv[1].split(","), int(sys.argv[2]), int(sys.argv[3]))
