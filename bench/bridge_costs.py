#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Counts what one bridge round trip costs, in figures that a busy machine does not blur:
system calls (counted by the kernel's syscall tracepoints through perf stat, and by
strace -f -c), instructions of all threads (valgrind --tool=callgrind) and CPU time and
context switches (perf stat software counters), for eddy (bridge_bench) and
Boost.Asio (asio_bridge_bench, both wake paths). Each program runs each case twice with a
fixed number of round trips (--round_trips); the difference divided by the difference in
round trips is the cost of one, free of start-up and thread creation.

Usage: bridge_costs.py BIN_DIR   (bench/run_bridge_costs.sh builds and calls it)"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

CASES = [  # label, eddy benchmark, Asio benchmark (its two wake paths are both shown)
    ("to_thread", "to_thread_round_trip", "to_thread_round_trip"),
    ("from_callback", "from_callback_foreign_thread", "from_callback_foreign_thread"),
    ("promise", "promise_set_value_foreign_thread", "promise_set_value_foreign_thread"),
]
TRIPS = {  # tool -> (small, large) round-trip counts
    "strace": (2000, int(os.environ.get("STRACE_TRIPS", "20000"))),
    "callgrind": (2000, int(os.environ.get("CALLGRIND_TRIPS", "12000"))),
    "perf": (20000, int(os.environ.get("PERF_TRIPS", "200000"))),
}


def bench_cmd(binary, name, trips):
    return [binary, f"--benchmark_filter=^{re.escape(name)}/iterations:",
            f"--round_trips={trips}", "--benchmark_format=json"]


def strace_counts(cmd, tmp):
    """Syscall name -> calls, all threads."""
    out = os.path.join(tmp, "strace.txt")
    subprocess.run(["strace", "-f", "-c", "-o", out] + cmd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    counts = {}
    with open(out) as f:
        for line in f:
            cols = line.split()
            # % time, seconds, usecs/call, calls, [errors], syscall
            if len(cols) >= 5 and re.fullmatch(r"[\d.]+", cols[0]) and cols[-1] != "total":
                counts[cols[-1]] = int(cols[3])
    return counts


def callgrind_instructions(cmd, tmp):
    out = os.path.join(tmp, "callgrind.out")
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] + cmd,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError("no totals in callgrind output")


PERF_SYSCALLS = ("futex", "epoll_wait", "epoll_ctl", "write", "read", "sched_yield")


def perf_counts(cmd, tmp):
    """perf event -> count, all threads: task-clock (ms), context switches and, where the
    kernel's syscall tracepoints can be read, system calls (all, and the usual ones by name)
    counted in the kernel: unlike strace, this does not slow the calls down and so does not
    change which thread waits for which."""
    out = os.path.join(tmp, "perf.txt")
    events = ["task-clock", "context-switches"]
    if tracepoints_readable():
        events += ["raw_syscalls:sys_enter"] + [f"syscalls:sys_enter_{n}" for n in PERF_SYSCALLS]
    subprocess.run(["perf", "stat", "-x,", "-o", out, "-e", ",".join(events)] + cmd,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    vals = {}
    with open(out) as f:
        for line in f:
            cols = line.strip().split(",")
            if len(cols) >= 3 and cols[0] and cols[0][0].isdigit():
                vals[cols[2]] = float(cols[0])
    return vals


def tracepoints_readable():
    try:
        r = subprocess.run(["perf", "stat", "-e", "raw_syscalls:sys_enter", "true"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return r.returncode == 0
    except OSError:
        return False


def per_trip(tool, fn, cmd_for):
    small, large = TRIPS[tool]
    with tempfile.TemporaryDirectory() as tmp:
        a = fn(cmd_for(small), tmp)
        b = fn(cmd_for(large), tmp)
    span = large - small
    if isinstance(a, dict):
        return {k: (b.get(k, 0) - a.get(k, 0)) / span for k in set(a) | set(b)}
    return (b - a) / span


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit(__doc__)
    bin_dir = sys.argv[1]
    have_perf = shutil.which("perf") is not None
    progs = [("eddy", os.path.join(bin_dir, "bridge_bench"), ""),
             ("asio", os.path.join(bin_dir, "asio_bridge_bench"), "/condvar"),
             ("asio (epoll)", os.path.join(bin_dir, "asio_bridge_bench"), "/epoll")]
    print("Cost of one bridge round trip, all threads (differences of two fixed-count runs)")
    head = (f"{'round trip':14} {'peer':13} {'syscalls':>8} {'(strace)':>8} {'instructions':>12} "
            f"{'CPU µs':>7} {'ctx sw':>6}  syscalls by name")
    print(head)
    print("-" * len(head))
    for label, eddy_name, asio_name in CASES:
        for peer, binary, suffix in progs:
            name = (eddy_name if peer == "eddy" else asio_name) + suffix
            cmd_for = lambda n, b=binary, nm=name: bench_cmd(b, nm, n)  # noqa: E731
            traced = per_trip("strace", strace_counts, cmd_for)
            instructions = per_trip("callgrind", callgrind_instructions, cmd_for)
            perf = per_trip("perf", perf_counts, cmd_for) if have_perf else {}
            by_name = {k.removeprefix("syscalls:sys_enter_"): v for k, v in perf.items()
                       if k.startswith("syscalls:")}
            if not by_name:  # no tracepoints: strace's view
                by_name = traced
            counted = perf.get("raw_syscalls:sys_enter")
            detail = " ".join(f"{k} {v:.2f}" for k, v in
                              sorted(by_name.items(), key=lambda kv: -kv[1]) if v >= 0.01)
            cpu = perf.get("task-clock")
            sw = perf.get("context-switches")
            print(f"{label:14} {peer:13} {fmt(counted):>8} {sum(traced.values()):8.2f} "
                  f"{instructions:12.0f} {fmt(None if cpu is None else cpu * 1e3):>7} "
                  f"{fmt(sw):>6}  {detail}", flush=True)
    print("syscalls: counted by the kernel (perf, syscall tracepoints); (strace): strace -f -c, "
          "which slows\nevery call and so shifts who waits for whom; instructions: callgrind "
          "(one thread at a time);\nCPU µs: perf task-clock (user + kernel, all threads)")


def fmt(v):
    return "-" if v is None else f"{v:.2f}"


if __name__ == "__main__":
    main()
