#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The workloads of runtime_bench.cpp on asyncio, with the default loop or uvloop.

    asyncio_runtime_bench.py micro --loop asyncio|uvloop   -> Google-Benchmark-shaped JSON
    asyncio_runtime_bench.py sleep --loop ... [N] [D_ms]   -> one JSON line like sleep_rss.cpp

Each micro benchmark runs a fixed number of operations several times and keeps the fastest
run (the same "best of" spirit as Google Benchmark's minimum-time loop).
"""
import argparse
import asyncio
import json
import resource
import sys
import threading
import time


def make_loop(kind):
    if kind == "uvloop":
        import uvloop  # Debian: python3-uvloop
        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


async def trivial():
    return 1


async def create_await(n):
    for _ in range(n):
        await trivial()


async def spawn_complete(n):
    for _ in range(n):
        await asyncio.create_task(trivial())


async def ping_pong(n):
    ping, pong = asyncio.Event(), asyncio.Event()
    stop = False

    async def other():
        while True:
            await ping.wait()
            ping.clear()
            if stop:
                return
            pong.set()

    t = asyncio.create_task(other())
    for _ in range(n):
        ping.set()
        await pong.wait()
        pong.clear()
    stop = True
    ping.set()
    await t


async def call_soon(n):
    loop = asyncio.get_running_loop()
    batch = 1000
    done = loop.create_future()
    count = 0

    def cb():
        nonlocal count
        count += 1

    for _ in range(n // batch):
        for _ in range(batch):
            loop.call_soon(cb)
        await asyncio.sleep(0)  # one loop iteration runs the batch
    assert count == n // batch * batch
    done.cancel()


async def post_cross_thread(n):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    count = 0

    def cb():
        nonlocal count
        count += 1
        if count == n:
            done.set_result(None)

    def producer():
        for _ in range(n):
            loop.call_soon_threadsafe(cb)

    t = threading.Thread(target=producer)
    t.start()
    await done
    t.join()


MICRO = {
    "create_await": (create_await, 200_000),
    "spawn_complete": (spawn_complete, 100_000),
    "ping_pong": (ping_pong, 100_000),
    "call_soon": (call_soon, 1_000_000),
    "post_cross_thread": (post_cross_thread, 200_000),
}


def run_micro(kind, repeats):
    results = []
    for name, (fn, n) in MICRO.items():
        best = None
        for _ in range(repeats):
            loop = make_loop(kind)
            start = time.perf_counter()
            loop.run_until_complete(fn(n))
            elapsed = time.perf_counter() - start
            loop.close()
            best = elapsed if best is None or elapsed < best else best
        results.append({"name": name, "iterations": n, "real_time": best / n * 1e9,
                        "time_unit": "ns", "items_per_second": n / best})
    json.dump({"context": {"peer": kind}, "benchmarks": results}, sys.stdout, indent=1)
    print()


def run_sleep(kind, n, delay_ms):
    state = {"asleep": 0, "peak": 0, "finished": 0}

    async def sleeper(d):
        state["asleep"] += 1
        state["peak"] = max(state["peak"], state["asleep"])
        await asyncio.sleep(d)
        state["asleep"] -= 1
        state["finished"] += 1

    async def main():
        d = delay_ms / 1000
        tasks = [asyncio.create_task(sleeper(d)) for _ in range(n)]
        await asyncio.gather(*tasks)

    loop = make_loop(kind)
    start = time.perf_counter()
    loop.run_until_complete(main())
    wall = time.perf_counter() - start
    loop.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) * 1024)
    except OSError:
        pass
    print(json.dumps({"peer": kind, "tasks": n, "sleep_s": delay_ms / 1000, "wall_s": round(wall, 3),
                      "overhead_s": round(wall - delay_ms / 1000, 3), "peak_asleep": state["peak"],
                      "peak_rss_mib": round(peak / 2**20, 1)}))
    return 0 if state["finished"] == n else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["micro", "sleep"])
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="uvloop")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("n", nargs="?", type=int, default=1_000_000)
    p.add_argument("delay_ms", nargs="?", type=int, default=2000)
    a = p.parse_intermixed_args()
    if a.mode == "micro":
        run_micro(a.loop, a.repeats)
        return 0
    if a.n <= 0 or a.delay_ms < 0:
        p.error("tasks must be > 0 and delay_ms >= 0")
    return run_sleep(a.loop, a.n, a.delay_ms)


if __name__ == "__main__":
    sys.exit(main())
