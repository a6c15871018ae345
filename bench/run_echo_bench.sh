#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Echo server benchmark: `eddy echo` (streams and protocol mode, 1 worker) next to a minimal C
# epoll server (bench/echo_reference.c, the speed-of-light reference), Boost.Asio C++20
# coroutines (bench/asio_echo.cpp) and asyncio streams/protocol on uvloop
# (bench/echo_uvloop.py). The load client is bench/echo_load.cpp (plain epoll; verifies every
# echoed byte). Server pinned to core 0, client to core 1.
#
# For each server and message size: RUNS runs of SECONDS each with CONNS connections
# ping-ponging one message each; the table shows medians of msgs/s, MB/s, p50/p99 latency and
# server CPU µs per message (utime+stime from /proc/PID/stat over the run), with ratios to the
# C reference. Before the load runs, each fresh server gets IDLE_CONNS idle connections and the
# table reports its RSS growth per idle connection.
#
#   bench/run_echo_bench.sh                               # defaults: 3 x 3 s, 64 B 1 KiB 16 KiB
#   RUNS=1 SECONDS_PER_RUN=1 IDLE_CONNS=1000 bench/run_echo_bench.sh   # quick look
#   PEERS="c eddy-protocol" SIZES="64" bench/run_echo_bench.sh
#   STRICT=1 ...                                          # exit 1 if eddy misses a target
#
# Builds through the `bench` preset under the shared build lock. Results vary with machine
# load; run on a quiet machine.
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  # The comment above is the help.
  sed -n '3,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
  exit 0
fi
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
lock=/tmp/eddy-build.lock
python=${PYTHON:-/usr/bin/python3}  # Debian's python3, where python3-uvloop is installed
runs=${RUNS:-3}
secs=${SECONDS_PER_RUN:-3}
conns=${CONNS:-64}
sizes=${SIZES:-"64 1024 16384"}
idle_conns=${IDLE_CONNS:-10000}
peers=${PEERS:-"c eddy-streams eddy-protocol asio uvloop-streams uvloop-protocol"}
server_cpu=${SERVER_CPU:-0}
client_cpu=${CLIENT_CPU:-1}

if [[ -z "${NO_BUILD:-}" ]]; then
  flock "$lock" cmake --preset bench -DEDDY_BUILD_TESTS=OFF -DEDDY_BUILD_EXAMPLES=OFF >/dev/null
  flock "$lock" cmake --build --preset bench --target echo_bench eddy_cli
fi
bench=build/bench/bench
eddy=build/bench/bin/eddy

out=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$out"
}
trap cleanup EXIT

free_port() {
  "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The server command of a peer, listening on port $2.
server_cmd() {
  case "$1" in
    c) echo "$bench/echo_reference $2" ;;
    eddy-streams) echo "$eddy echo --workers 1 --host 127.0.0.1 --port $2 --mode streams" ;;
    eddy-protocol) echo "$eddy echo --workers 1 --host 127.0.0.1 --port $2 --mode protocol" ;;
    asio) echo "$bench/asio_echo $2" ;;
    uvloop-streams) echo "$python bench/echo_uvloop.py streams $2" ;;
    uvloop-protocol) echo "$python bench/echo_uvloop.py protocol $2" ;;
    *) echo "unknown peer '$1'" >&2; return 1 ;;
  esac
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
ticks_per_s=$(getconf CLK_TCK)

echo "peer size run msgs_per_s mb_per_s p50_us p99_us cpu_us_per_msg server_util client_util" >"$out/runs.txt"
echo "peer rss_before_kib rss_idle_kib idle_conns" >"$out/rss.txt"

for peer in $peers; do
  if [[ $peer == uvloop-* ]] && ! "$python" -c 'import uvloop' 2>/dev/null; then
    echo "== $peer: skipped (uvloop missing: apt-get install python3-uvloop)" >&2
    continue
  fi
  port=$(free_port)
  cmd=$(server_cmd "$peer" "$port")
  echo "== $peer ($cmd)" >&2
  taskset -c "$server_cpu" $cmd >"$out/$peer.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.05
  done
  sleep 0.2

  # RSS per idle connection, on the fresh server.
  before=$(rss_kib "$server_pid")
  coproc idle { taskset -c "$client_cpu" "$bench/echo_load" idle 127.0.0.1 "$port" "$idle_conns"; }
  if read -r line <&"${idle[0]}" && [[ $line == ready ]]; then
    sleep 0.5
    echo "$peer $before $(rss_kib "$server_pid") $idle_conns" >>"$out/rss.txt"
  else
    echo "   idle connections failed" >&2
  fi
  idle_pid=$idle_PID
  idle_in=${idle[1]}
  exec {idle_in}>&-
  wait "$idle_pid" || true
  sleep 0.5

  for size in $sizes; do
    for run in $(seq "$runs"); do
      t0=$(cpu_ticks "$server_pid")
      res=$(taskset -c "$client_cpu" "$bench/echo_load" run 127.0.0.1 "$port" "$conns" "$size" "$secs")
      t1=$(cpu_ticks "$server_pid")
      echo "   $size B run $run: $res" >&2
      # res: msgs=.. bytes=.. secs=.. msgs_per_s=.. mb_per_s=.. p50_us=.. p99_us=.. errors=.. client_util=..
      echo "$peer $size $run $res $((t1 - t0)) $ticks_per_s" | awk '{
        for (i = 4; i <= 12; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        cpu_s = $13 / $14
        printf "%s %s %s %s %s %s %s %.3f %.2f %s\n", $1, $2, $3, v["msgs_per_s"], v["mb_per_s"],
               v["p50_us"], v["p99_us"], cpu_s * 1e6 / v["msgs"], cpu_s / v["secs"], v["client_util"] }' >>"$out/runs.txt"
    done
  done
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
done

echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share these cores: msgs/s is noisy, CPU us/msg less so)"
status=0
"$python" - "$out" <<'EOF' || status=$?
import statistics, sys
out = sys.argv[1]
rows = [l.split() for l in open(f"{out}/runs.txt").read().splitlines()[1:]]
med = {}
for peer, size, run, mps, mbs, p50, p99, cpu, util, cutil in rows:
    med.setdefault((peer, int(size)), []).append(
        (float(mps), float(mbs), float(p50), float(p99), float(cpu), float(util), float(cutil)))
def median(xs, i):
    return statistics.median(x[i] for x in xs)
peers = list(dict.fromkeys(r[0] for r in rows))
sizes = sorted({int(r[1]) for r in rows})
print(f"{'server':<16} {'size':>6} {'msgs/s':>9} {'xC':>5} {'MB/s':>8} {'p50 us':>7} {'p99 us':>8}"
      f" {'cpu us/msg':>10} {'xC':>5} {'srv cpu':>7} {'cli cpu':>7}")
status = 0
targets = {"eddy-protocol": 1.05, "eddy-streams": 1.10}
for size in sizes:
    ref = med.get(("c", size))
    for peer in peers:
        xs = med.get((peer, size))
        if not xs:
            continue
        mps, cpu = median(xs, 0), median(xs, 4)
        rm = f"{mps / median(ref, 0):5.2f}" if ref else "    -"
        rc = f"{cpu / median(ref, 4):5.2f}" if ref else "    -"
        print(f"{peer:<16} {size:>6} {mps:>9.0f} {rm} {median(xs, 1):>8.1f} {median(xs, 2):>7.0f}"
              f" {median(xs, 3):>8.0f} {cpu:>10.2f} {rc} {median(xs, 5) * 100:>6.0f}% {median(xs, 6) * 100:>6.0f}%")
        if peer in targets and ref:
            if size in (64, 1024) and mps < 0.95 * median(ref, 0):
                status = 1
            if cpu > targets[peer] * median(ref, 4):
                status = 1
            for other in ("asio", "uvloop-streams", "uvloop-protocol"):
                o = med.get((other, size))
                if o and cpu >= median(o, 4):
                    status = 1
    print()
rss = [l.split() for l in open(f"{out}/rss.txt").read().splitlines()[1:]]
if rss:
    print(f"{'server':<16} {'RSS before':>11} {'RSS idle':>10} {'per idle conn':>14}")
    for peer, before, after, n in rss:
        per = (int(after) - int(before)) * 1024 / int(n)
        print(f"{peer:<16} {int(before):>8} KiB {int(after):>7} KiB {per:>10.0f} B  ({n} connections)")
print("\ntargets (eddy vs C):", "met" if status == 0 else "MISSED")
sys.exit(status)
EOF
if [[ -n "${STRICT:-}" ]]; then exit "$status"; fi
