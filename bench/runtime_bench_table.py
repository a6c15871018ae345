#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Prints the side-by-side table of bench/run_runtime_bench.sh from the JSON files in DIR:
eddy.json, asio.json, uvloop.json, asyncio.json (Google-Benchmark-shaped) and sleep_*.json
(one line each). Usage: runtime_bench_table.py DIR"""
import json
import os
import sys

PEERS = ["eddy", "asio", "uvloop", "asyncio"]
ROWS = [  # name, label, minimum eddy-vs-asio ratio, minimum eddy-vs-uvloop ratio
    ("create_await", "(a) create + await task", 1.0, 20.0),
    ("spawn_complete", "(b) spawn + complete", 1.0, 20.0),
    ("ping_pong", "(c) ping-pong via event", 1.0, 20.0),
    ("call_soon", "(e) call_soon", None, None),
    ("post_cross_thread", "(f) cross-thread post", None, None),
]


def load_micro(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        data = json.load(f)
    out = {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        ips = b.get("items_per_second")
        if ips:
            out[b["name"].split("/")[0]] = 1e9 / ips  # ns per operation
    return out


def fmt_ns(v):
    return "-" if v is None else (f"{v:,.1f}" if v < 100 else f"{v:,.0f}")


def main():
    d = sys.argv[1]
    micro = {p: load_micro(os.path.join(d, p + ".json")) for p in PEERS}
    print("Runtime micro-benchmarks: ns per operation (lower is better); ratios = peer / eddy")
    head = f"{'workload':26} {'eddy':>8} {'asio':>8} {'uvloop':>8} {'asyncio':>8}  {'vs asio':>8} {'vs uvloop':>9}  target"
    print(head)
    print("-" * len(head))
    missed = 0
    for name, label, min_asio, min_uv in ROWS:
        v = {p: micro[p].get(name) for p in PEERS}
        e = v["eddy"]
        r_asio = v["asio"] / e if e and v["asio"] else None
        r_uv = v["uvloop"] / e if e and v["uvloop"] else None
        target = ""
        if min_asio is not None:
            ok = r_asio is not None and r_uv is not None and r_asio >= min_asio and r_uv >= min_uv
            missed += not ok
            target = f">={min_asio:g}x asio, >={min_uv:g}x uvloop: {'met' if ok else 'MISSED'}"
        ra = "-" if r_asio is None else f"{r_asio:.2f}x"
        ru = "-" if r_uv is None else f"{r_uv:.1f}x"
        print(f"{label:26} {fmt_ns(e):>8} {fmt_ns(v['asio']):>8} {fmt_ns(v['uvloop']):>8} "
              f"{fmt_ns(v['asyncio']):>8}  {ra:>8} {ru:>9}  {target}")

    sleeps = []
    for p in PEERS:
        path = os.path.join(d, f"sleep_{p}.json")
        if os.path.exists(path):
            with open(path) as f:
                text = f.read().strip()
            if text:
                sleeps.append(json.loads(text.splitlines()[-1]))
    if sleeps:
        print()
        print("(d) concurrently sleeping tasks (separate processes)")
        head = f"{'peer':8} {'tasks':>9} {'asleep at once':>14} {'sleep s':>8} {'wall s':>8} {'overhead s':>10} {'peak RSS MiB':>12}"
        print(head)
        print("-" * len(head))
        for s in sleeps:
            print(f"{s['peer']:8} {s['tasks']:>9,} {s['peak_asleep']:>14,} {s['sleep_s']:>8.1f} "
                  f"{s['wall_s']:>8.2f} {s['overhead_s']:>10.2f} {s['peak_rss_mib']:>12.1f}")
        eddy = next((s for s in sleeps if s["peer"] == "eddy"), None)
        if eddy:
            ok = eddy["peak_rss_mib"] <= 256 and eddy["peak_asleep"] == eddy["tasks"]
            missed += not ok
            print(f"target: eddy peak RSS <= 256 MiB with all {eddy['tasks']:,} asleep at once: "
                  f"{'met' if ok else 'MISSED'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
