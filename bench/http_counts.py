#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Counts what one request costs a server, in figures a shared machine does not blur.

For each server (the webapp example and the C epoll reference) and each pattern (keep-alive:
one request per write on one connection, as wrk sends it; pipelined: batches of 16 per write):
user-space instructions per request (valgrind --tool=callgrind) and system calls per request
(strace -f -c), each the difference of two runs with different request counts divided by the
difference, so start-up cancels out. Usage: http_counts.py WEBAPP REFERENCE
(bench/run_http_counts.sh builds them and calls this).
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

PIPELINE = 16


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(name, binary, port):
    if name == "webapp":
        return [binary, "--port", str(port), "--workers", "1"]
    return [binary, str(port)]


def wait_listening(port, proc, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start listening")


def drive(port, requests, batch):
    """Sends `requests` GET /plaintext (in writes of `batch`) on one connection; checks answers."""
    request = f"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode() * batch
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(requests // batch):
            s.sendall(request)
            got = b""
            while got.count(b"Hello, World!") < batch:
                data = s.recv(65536)
                if not data:
                    raise RuntimeError("the server closed the connection")
                got += data
            if got.count(b"HTTP/1.1 200 ") != batch:
                raise RuntimeError("unexpected response: " + got[:200].decode(errors="replace"))


def run_once(wrapper, name, binary, requests, batch):
    port = free_port()
    proc = subprocess.Popen(wrapper + server_command(name, binary, port), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, proc)
        drive(port, requests, batch)
    finally:
        # SIGTERM: both servers stop cleanly and callgrind writes its counts. Under strace the
        # signal goes to the traced server, so that strace sees it exit and prints its summary.
        target = proc.pid
        if wrapper[0] == "strace":
            try:
                with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
                    target = int(f.read().split()[0])
            except (OSError, IndexError, ValueError):
                pass
        os.kill(target, 15)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def instructions(name, binary, requests, batch, work):
    out = os.path.join(work, f"cg.{name}.{batch}.{requests}")
    run_once(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"], name, binary, requests, batch)
    with open(out) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError("no callgrind summary in " + out)


def syscalls(name, binary, requests, batch, work):
    out = os.path.join(work, f"st.{name}.{batch}.{requests}")
    run_once(["strace", "-f", "-c", "-o", out], name, binary, requests, batch)
    counts = {}
    with open(out) as f:
        for line in f:
            m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
            if m and m.group(2) != "total":
                counts[m.group(2)] = int(m.group(1))
    return counts


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    servers = {"reference": sys.argv[2], "webapp": sys.argv[1]}
    lo, hi = (int(x) for x in os.environ.get("REQUESTS", "1600 4800").split())
    work = tempfile.mkdtemp(prefix="eddy-http-counts.")
    rows = []
    try:
        for pattern, batch in (("keep-alive", 1), (f"pipelined {PIPELINE}", PIPELINE)):
            for name, binary in servers.items():
                print(f"  {name}, {pattern}: callgrind ...", file=sys.stderr, flush=True)
                ins = (instructions(name, binary, hi, batch, work) -
                       instructions(name, binary, lo, batch, work)) / (hi - lo)
                print(f"  {name}, {pattern}: strace ...", file=sys.stderr, flush=True)
                a = syscalls(name, binary, lo, batch, work)
                b = syscalls(name, binary, hi, batch, work)
                per = {k: (b.get(k, 0) - a.get(k, 0)) / (hi - lo) for k in set(a) | set(b)}
                per = {k: v for k, v in per.items() if v >= 0.005}
                rows.append((pattern, name, ins, per))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nper request, GET /plaintext on one connection ({lo} and {hi} requests; "
          "instructions: callgrind, user space; system calls: strace -f -c)")
    print("| pattern | server | instructions (× reference) | system calls |")
    print("|---|---|---|---|")
    ref = {p: i for p, n, i, _ in rows if n == "reference"}
    for pattern, name, ins, per in rows:
        calls = ", ".join(f"{k} {v:.2f}" for k, v in sorted(per.items(), key=lambda kv: -kv[1]))
        print(f"| {pattern} | {name} | {ins:,.0f} ({ins / ref[pattern]:.1f}×) | {calls} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
