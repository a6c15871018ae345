#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Load through a proxy that counts every request's outcome (for scaleout_test.cpp).

Usage: scaleout_load.py URL CONCURRENCY SECONDS EXPECTED_BODY

Prints "started EPOCH" at once, then at the end one JSON line:
  {"ok": N, "per_second": [ok answers in each second since start],
   "failures": [{"t": EPOCH, "what": "..."}]}
A request succeeds when it gets a 200 with EXPECTED_BODY; anything else (another status,
another body, a connection error, no answer within 10 s) is a failure, with its time.
"""
import asyncio
import json
import sys
import time

import aiohttp


async def client(session, url, expected, start, deadline, stats):
    while time.time() < deadline:
        try:
            async with session.get(url) as r:
                body = await r.read()
                if r.status == 200 and body == expected:
                    second = int(time.time() - start)
                    while len(stats["per_second"]) <= second:
                        stats["per_second"].append(0)
                    stats["per_second"][second] += 1
                    stats["ok"] += 1
                    continue
                what = f"status {r.status}: {body[:80]!r}"
        except Exception as e:  # every outcome is counted, whatever it is
            what = f"{type(e).__name__}: {e}"
        stats["failures"].append({"t": time.time(), "what": what})


async def main():
    url, concurrency, seconds, expected = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4].encode()
    stats = {"ok": 0, "per_second": [], "failures": []}
    timeout = aiohttp.ClientTimeout(total=10)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        start = time.time()
        print(f"started {start:.6f}", flush=True)
        deadline = start + seconds
        await asyncio.gather(*(client(session, url, expected, start, deadline, stats) for _ in range(concurrency)))
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
