#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# HTTP server benchmark (issue 5): examples/webapp (1 worker) against a C epoll reference
# (bench/http_reference.c), nginx, Boost.Beast coroutines, Go net/http (GOMAXPROCS=1) and
# aiohttp on uvloop. Server pinned to CPU 0, wrk to CPU 1; wrk -t1 at -c64 and -c256 on
# /plaintext and /json, plus /plaintext with 16-deep pipelining (-c256); median of RUNS.
# Also: server CPU time per request (utime+stime from /proc/PID/stat over each run) and
# RSS per idle keep-alive connection (IDLE_CONNS connections, one request each). Peers are
# interleaved: each of the RUNS rounds runs every peer once.
#
# Environment: DURATION (s, default 8), RUNS (default 3), PEERS (default: all available),
# IDLE_CONNS (default 10000), HOLD_LOCK=1 (default) holds /tmp/eddy-build.lock while
# measuring so that builds through the lock do not share the two cores with the run.
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  # The comment above is the help.
  sed -n '3,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
  exit 0
fi
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
duration=${DURATION:-8}
runs=${RUNS:-3}
idle_conns=${IDLE_CONNS:-10000}
peers=${PEERS:-"reference webapp nginx beast go aiohttp"}
build=$root/build/bench
python=/usr/bin/python3

flock /tmp/eddy-build.lock cmake --preset bench -DEDDY_BUILD_TESTS=OFF -DEDDY_BUILD_EXAMPLES=ON >/dev/null
flock /tmp/eddy-build.lock cmake --build --preset bench --target webapp http_bench

work=$(mktemp -d /tmp/eddy-http-bench.XXXXXX)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if command -v go >/dev/null; then
  (cd bench && GOCACHE=$work/gocache go build -o "$work/go_server" go_server.go)
else
  echo "go not installed: Go peer left out" >&2
  peers=${peers//go/}
fi
if ! "$python" -c 'import aiohttp, uvloop' 2>/dev/null; then
  echo "$python lacks aiohttp/uvloop: aiohttp peer left out" >&2
  peers=${peers//aiohttp/}
fi

nginx_conf() {  # $1 = port
  mkdir -p "$work/nginx/logs"
  cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
master_process off;
daemon off;
worker_rlimit_nofile 20000;
error_log $work/nginx/logs/error.log error;
pid $work/nginx/nginx.pid;
events { worker_connections 20000; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$1 backlog=4096;
    location = /plaintext { default_type text/plain; return 200 "Hello, World!"; }
    location = /json { default_type application/json; return 200 '{"message":"Hello, World!"}'; }
  }
}
EOF
}

# Starts peer $1 on port $2 pinned to CPU 0; sets server_pid (the process doing the work).
start_server() {
  local peer=$1 port=$2
  case $peer in
    reference) taskset -c 0 "$build/bench/http_reference" "$port" >/dev/null & ;;
    webapp) taskset -c 0 "$build/examples/webapp" --port "$port" --workers 1 >/dev/null & ;;
    nginx) nginx_conf "$port"; taskset -c 0 nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" >/dev/null 2>&1 & ;;
    beast) taskset -c 0 "$build/bench/beast_server" "$port" >/dev/null & ;;
    go) GOMAXPROCS=1 taskset -c 0 "$work/go_server" "$port" >/dev/null & ;;
    aiohttp) taskset -c 0 "$python" bench/aiohttp_server.py "$port" >/dev/null 2>>"$work/aiohttp.log" & ;;
  esac
  server_pid=$!
  for _ in $(seq 100); do
    if curl -fs -o /dev/null "http://127.0.0.1:$port/plaintext"; then return 0; fi
    sleep 0.1
  done
  echo "$peer did not answer on port $port" >&2
  return 1
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# Runs wrk; prints "req_per_s cpu_us_per_request" for one run. $1 conns $2 path $3 pipeline(0/1)
one_run() {
  local conns=$1 path=$2 pipeline=$3 port=$4 out before after script=()
  [[ $pipeline == 1 ]] && script=(-s bench/pipeline.lua)
  before=$(cpu_ticks "$server_pid")
  out=$(taskset -c 1 wrk -t1 -c"$conns" -d"${duration}s" --timeout 5s "${script[@]}" "http://127.0.0.1:$port$path")
  after=$(cpu_ticks "$server_pid")
  if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
    echo "warning: $(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ') ($path -c$conns)" >&2
  fi
  local requests rps
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  awk -v r="$rps" -v n="$requests" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "%s %.3f\n", r, (n > 0 ? t * 1e6 / hz / n : 0)}'
}

# RSS per idle keep-alive connection, in bytes, on a fresh server.
idle_rss() {
  local peer=$1 port=$2 base after per fifo=$work/idle_in
  start_server "$peer" "$port"
  sleep 0.5
  base=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")
  mkfifo "$fifo"
  : >"$work/idle_out"
  exec 7<>"$fifo"
  "$build/bench/http_idle_clients" "$port" "$idle_conns" <"$fifo" >"$work/idle_out" 2>"$work/idle_err" 7>&- &
  local client=$!
  for _ in $(seq 600); do
    if grep -q ready "$work/idle_out" || ! kill -0 "$client" 2>/dev/null; then break; fi
    sleep 0.1
  done
  sleep 0.5
  if grep -q ready "$work/idle_out"; then
    after=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")
    per=$(awk -v a="$after" -v b="$base" -v n="$idle_conns" 'BEGIN {printf "%.0f", (a - b) * 1024 / n}')
  else
    per="fail($(head -c 60 "$work/idle_err"))"
  fi
  exec 7>&-
  wait "$client" 2>/dev/null || true
  rm -f "$fifo"
  stop_server
  echo "$per" >"$work/idle_result"
}

scenarios=("plaintext 64 0" "plaintext 256 0" "json 64 0" "json 256 0" "plaintext 256 1")
results=$work/results.tsv
: >"$results"
[[ ${HOLD_LOCK:-1} == 1 ]] && exec 9>/tmp/eddy-build.lock && flock 9
# Rounds, not peers, on the outside: each round runs every scenario once on every peer, so
# that the drift of a shared machine (minutes of more or less steal) falls on all peers alike
# instead of on whichever ran during it. The medians are over the rounds.
port=18300
for round in $(seq "$runs"); do
  echo "== round $round of $runs" >&2
  for peer in $peers; do
    port=$((port + 1))
    start_server "$peer" "$port"
    taskset -c 1 wrk -t1 -c64 -d1s "http://127.0.0.1:$port/plaintext" >/dev/null  # warm-up
    for i in "${!scenarios[@]}"; do
      read -r path conns pipeline <<<"${scenarios[$i]}"
      one_run "$conns" "/$path" "$pipeline" "$port" >>"$work/runs.$peer.$i"
    done
    stop_server
  done
done
for peer in $peers; do
  row="$peer"
  echo "== $peer" >&2
  for i in "${!scenarios[@]}"; do
    read -r path conns pipeline <<<"${scenarios[$i]}"
    rps=$(awk '{print $1}' "$work/runs.$peer.$i" | median)
    cpu=$(awk '{print $2}' "$work/runs.$peer.$i" | median)
    echo "   $path c$conns pipeline=$pipeline: $rps req/s, $cpu us/req (runs: $(awk '{printf "%s ", $2}' "$work/runs.$peer.$i"))" >&2
    row+=$'\t'"$rps"$'\t'"$cpu"
  done
  port=$((port + 1))
  idle_rss "$peer" "$port"
  row+=$'\t'"$(cat "$work/idle_result")"
  echo "$row" >>"$results"
done
[[ ${HOLD_LOCK:-1} == 1 ]] && flock -u 9

"$python" - "$results" "$duration" "$runs" "$idle_conns" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
names = ["plain c64", "plain c256", "json c64", "json c256", "pipe16 c256"]
ref = next((r for r in rows if r[0] == "reference"), None)
print(f"\nwrk -t1, {sys.argv[2]} s, median of {sys.argv[3]}; server on CPU 0, wrk on CPU 1")
print("req/s (ratio to the C reference)")
print(f"{'peer':10}" + "".join(f"{n:>22}" for n in names))
for r in rows:
    cells = []
    for i in range(5):
        v = float(r[1 + 2 * i])
        ratio = v / float(ref[1 + 2 * i]) if ref and float(ref[1 + 2 * i]) else float("nan")
        cells.append(f"{v:>13,.0f} ({ratio:4.2f}x)")
    print(f"{r[0]:10}" + "".join(f"{c:>22}" for c in cells))
print("\nserver CPU us per request (utime+stime; ratio to the C reference)")
print(f"{'peer':10}" + "".join(f"{n:>18}" for n in names) + f"{'idle B/conn':>14}")
for r in rows:
    cells = []
    for i in range(5):
        v = float(r[2 + 2 * i])
        ratio = v / float(ref[2 + 2 * i]) if ref and float(ref[2 + 2 * i]) else float("nan")
        cells.append(f"{v:8.2f} ({ratio:4.2f}x)")
    print(f"{r[0]:10}" + "".join(f"{c:>18}" for c in cells) + f"{r[11]:>14}")
print(f"\nidle B/conn = (VmRSS with {sys.argv[4]} idle keep-alive connections - VmRSS before) / {sys.argv[4]}")
EOF
