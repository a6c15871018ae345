#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Counts what one bridge round trip costs, in figures that a busy machine does not blur:
system calls (counted by the kernel's syscall tracepoints through perf stat, and by
strace -f -c), instructions of all threads (valgrind --tool=callgrind), CPU time and context
switches (perf stat software counters) and the wall time with every thread pinned to one CPU,
for eddy (bridge_bench) and Boost.Asio (asio_bridge_bench, both wake paths). strace and
callgrind run each case twice with a fixed number of round trips (--round_trips): the
difference divided by the difference in round trips is the cost of one, free of start-up and
thread creation. The perf and pinned figures are medians of several long runs.

Usage: bridge_costs.py BIN_DIR   (bench/run_bridge_costs.sh builds and calls it)
Environment: PEERS (e.g. "eddy" or "eddy,asio,asio (epoll)"), STRACE_TRIPS, CALLGRIND_TRIPS,
PERF_TRIPS, PERF_RUNS."""
import json
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
}
UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
PERF_TRIPS = int(os.environ.get("PERF_TRIPS", "100000"))
PERF_RUNS = int(os.environ.get("PERF_RUNS", "5"))


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


def perf_per_trip(cmd_for):
    """perf event -> (median, min, max) per round trip over PERF_RUNS runs. Which thread
    sleeps and which finds work waiting changes from run to run on a shared machine, and with
    it the system calls: one difference of two runs would mix two such modes. Start-up costs
    (a few hundred calls) are negligible against PERF_TRIPS round trips."""
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(PERF_RUNS):
            counts = perf_counts(cmd_for(PERF_TRIPS), tmp)
            runs.append({k: v / PERF_TRIPS for k, v in counts.items()})
    out = {}
    for k in runs[0]:
        vals = sorted(r.get(k, 0.0) for r in runs)
        out[k] = (vals[len(vals) // 2], vals[0], vals[-1])
    return out


def pinned_wall_us(cmd_for):
    """Median µs per round trip over PERF_RUNS runs with every thread pinned to one CPU
    (taskset -c 0), or None without taskset. Each hand-off is then a context switch on that
    CPU, never a wake-up of another (virtual) CPU: the figure moves far less with machine load
    than the unpinned one, which bench/run_bridge_bench.sh reports."""
    if shutil.which("taskset") is None:
        return None
    walls = []
    for _ in range(PERF_RUNS):
        r = subprocess.run(["taskset", "-c", "0"] + cmd_for(PERF_TRIPS), check=True,
                           capture_output=True, text=True)
        b = json.loads(r.stdout)["benchmarks"][0]
        walls.append(b["real_time"] * UNIT_NS[b.get("time_unit", "ns")] / 1e3)
    walls.sort()
    return walls[len(walls) // 2]


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
    wanted = os.environ.get("PEERS")  # e.g. PEERS=eddy: only those rows
    if wanted:
        progs = [p for p in progs if p[0] in wanted.split(",")]
    print("Cost of one bridge round trip, all threads (lower is better)")
    head = (f"{'round trip':14} {'peer':13} {'syscalls':>8} {'(range)':>9} {'(strace)':>8} "
            f"{'instructions':>12} {'CPU µs':>7} {'ctx sw':>6} {'1-CPU µs':>7}  "
            f"syscalls by name (medians)")
    print(head)
    print("-" * len(head))
    for label, eddy_name, asio_name in CASES:
        for peer, binary, suffix in progs:
            name = (eddy_name if peer == "eddy" else asio_name) + suffix
            cmd_for = lambda n, b=binary, nm=name: bench_cmd(b, nm, n)  # noqa: E731
            traced = per_trip("strace", strace_counts, cmd_for)
            instructions = per_trip("callgrind", callgrind_instructions, cmd_for)
            perf = perf_per_trip(cmd_for) if have_perf else {}
            pinned = pinned_wall_us(cmd_for)
            by_name = {k.removeprefix("syscalls:sys_enter_"): v[0] for k, v in perf.items()
                       if k.startswith("syscalls:")}
            if not by_name:  # no tracepoints: strace's view
                by_name = traced
            counted = perf.get("raw_syscalls:sys_enter")
            detail = " ".join(f"{k} {v:.2f}" for k, v in
                              sorted(by_name.items(), key=lambda kv: -kv[1]) if v >= 0.01)
            cpu = perf.get("task-clock", (None,))[0]
            sw = perf.get("context-switches", (None,))[0]
            spread = "" if counted is None else f"{counted[1]:.1f}-{counted[2]:.1f}"
            print(f"{label:14} {peer:13} {fmt(counted and counted[0]):>8} {spread:>9} "
                  f"{sum(traced.values()):8.2f} {instructions:12.0f} "
                  f"{fmt(None if cpu is None else cpu * 1e3):>7} {fmt(sw):>6} {fmt(pinned):>7}  "
                  f"{detail}",
                  flush=True)
    print(f"syscalls: counted by the kernel (perf, syscall tracepoints), median and range of "
          f"{PERF_RUNS} runs of\n{PERF_TRIPS} round trips; (strace): strace -f -c, which slows "
          "every call and so shifts who waits for\nwhom; instructions: callgrind (one thread at "
          "a time); CPU µs, ctx sw: perf task-clock (user +\nkernel) and context switches, all "
          "threads, medians; 1-CPU µs: wall time per round trip with\nevery thread pinned to one "
          "CPU (taskset -c 0), median")


def fmt(v):
    return "-" if v is None else f"{v:.2f}"


if __name__ == "__main__":
    main()
