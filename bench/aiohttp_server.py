# SPDX-License-Identifier: MIT
"""aiohttp-on-uvloop peer for the HTTP benchmark: GET /plaintext and GET /json.

Run with /usr/bin/python3 (it has aiohttp and uvloop). Usage: aiohttp_server.py [port]
Prints "listening on PORT" once ready (0 = any free port).
"""
import asyncio
import socket
import sys

import uvloop
from aiohttp import web


async def plaintext(_request):
    return web.Response(text="Hello, World!")


async def json_handler(_request):
    return web.json_response({"message": "Hello, World!"})


async def main(port):
    app = web.Application()
    app.router.add_get("/plaintext", plaintext)
    app.router.add_get("/json", json_handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    site = web.SockSite(runner, sock, backlog=4096)
    await site.start()
    print(f"listening on {sock.getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    uvloop.install()
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 8080))
