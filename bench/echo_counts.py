#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Counts what one echoed message costs an echo server, in figures that a shared machine does
not blur: user-space instructions (valgrind --tool=callgrind, all threads) and system calls
(the kernel's syscall tracepoints through perf stat, or strace -f -c), for `eddy echo`
(streams and protocol mode, 1 worker), the C reference (bench/echo_reference.c), Boost.Asio
(bench/asio_echo.cpp) and optionally asyncio on uvloop (bench/echo_uvloop.py) and eddy with
--idle-timeout (peers eddy-streams-idle, eddy-protocol-idle).

Each count is taken twice, with SMALL and LARGE messages (bench/echo_load.cpp's count mode:
exactly that many messages over CONNS connections); the difference divided by LARGE - SMALL is
the cost of one message, free of start-up, accepting the connections and shutting down.
System calls are counted on a running server (the counter attaches to it for each load run);
instructions on a server started under callgrind for each run and stopped with SIGTERM.

recv, send and epoll_ctl per message are fixed by the server's design; epoll_wait per message
is not: a server that keeps up with the client finds one connection ready per wait, a slower
one several, so it is shown apart (and the fastest server may well have the most). EAGAIN
counts the system calls that failed with EAGAIN (perf only): work that found nothing to do.

Usage: echo_counts.py BENCH_DIR EDDY   (bench/run_echo_counts.sh builds and calls it)
Environment: PEERS, SIZES, CONNS, COUNTER (perf|strace), SYSCALL_MSGS ("SMALL LARGE"),
CALLGRIND_MSGS ("SMALL LARGE"), SERVER_CPU, CLIENT_CPU, PYTHON."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PEERS = os.environ.get("PEERS", "c eddy-streams eddy-protocol asio").split()
SIZES = [int(s) for s in os.environ.get("SIZES", "64 1024").split()]
CONNS = int(os.environ.get("CONNS", "64"))
SYSCALL_MSGS = [int(s) for s in os.environ.get("SYSCALL_MSGS", "20000 200000").split()]
CALLGRIND_MSGS = [int(s) for s in os.environ.get("CALLGRIND_MSGS", "10000 50000").split()]
SERVER_CPU = os.environ.get("SERVER_CPU", "0")
CLIENT_CPU = os.environ.get("CLIENT_CPU", "1")
PYTHON = os.environ.get("PYTHON", "/usr/bin/python3")
# System calls an echo server makes per message, by name (anything else is "other").
NAMED = ("recvfrom", "sendto", "read", "write", "readv", "writev", "recvmsg", "sendmsg",
         "epoll_ctl", "epoll_wait", "epoll_pwait")


def perf_usable():
    if not shutil.which("perf"):
        return False
    r = subprocess.run(["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "true"],
                       capture_output=True, text=True)
    return r.returncode == 0 and "not supported" not in r.stderr and "<not" not in r.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_cmd(peer, bench, eddy, port):
    return {
        "c": [f"{bench}/echo_reference", str(port)],
        "eddy-streams": [eddy, "echo", "--workers", "1", "--host", "127.0.0.1", "--port", str(port),
                         "--mode", "streams"],
        "eddy-protocol": [eddy, "echo", "--workers", "1", "--host", "127.0.0.1", "--port", str(port),
                          "--mode", "protocol"],
        # With an idle timeout: what keeping it costs per message (it should cost nothing).
        "eddy-streams-idle": [eddy, "echo", "--workers", "1", "--host", "127.0.0.1", "--port", str(port),
                              "--mode", "streams", "--idle-timeout", "60"],
        "eddy-protocol-idle": [eddy, "echo", "--workers", "1", "--host", "127.0.0.1", "--port", str(port),
                               "--mode", "protocol", "--idle-timeout", "60"],
        "asio": [f"{bench}/asio_echo", str(port)],
        "uvloop-streams": [PYTHON, "bench/echo_uvloop.py", "streams", str(port)],
        "uvloop-protocol": [PYTHON, "bench/echo_uvloop.py", "protocol", str(port)],
    }[peer]


def start_server(cmd, port, wrapper=(), wait_s=60.0):
    proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, *wrapper, *cmd],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}: {' '.join(cmd)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"server did not listen within {wait_s:.0f} s: {' '.join(cmd)}")


def stop_server(proc, timeout=120):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise RuntimeError("server did not stop on SIGTERM")


def load(bench, port, size, msgs):
    out = subprocess.run(["taskset", "-c", CLIENT_CPU, f"{bench}/echo_load", "count", "127.0.0.1",
                          str(port), str(CONNS), str(size), str(msgs)],
                         check=True, capture_output=True, text=True).stdout
    got = dict(kv.split("=", 1) for kv in out.split())
    if int(got["msgs"]) != msgs:
        raise RuntimeError(f"echo_load echoed {got['msgs']} messages, not {msgs}")


def perf_syscalls(pid, run, tmp):
    """Syscall name -> calls of process `pid` (all threads) while `run()` runs."""
    out = os.path.join(tmp, "perf.txt")
    events = ["-e", "raw_syscalls:sys_enter", "-e", "raw_syscalls:sys_exit", "--filter", "ret == -11"]
    for name in NAMED:
        events += ["-e", f"syscalls:sys_enter_{name}"]
    counter = subprocess.Popen(["perf", "stat", "-x,", "-o", out, "-p", str(pid), *events],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # attached (perf stat has no ready signal; attaching takes milliseconds)
    try:
        run()
    finally:
        counter.send_signal(signal.SIGINT)
        counter.wait(timeout=30)
    counts = {}
    with open(out) as f:
        for line in f:
            cols = line.strip().split(",")
            if len(cols) < 3 or not cols[0].isdigit():
                continue
            event = cols[2]
            if event == "raw_syscalls:sys_enter":
                counts["total"] = int(cols[0])
            elif event == "raw_syscalls:sys_exit":
                counts["EAGAIN"] = int(cols[0])
            elif event.startswith("syscalls:sys_enter_"):
                counts[event.removeprefix("syscalls:sys_enter_")] = int(cols[0])
    return counts


def strace_syscalls(pid, run, tmp):
    """Syscall name -> calls of process `pid` (all threads) while `run()` runs."""
    out = os.path.join(tmp, "strace.txt")
    counter = subprocess.Popen(["strace", "-f", "-c", "-o", out, "-p", str(pid)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # attached to every thread
    try:
        run()
    finally:
        counter.send_signal(signal.SIGINT)
        counter.wait(timeout=30)
    counts = {"total": 0}
    with open(out) as f:
        for line in f:
            cols = line.split()
            # % time, seconds, usecs/call, calls, [errors], syscall
            if len(cols) >= 5 and re.fullmatch(r"[\d.]+", cols[0]) and cols[-1] != "total":
                counts[cols[-1]] = int(cols[3])
                counts["total"] += int(cols[3])
    return counts


def syscalls_per_msg(peer, size, paths, counter, tmp):
    port = free_port()
    proc = start_server(server_cmd(peer, *paths, port), port)
    try:
        time.sleep(0.2)
        runs = [counter(proc.pid, lambda m=m: load(paths[0], port, size, m), tmp) for m in SYSCALL_MSGS]
    finally:
        stop_server(proc)
    small, large = runs
    span = SYSCALL_MSGS[1] - SYSCALL_MSGS[0]
    return {k: (large.get(k, 0) - small.get(k, 0)) / span for k in set(small) | set(large)}


def instructions(peer, size, paths, msgs, tmp):
    out = os.path.join(tmp, "callgrind.out")
    port = free_port()
    proc = start_server(server_cmd(peer, *paths, port), port,
                        wrapper=["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"])
    try:
        load(paths[0], port, size, msgs)
    finally:
        stop_server(proc)
    with open(out) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError("no totals in callgrind output")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    paths = (sys.argv[1], sys.argv[2])
    which = os.environ.get("COUNTER") or ("perf" if perf_usable() else "strace")
    counter = perf_syscalls if which == "perf" else strace_syscalls
    if not shutil.which(which) or not shutil.which("valgrind"):
        sys.exit(f"{which} and valgrind are needed (.ci/install-deps --bench)")
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            for peer in PEERS:
                print(f"== {peer} {size} B", file=sys.stderr, flush=True)
                sc = syscalls_per_msg(peer, size, paths, counter, tmp)
                small, large = (instructions(peer, size, paths, m, tmp) for m in CALLGRIND_MSGS)
                rows[(peer, size)] = ((large - small) / (CALLGRIND_MSGS[1] - CALLGRIND_MSGS[0]), sc)

    def fmt_ratio(v, ref):
        return f"{v / ref:5.2f}" if ref else "    -"

    print(f"per message, {CONNS} connections; syscalls counted with {which}, "
          f"instructions with callgrind (user space, all threads)")
    print(f"{'server':<18} {'size':>5} {'instr':>7} {'xC':>5} {'syscalls':>8} {'xC':>5}"
          f" {'no wait':>7} {'xC':>5} {'recv':>5} {'send':>5} {'ep_ctl':>6} {'ep_wait':>7}"
          f" {'other':>5} {'EAGAIN':>6}")
    for size in SIZES:
        ref = rows.get(("c", size))
        for peer in PEERS:
            if (peer, size) not in rows:
                continue
            ins, sc = rows[(peer, size)]
            recv = sum(sc.get(k, 0) for k in ("recvfrom", "read", "readv", "recvmsg"))
            send = sum(sc.get(k, 0) for k in ("sendto", "write", "writev", "sendmsg"))
            ctl = sc.get("epoll_ctl", 0)
            wait = sc.get("epoll_wait", 0) + sc.get("epoll_pwait", 0)
            total = sc.get("total", 0)
            other = total - recv - send - ctl - wait
            no_wait = total - wait
            eagain = f"{sc['EAGAIN']:6.3f}" if "EAGAIN" in sc else "     -"
            r_ins = fmt_ratio(ins, ref[0]) if ref else "    -"
            r_tot = fmt_ratio(total, ref[1].get("total", 0)) if ref else "    -"
            ref_no_wait = (ref[1].get("total", 0) - ref[1].get("epoll_wait", 0)
                           - ref[1].get("epoll_pwait", 0)) if ref else 0
            r_nw = fmt_ratio(no_wait, ref_no_wait) if ref else "    -"
            print(f"{peer:<18} {size:>5} {ins:>7.0f} {r_ins} {total:>8.3f} {r_tot} {no_wait:>7.3f} {r_nw}"
                  f" {recv:>5.3f} {send:>5.3f} {ctl:>6.3f} {wait:>7.3f} {other:>5.3f} {eagain}")
        print()
    print("no wait: system calls other than epoll_wait (fixed by the design; epoll_wait per message"
          " depends on how many connections each wait finds ready)")


if __name__ == "__main__":
    main()
