# SPDX-License-Identifier: MIT
# aiohttp peer of bench/run_fetch_bench.sh: REQUESTS GETs of URL over CONNECTIONS keep-alive
# connections (one ClientSession, TCPConnector(limit=CONNECTIONS)) on uvloop, bodies read
# whole. Prints "ok=N failed=N wall=S cpu=S" like bench/fetch_bench.cpp.
import asyncio
import resource
import sys
import time

import aiohttp
import uvloop


def cpu_seconds():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


async def main(url, requests, connections):
    connector = aiohttp.TCPConnector(limit=connections, limit_per_host=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        state = {"left": requests, "ok": 0, "failed": 0}

        async def worker():
            while state["left"] > 0:
                state["left"] -= 1
                try:
                    async with session.get(url) as r:
                        await r.read()
                        state["ok" if r.status == 200 else "failed"] += 1
                except Exception:
                    state["failed"] += 1

        cpu0, t0 = cpu_seconds(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    print(f"ok={state['ok']} failed={state['failed']} wall={wall:.4f} cpu={cpu:.4f}")
    return 0 if state["failed"] == 0 else 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(f"usage: {sys.argv[0]} URL REQUESTS CONNECTIONS")
    uvloop.install()
    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
