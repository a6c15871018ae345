#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Prints the table of bench/run_bridge_bench.sh from the JSON files in DIR: eddy.json and
asio.json (Google Benchmark, repetitions with aggregates: the median is used; asio's runs are
NAME/condvar, the one compared, and NAME/epoll, shown beside it), asyncio.json
and uvloop.json (bench/bridge_asyncio.py --json). Exit status 1 if a target is missed.
Usage: bridge_bench_table.py DIR"""
import json
import os
import sys

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
ROWS = [  # C++ benchmark name, asyncio name (None: no counterpart), label, targets checked
    ("to_thread_round_trip", "to_thread", "to_thread (loop->pool->loop)", True),
    ("from_callback_foreign_thread", "from_callback", "from_callback, foreign thread", True),
    ("promise_set_value_foreign_thread", "promise", "promise set on foreign thread", False),
    ("from_callback_synchronous", None, "from_callback, fired inline", False),
]


def load(path):
    """Benchmark name -> µs per round trip (the median if there are repetitions)."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        data = json.load(f)
    out, plain = {}, {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        base = b.get("run_name", b["name"]).removesuffix("/real_time")
        us = b["real_time"] * UNIT_NS[b.get("time_unit", "ns")] / 1e3
        if b.get("aggregate_name") == "median":
            out[base] = us
        elif b.get("run_type", "iteration") == "iteration" and "aggregate_name" not in b:
            plain.setdefault(base, us)
    for k, v in plain.items():
        out.setdefault(k, v)
    return out


def fmt(v, spec="{:.2f}"):
    return "-" if v is None else spec.format(v)


def verdict(ok):
    return "-" if ok is None else ("PASS" if ok else "MISS")


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit(__doc__)
    d = sys.argv[1]
    peers = {p: load(os.path.join(d, p + ".json")) for p in ("eddy", "asio", "asyncio", "uvloop")}
    print("Bridge round trips: µs per round trip, median of the repetitions (lower is better)")
    print("ratios = eddy / peer; targets (to_thread, from_callback): eddy <= asyncio/10 (plain "
          "and on uvloop) and eddy <= Boost.Asio")
    head = (f"{'round trip':31} {'eddy':>7} {'asio':>7} {'(epoll)':>7} {'asyncio':>8} {'uvloop':>7}  "
            f"{'e/asyncio':>9} {'e/uvloop':>8} {'e/asio':>6}  {'<=asyncio/10':>12} "
            f"{'<=uvloop/10':>11} {'<=asio':>6}")
    print(head)
    print("-" * len(head))
    missed = 0
    for cxx, py, label, targeted in ROWS:
        e, a = peers["eddy"].get(cxx), peers["asio"].get(cxx + "/condvar")
        a_epoll = peers["asio"].get(cxx + "/epoll")
        ai = peers["asyncio"].get(py) if py else None
        uv = peers["uvloop"].get(py) if py else None
        r = {k: (e / v if e is not None and v else None) for k, v in
             (("asyncio", ai), ("uvloop", uv), ("asio", a))}
        checks = [None, None, None]
        if targeted:
            checks = [r["asyncio"] is not None and r["asyncio"] <= 0.1,
                      r["uvloop"] is not None and r["uvloop"] <= 0.1,
                      r["asio"] is not None and r["asio"] <= 1.0]
            missed += checks.count(False)
        print(f"{label:31} {fmt(e):>7} {fmt(a):>7} {fmt(a_epoll):>7} {fmt(ai):>8} {fmt(uv):>7}  "
              f"{fmt(r['asyncio'], '{:.3f}'):>9} {fmt(r['uvloop'], '{:.3f}'):>8} "
              f"{fmt(r['asio']):>6}  {verdict(checks[0]):>12} {verdict(checks[1]):>11} "
              f"{verdict(checks[2]):>6}")
    print("asio = io_context without I/O objects (its thread sleeps on a condition variable); "
          "(epoll) = the same with its\nepoll reactor started, eddy's wake path; not compared")
    print(f"targets missed: {missed}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
