#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# HTTP client benchmark (issue 6): REQUESTS GETs of a 1 KiB static file from nginx over 64
# keep-alive connections, by
#   eddy        bench/fetch_bench.cpp: http::client, max_per_host 64, one loop
#   eddy-fetch  the `eddy fetch` command (-c 64, URLs from a file, no output files)
#   curl-multi  bench/fetch_curl_multi.c: libcurl's multi interface, 64 easy handles
#   aiohttp     bench/fetch_aiohttp.py: ClientSession on uvloop, TCPConnector(limit=64)
# 1. Concurrent fetch: REQUESTS (default 10,000) with nothing pinned: wall time, client CPU.
# 2. Saturation: SAT_REQUESTS (default 30,000), client pinned to CPU 0 and nginx to CPU 1:
#    client CPU per request (utime+stime over the fetching) and requests per second.
# Median of RUNS (default 3) for each; ratios are the peer's number over eddy's.
#
# Environment: REQUESTS, SAT_REQUESTS, CONNECTIONS (64), RUNS, PEERS (default: all), PORT,
# HOLD_LOCK=1 (default) holds /tmp/eddy-build.lock while measuring so that builds through
# the lock do not share the two cores with the run.
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  # The comment above is the help.
  sed -n '3,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
  exit 0
fi
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
requests=${REQUESTS:-10000}
sat_requests=${SAT_REQUESTS:-30000}
conns=${CONNECTIONS:-64}
runs=${RUNS:-3}
peers=${PEERS:-"eddy eddy-fetch curl-multi aiohttp"}
build=$root/build/bench
python=/usr/bin/python3

flock /tmp/eddy-build.lock cmake --preset bench -DEDDY_BUILD_TESTS=OFF >/dev/null
flock /tmp/eddy-build.lock cmake --build --preset bench --target fetch_bench_peers

work=$(mktemp -d /tmp/eddy-fetch-bench.XXXXXX)
nginx_pid=
cleanup() {
  if [[ -n $nginx_pid ]]; then kill "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if ! "$python" -c 'import aiohttp, uvloop' 2>/dev/null; then
  echo "$python lacks aiohttp/uvloop: aiohttp peer left out" >&2
  peers=${peers//aiohttp/}
fi

# A free port (the kernel picks one; nginx binds it right after).
port=${PORT:-$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
mkdir -p "$work/nginx/logs" "$work/www"
head -c 1024 /dev/urandom >"$work/www/1k.bin"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
master_process off;
daemon off;
worker_rlimit_nofile 4096;
error_log $work/nginx/logs/error.log error;
pid $work/nginx/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  open_file_cache max=16;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$port backlog=4096;
    root $work/www;
  }
}
CONF
url="http://127.0.0.1:$port/1k.bin"

# $1 = taskset CPU list for nginx ("" = not pinned)
start_nginx() {
  if [[ -n $1 ]]; then
    taskset -c "$1" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" >/dev/null 2>>"$work/nginx.err" &
  else
    nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" >/dev/null 2>>"$work/nginx.err" &
  fi
  nginx_pid=$!
  for _ in $(seq 100); do
    if curl -fs -o /dev/null "$url"; then return 0; fi
    sleep 0.1
  done
  echo "nginx did not answer on port $port: $(cat "$work/nginx.err" "$work/nginx/logs/error.log" 2>/dev/null)" >&2
  return 1
}
stop_nginx() {
  kill "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=
}

# Runs peer $1 for $2 requests, prefixed by $3 (a taskset command or nothing); prints
# "wall cpu" in seconds.
one_run() {
  local peer=$1 n=$2 pin=$3 out
  case $peer in
    eddy) out=$($pin "$build/bench/fetch_bench" "$url" "$n" "$conns") ;;
    curl-multi) out=$($pin "$build/bench/fetch_curl_multi" "$url" "$n" "$conns") ;;
    aiohttp) out=$($pin "$python" bench/fetch_aiohttp.py "$url" "$n" "$conns") ;;
    eddy-fetch)
      # The whole command, startup included: wall time around it, CPU from the children's
      # times that the subshell's `times` reports on its second line.
      [[ -f $work/urls.$n ]] || for _ in $(seq "$n"); do echo "$url"; done >"$work/urls.$n"
      local t0 t1
      t0=$(date +%s.%N)
      ( $pin "$build/bin/eddy" fetch -c "$conns" --no-progress --retries 0 -i "$work/urls.$n" >"$work/fetch.out"
        times >"$work/times" )
      t1=$(date +%s.%N)
      out=$(awk -v t0="$t0" -v t1="$t1" 'NR == 2 {
              split($1, u, /[ms]/); split($2, s, /[ms]/)
              printf "failed=0 wall=%.4f cpu=%.4f\n", t1 - t0, u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$work/times")
      grep -q "$n URLs: $n ok, 0 failed" "$work/fetch.out" || { echo "eddy fetch failed: $(tail -1 "$work/fetch.out")" >&2; out="failed=1 wall=0 cpu=0"; }
      ;;
  esac
  if ! grep -q 'failed=0 ' <<<"$out"; then echo "warning: $peer: $out" >&2; fi
  sed -E 's/.*wall=([0-9.]+) cpu=([0-9.]+).*/\1 \2/' <<<"$out"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

results=$work/results.tsv
: >"$results"
[[ ${HOLD_LOCK:-1} == 1 ]] && exec 9>/tmp/eddy-build.lock && flock 9
for scenario in free pinned; do
  if [[ $scenario == free ]]; then start_nginx ""; n=$requests; pin=""; else start_nginx 1; n=$sat_requests; pin="taskset -c 0"; fi
  echo "== $scenario: $n requests, $conns connections" >&2
  for peer in $peers; do
    one_run "$peer" 1000 "$pin" >/dev/null  # warm-up (nginx's file cache, page cache)
    : >"$work/runs"
    for _ in $(seq "$runs"); do one_run "$peer" "$n" "$pin" >>"$work/runs"; done
    wall=$(awk '{print $1}' "$work/runs" | median)
    cpu=$(awk '{print $2}' "$work/runs" | median)
    echo "   $peer: wall $wall s, cpu $cpu s ($(tr '\n' ';' <"$work/runs"))" >&2
    printf '%s\t%s\t%s\t%s\t%s\n' "$scenario" "$peer" "$n" "$wall" "$cpu" >>"$results"
  done
  stop_nginx
done
[[ ${HOLD_LOCK:-1} == 1 ]] && flock -u 9

"$python" - "$results" "$conns" "$runs" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
conns, runs = sys.argv[2], sys.argv[3]
def table(scenario, title):
    rs = [r for r in rows if r[0] == scenario]
    if not rs:
        return
    eddy = next((r for r in rs if r[1] == "eddy"), None)
    print(f"\n{title} ({rs[0][2]} GETs of 1 KiB from nginx, {conns} connections, median of {runs})")
    print(f"{'client':12}{'wall s':>9}{'req/s':>10}{'CPU s':>9}{'CPU us/req':>12}{'wall vs eddy':>14}{'CPU vs eddy':>13}")
    for r in rs:
        n, wall, cpu = int(r[2]), float(r[3]), float(r[4])
        rw = wall / float(eddy[3]) if eddy and float(eddy[3]) else float("nan")
        rc = cpu / float(eddy[4]) if eddy and float(eddy[4]) else float("nan")
        rps = n / wall if wall else 0
        print(f"{r[1]:12}{wall:9.3f}{rps:10,.0f}{cpu:9.3f}{cpu * 1e6 / n:12.1f}{rw:13.2f}x{rc:12.2f}x")
table("free", "1. Concurrent fetch, nothing pinned")
table("pinned", "2. Client CPU at saturation: client on CPU 0, nginx on CPU 1")
print("\nratios: the client's number divided by eddy's (above 1: eddy is faster / cheaper);")
print("targets: aiohttp >= 5x, curl-multi >= 1x. eddy-fetch includes process startup and reading the URL file.")
PY
