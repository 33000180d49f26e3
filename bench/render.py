#!/usr/bin/env python3
"""Renders bench/RESULTS.md from a results JSON written by run.py (the newest one by default)."""
import json
import pathlib
import sys

BENCH = pathlib.Path(__file__).resolve().parent
TARGETS = {
    "create_vs_pgbench": 0.5,
    "get_vs_bare": 0.4,
}


def mark(ok):
    return "met" if ok else "**missed**"


def burst_row(name, b):
    first = b.get("first_ms")
    return (f"| {name} | {b['deposits']:,} | {b['all_paid_seconds']} ({mark(b['all_paid_seconds'] < 10)}) | "
            f"{round(first / 1000, 2) if first is not None else '—'} | {b.get('applying_seconds', '—')} | {b['p50_ms']} | {b['p99_ms']} |")


def render(results, notes):
    sizes = results["sizes"]
    machine = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Run {results['started_at']} by `bench/run.sh` on {machine['cores']} cores, {machine['memory_gib']} GiB "
        f"({machine['cpu']}); .NET {machine['dotnet']}; {machine['postgres']}. wrk and pgbench on loopback, "
        f"{results['connections']} connections, {results['duration_s']} s per run, API in Release with JSON request logs. "
        "Ratios compare figures taken side by side in this one run; the absolute numbers move with the "
        "machine's load, the ratios much less.",
        "",
        "## Order creation vs the database ceiling",
        "",
        "`POST /api/v1/orders/stars` (unique `Idempotency-Key` each, `ton_memo`) against pgbench running the "
        "same statements (`bench/order_tx.sql`: key lookup, replay check, claim key, insert order, store response).",
        "",
        "| orders in table | API req/s | API p50 ms | API p99 ms | pgbench tps | pgbench p99 ms | ratio (target ≥ 0.5) | p99 < 50 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size, f in sizes.items():
        c, p = f["create_order"], f["pgbench_order_tx"]
        ratio = f["ratios"]["create_vs_pgbench"]
        lines.append(f"| {f['orders_in_table']:,} | {c['rps']:,} | {c['p50_ms']} | {c['p99_ms']} | {p['rps']:,} | {p['p99_ms']} | "
                     f"{ratio} ({mark(ratio >= 0.5)}) | {mark(c['p99_ms'] < 50)} |")
    lines += [
        "",
        "## Reads vs the framework's ceiling",
        "",
        f"A bare endpoint in the same process returns a fixed JSON body of the same size "
        f"({results['body_bytes']['get_order']} and {results['body_bytes']['list_orders']} bytes), no key, no database.",
        "",
        "| orders in table | GET order req/s | p99 ms | bare req/s | ratio (≥ 0.4) | GET list req/s | p99 ms | bare req/s | ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for size, f in sizes.items():
        g, gb, l, lb = f["get_order"], f["bare_get_order_size"], f["list_orders"], f["bare_list_size"]
        lines.append(f"| {f['orders_in_table']:,} | {g['rps']:,} | {g['p99_ms']} | {gb['rps']:,} | {f['ratios']['get_vs_bare']} "
                     f"({mark(f['ratios']['get_vs_bare'] >= 0.4)}) | {l['rps']:,} | {l['p99_ms']} | {lb['rps']:,} | {f['ratios']['list_vs_bare']} |")
    if all("keyed_get_order_size" in f for f in sizes.values()):
        lines += [
            "",
            "Where a keyed read's time goes: the same fixed body behind the partner key check (`/bench/keyed`, one "
            "indexed lookup per request, no cache, so a revoked key fails on the next request), next to the bare "
            "endpoint and the real GET (key check plus the order query).",
            "",
            "| orders in table | bare req/s | key check only req/s | ratio to bare | GET order req/s | ratio to bare |",
            "|---|---|---|---|---|---|",
        ]
        for size, f in sizes.items():
            gb, k, g = f["bare_get_order_size"], f["keyed_get_order_size"], f["get_order"]
            lines.append(f"| {f['orders_in_table']:,} | {gb['rps']:,} | {k['rps']:,} | {f['ratios']['keyed_vs_bare']} | {g['rps']:,} | "
                         f"{f['ratios']['get_vs_bare']} |")
    d = results.get("detection")
    if d:
        lines += [
            "",
            "## Payment detection",
            "",
            f"10,000 pending orders, one exact deposit each injected into the simulator at once; time until every "
            f"order is `paid`, and latency from injection to each deposit being applied. Poll interval {d['poll_interval_s']} s. "
            "The trickle rows send single deposits at a steady pace.",
            "",
            "For the bursts, \"first applied\" is when the poll or webhook that picked the burst up applied its first deposit "
            "(for the poller mostly the wait for the next tick) and \"applying\" the time from there to the last.",
            "",
            "| path | deposits | all paid after s (target < 10) | first applied s | applying s | p50 ms | p99 ms |",
            "|---|---|---|---|---|---|---|",
            burst_row("poller, burst", d["poll_burst"]),
            burst_row("webhook, burst", d["webhook_burst"]),
            *([burst_row("poller, burst half USDT", d["poll_burst_half_usdt"]),
               burst_row("webhook, burst half USDT", d["webhook_burst_half_usdt"])] if "poll_burst_half_usdt" in d else []),
            f"| poller, trickle {d['poll_trickle']['rate_per_second']}/s | {d['poll_trickle']['deposits']} | — | — | — | {d['poll_trickle']['p50_ms']} | {d['poll_trickle']['p99_ms']} (target ≤ {d['poll_interval_s'] * 1000 + 1000}: {mark((d['poll_trickle']['p99_ms'] or 1e9) <= d['poll_interval_s'] * 1000 + 1000)}) |",
            f"| webhook, trickle {d['webhook_trickle']['rate_per_second']}/s | {d['webhook_trickle']['deposits']} | — | — | — | {d['webhook_trickle']['p50_ms']} | {d['webhook_trickle']['p99_ms']} (target ≤ 200: {mark((d['webhook_trickle']['p99_ms'] or 1e9) <= 200)}) |",
        ]
        if "half_usdt_vs_ton_only" in d:
            r = d["half_usdt_vs_ton_only"]
            lines += ["", "Half TON, half USDT (interleaved, two histories each with its own cursor) against TON only, all "
                      f"paid, medians of runs alternated with the TON-only ones: poller {r['poll']}×, webhook {r['webhook']}× "
                      f"(target within 10 %: {mark(r['poll'] <= 1.1 and r['webhook'] <= 1.1)})."]
    lines += ["", "## Memory", "", "Peak resident set of the API process (sampled every 100 ms; target < 300 MB).", "",
              "| run | peak RSS MB |", "|---|---|"]
    for size, f in sizes.items():
        for name in ("create_order", "get_order", "list_orders"):
            lines.append(f"| {name} at {f['orders_in_table']:,} orders | {f[name]['peak_rss_mb']} |")
    if d:
        lines.append(f"| payment detection | {d['peak_rss_mb']} |")
    lines.append(f"| whole run (VmHWM) | {results['peak_rss_mb_overall']} ({mark(results['peak_rss_mb_overall'] < 300)}) |")
    keys = list(sizes.keys())
    if len(keys) > 1:
        first, last = sizes[keys[0]], sizes[keys[-1]]
        lines += ["", "## Growth of the table", "", f"Change from {first['orders_in_table']:,} to {last['orders_in_table']:,} orders (target: no figure worse by more than 20 %).", "",
                  "| figure | small | large | change |", "|---|---|---|---|"]
        for name in ("create_order", "get_order", "list_orders"):
            a, b = first[name]["rps"], last[name]["rps"]
            change = (b - a) / a * 100
            lines.append(f"| {name} req/s | {a:,} | {b:,} | {change:+.1f} % ({mark(change >= -20)}) |")
        # The same figures as ratios to the ceiling measured beside them, which cancels most of the
        # machine's own drift between sizes (the absolute rows above include it).
        for name, ratio in (("create_order / pgbench", "create_vs_pgbench"), ("get_order / bare", "get_vs_bare"), ("list_orders / bare", "list_vs_bare")):
            a, b = first["ratios"][ratio], last["ratios"][ratio]
            change = (b - a) / a * 100
            lines.append(f"| {name} (ratio) | {a} | {b} | {change:+.1f} % ({mark(change >= -20)}) |")
    if notes:
        lines += ["", "## Notes", "", notes.strip()]
    return "\n".join(lines) + "\n"


def main():
    files = sorted((BENCH / "results").glob("*.json"))
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else files[-1]
    notes_file = BENCH / "NOTES.md"
    notes = notes_file.read_text() if notes_file.exists() else ""
    (BENCH / "RESULTS.md").write_text(render(json.loads(path.read_text()), notes))
    print(f"wrote {BENCH / 'RESULTS.md'} from {path}")


if __name__ == "__main__":
    main()
