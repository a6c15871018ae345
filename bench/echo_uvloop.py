# SPDX-License-Identifier: MIT
"""asyncio TCP echo server on uvloop for bench/run_echo_bench.sh.

    /usr/bin/python3 bench/echo_uvloop.py streams|protocol PORT

streams: asyncio.start_server, a coroutine per connection (read up to 16 KiB, write, drain).
protocol: an asyncio.Protocol whose data_received writes the bytes back; reading pauses while
the transport's write buffer is above its high-water mark.
Listens on 127.0.0.1 and runs until killed.
"""
import asyncio
import socket
import sys

try:
    import uvloop
except ImportError:
    sys.exit("echo_uvloop.py: uvloop missing (apt-get install python3-uvloop; use /usr/bin/python3)")


async def echo_stream(reader, writer):
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            data = await reader.read(16384)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


class EchoProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data):
        self.transport.write(data)

    def pause_writing(self):
        self.transport.pause_reading()

    def resume_writing(self):
        self.transport.resume_reading()


async def main(mode, port):
    loop = asyncio.get_running_loop()
    if mode == "streams":
        server = await asyncio.start_server(echo_stream, "127.0.0.1", port, backlog=4096)
    else:
        server = await loop.create_server(EchoProtocol, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("streams", "protocol") or not sys.argv[2].isdigit():
        sys.exit("usage: echo_uvloop.py streams|protocol PORT")
    uvloop.install()
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
