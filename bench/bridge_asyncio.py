#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""asyncio/uvloop counterparts of bench/bridge_bench.cpp: µs per round trip. Run with the
system interpreter (/usr/bin/python3), which has Debian's python3-uvloop.

  to_thread       await loop.run_in_executor(pool, f)      (loop -> worker -> loop)
  from_callback   a foreign thread calls loop.call_soon_threadsafe(fut.set_result, 1)
  promise         a foreign thread sets a concurrent.futures.Future; the loop awaits
                  asyncio.wrap_future of it (which resumes through call_soon_threadsafe)

  bridge_asyncio.py [N]                         # N round trips each, text, both loops
  bridge_asyncio.py --json --loop uvloop --seconds 2 --repetitions 3
      # Google-Benchmark-shaped JSON (the median of the repetitions as real_time, in ns), for
      # bench/run_bridge_bench.sh; each repetition runs about --seconds
"""
import argparse
import asyncio
import concurrent.futures
import json
import queue
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def foreign_thread():
    q = queue.Queue()

    def work():
        while True:
            fn = q.get()
            if fn is None:
                return
            fn()

    t = threading.Thread(target=work, daemon=True)
    t.start()
    return q, t


async def to_thread(n):
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=1)
    f = lambda: 1
    start = time.perf_counter()
    for _ in range(n):
        await loop.run_in_executor(pool, f)
    elapsed = time.perf_counter() - start
    pool.shutdown()
    return elapsed / n


async def from_callback(n):
    loop = asyncio.get_running_loop()
    q, t = foreign_thread()
    start = time.perf_counter()
    for _ in range(n):
        fut = loop.create_future()
        q.put(lambda fut=fut: loop.call_soon_threadsafe(fut.set_result, 1))
        await fut
    elapsed = time.perf_counter() - start
    q.put(None)
    t.join()
    return elapsed / n


async def promise(n):
    q, t = foreign_thread()
    start = time.perf_counter()
    for _ in range(n):
        cf = concurrent.futures.Future()
        q.put(lambda cf=cf: cf.set_result(1))
        await asyncio.wrap_future(cf)
    elapsed = time.perf_counter() - start
    q.put(None)
    t.join()
    return elapsed / n


BENCHES = (to_thread, from_callback, promise)


def loop_factories(which):
    out = []
    if which in ("asyncio", "both"):
        out.append(("asyncio", asyncio.new_event_loop))
    if which in ("uvloop", "both"):
        try:
            import uvloop
            out.append(("uvloop", uvloop.new_event_loop))
        except ImportError:
            sys.exit("uvloop missing (apt-get install python3-uvloop)")
    return out


def run_once(factory, bench, n):
    loop = factory()
    try:
        return loop.run_until_complete(bench(n))
    finally:
        loop.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, help="round trips per benchmark (else --seconds)")
    ap.add_argument("--loop", choices=("asyncio", "uvloop", "both"), default="both")
    ap.add_argument("--seconds", type=float, default=1.0, help="time per repetition")
    ap.add_argument("--repetitions", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.n is not None and a.n <= 0:
        ap.error("n must be positive")
    if a.seconds <= 0 or a.repetitions <= 0:
        ap.error("--seconds and --repetitions must be positive")
    results = []
    for name, factory in loop_factories(a.loop):
        for bench in BENCHES:
            n = a.n
            if n is None:  # calibrate: about --seconds per repetition
                per = run_once(factory, bench, 500)
                n = max(500, int(a.seconds / per))
            pers = [run_once(factory, bench, n) for _ in range(a.repetitions)]
            per = statistics.median(pers)
            results.append((name, bench.__name__, n, per))
            if not a.json:
                print(f"{name:8s} {bench.__name__:14s} {per * 1e6:8.2f} us/round trip")
    if a.json:
        print(json.dumps({"benchmarks": [
            {"name": bench, "loop": name, "iterations": n, "real_time": per * 1e9, "time_unit": "ns"}
            for name, bench, n, per in results]}, indent=1))


if __name__ == "__main__":
    main()
