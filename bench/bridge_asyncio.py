#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""asyncio/uvloop counterparts of bench/bridge_bench.cpp: µs per round trip. Run with the
system interpreter (/usr/bin/python3), which has Debian's python3-uvloop.

  to_thread       await asyncio.to_thread(f)               (loop -> worker -> loop)
  from_callback   a foreign thread calls loop.call_soon_threadsafe(fut.set_result, 1)
"""
import asyncio
import queue
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
    loop.set_default_executor(ThreadPoolExecutor(max_workers=1))
    f = lambda: 1
    start = time.perf_counter()
    for _ in range(n):
        await loop.run_in_executor(None, f)
    return (time.perf_counter() - start) / n


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


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    loops = [("asyncio", asyncio.new_event_loop)]
    try:
        import uvloop
        loops.append(("uvloop", uvloop.new_event_loop))
    except ImportError:
        print("uvloop missing (apt install python3-uvloop)", file=sys.stderr)
    for name, factory in loops:
        for bench in (to_thread, from_callback):
            loop = factory()
            try:
                per = loop.run_until_complete(bench(n))
            finally:
                loop.close()
            print(f"{name:8s} {bench.__name__:14s} {per * 1e6:8.2f} us/round trip")


if __name__ == "__main__":
    main()
