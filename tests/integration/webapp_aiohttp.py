# SPDX-License-Identifier: MIT
"""Drives the demo web app with aiohttp's client (pooled keep-alive, concurrency, streaming).

Usage: webapp_aiohttp.py BASE_URL. Prints OK on success; an assertion names what failed.
"""
import asyncio
import json
import sys

import aiohttp

base = sys.argv[1].rstrip("/")


async def main():
    timeout = aiohttp.ClientTimeout(total=20)
    connector = aiohttp.TCPConnector(limit=8)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as s:
        async with s.get(base + "/plaintext") as r:
            assert r.status == 200 and await r.text() == "Hello, World!", r.status
        async with s.get(base + "/json") as r:
            assert r.status == 200 and await r.json() == {"message": "Hello, World!"}

        # Many concurrent requests over a small pool of keep-alive connections.
        async def one(i):
            async with s.get("%s/users/%d" % (base, i)) as r:
                assert r.status == 200, r.status
                return await r.json()

        users = await asyncio.gather(*(one(i) for i in range(200)))
        assert [u["id"] for u in users] == list(range(200)), users[:3]

        async with s.post(base + "/echo", data=b"x" * 100_000, headers={"Content-Type": "application/x-big"}) as r:
            body = await r.read()
            assert r.status == 200 and body == b"x" * 100_000 and r.headers["Content-Type"] == "application/x-big"

        # A streamed (chunked) upload from an async generator.
        async def gen():
            for i in range(50):
                yield b"%03d," % i

        async with s.post(base + "/echo", data=gen(), headers={"Content-Type": "text/csv"}) as r:
            assert r.status == 200 and await r.read() == b"".join(b"%03d," % i for i in range(50))

        async with s.get(base + "/stream") as r:
            lines = [line async for line in r.content]
            assert lines == [b"line %d\n" % i for i in range(1, 11)], lines

        async with s.get(base + "/sse") as r:
            assert r.headers["Content-Type"].startswith("text/event-stream"), r.headers
            text = (await r.read()).decode()
            for i in (1, 2, 3):
                assert "event: tick\nid: %d\ndata: tick %d\n\n" % (i, i) in text, text

    # The item store is per worker thread: create and read back over one connection.
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=1)) as one_conn:
        async with one_conn.post(base + "/api/items", json={"name": "cup", "price": 3}) as r:
            assert r.status == 201, (r.status, await r.text())
            item = await r.json()
            location = r.headers["Location"]
        async with one_conn.get(base + location) as r:
            assert r.status == 200 and await r.json() == item, (r.status, item)

    async with aiohttp.ClientSession(timeout=timeout) as s:
        async with s.post(base + "/api/items", json={"name": "", "price": 1}) as r:
            assert r.status == 422, r.status
        async with s.post(base + "/api/items", json=[1, 2]) as r:
            assert r.status == 422, r.status

        async with s.get(base + "/static/hello.txt") as r:
            assert r.status == 200 and await r.text() == "static hello\n"
        async with s.get(base + "/static/%2e%2e/main.cpp") as r:
            assert r.status == 404, r.status
        async with s.head(base + "/static/hello.txt") as r:
            assert r.status == 200 and r.headers["Content-Length"] == "13"
    print("OK")


asyncio.run(main())
