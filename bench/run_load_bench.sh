#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Load-generator efficiency (issue 7): `eddy load` against wrk (and ab -k, hey, h2load --h1
# when installed), each pinned to CPU 1, all hitting the C reference server
# (bench/http_reference.c) pinned to CPU 0, on GET /plaintext with 64 connections: plain
# keep-alive, then 16-deep pipelining (wrk with bench/pipeline.lua). Prints requests/s
# generated and the client's CPU time per request (user+sys from bash's `time`), and the
# ratios eddy/wrk. eddy records latency into its histogram as always (there is no "off").
#
# Environment: DURATION (s, default 8), HOLD_LOCK=1 (default) holds /tmp/eddy-build.lock while
# measuring so that builds through the lock do not share the two cores with the run.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
duration=${DURATION:-8}
build=$root/build/bench

flock /tmp/eddy-build.lock cmake --preset bench -DEDDY_BUILD_TESTS=OFF >/dev/null
flock /tmp/eddy-build.lock cmake --build --preset bench --target eddy_cli http_reference

work=$(mktemp -d /tmp/eddy-load-bench.XXXXXX)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
taskset -c 0 "$build/bench/http_reference" "$port" >/dev/null &
server_pid=$!
for _ in $(seq 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.1
done
url=http://127.0.0.1:$port/plaintext

# Runs "$@" pinned to CPU 1; sets $out (its stdout) and $cpu_s (user+sys seconds).
measure() {
  local t
  t=$( { TIMEFORMAT='%U %S'; time taskset -c 1 "$@" >"$work/out" 2>/dev/null; } 2>&1 )
  out=$(cat "$work/out")
  cpu_s=$(awk '{print $1 + $2}' <<<"$t")
}

results=$work/results
: >"$results"
# Appends "name req/s us_per_request" to the results.
record() { awk -v n="$1" -v r="$2" -v q="$3" -v c="$cpu_s" 'BEGIN { printf "%s %.0f %.3f\n", n, r, (q > 0 ? c * 1e6 / q : 0) }' >>"$results"; }

eddy_run() {  # $1 name, rest: extra eddy options
  local name=$1; shift
  measure "$build/bin/eddy" load "$url" -t1 -c64 -d"${duration}s" --no-progress --json "$@"
  read -r rps reqs < <(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["requests_per_s"], d["requests"])' <<<"$out")
  record "$name" "$rps" "$reqs"
}
wrk_run() {  # $1 name, rest: extra wrk options
  local name=$1; shift
  measure wrk -t1 -c64 -d"${duration}s" "$@" "$url"
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  record "$name" "$rps" "$reqs"
}

run_all() {
  taskset -c 1 wrk -t1 -c64 -d1s "$url" >/dev/null  # warm-up
  eddy_run "eddy"
  wrk_run "wrk"
  eddy_run "eddy_pipeline16" --pipeline 16
  PIPELINE_DEPTH=16 wrk_run "wrk_pipeline16" -s bench/pipeline.lua
  if command -v ab >/dev/null; then
    measure ab -q -k -c64 -t"$duration" -n 100000000 "$url"
    record "ab_k" "$(awk '/Requests per second/ {print $4}' <<<"$out")" "$(awk '/Complete requests/ {print $3}' <<<"$out")"
  fi
  if command -v hey >/dev/null; then
    measure hey -z "${duration}s" -c 64 "$url"
    reqs=$(awk '/\[200\]/ {print $2}' <<<"$out")
    record "hey" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "${reqs:-0}"
  fi
  if command -v h2load >/dev/null; then
    measure h2load --h1 -c64 -D "$duration" "$url"
    record "h2load_h1" "$(awk '/^finished in/ {print $4}' <<<"$out")" "$(awk '/^requests:/ {print $8}' <<<"$out")"
  fi
}

if [[ ${HOLD_LOCK:-1} == 1 ]]; then
  export -f run_all measure record eddy_run wrk_run
  export url duration build work results
  flock /tmp/eddy-build.lock bash -c run_all
else
  run_all
fi

python3 - "$results" "$duration" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, rps, us = line.split()
    rows[name] = (float(rps), float(us))
print(f"\nload generators, -t1 -c64, {sys.argv[2]} s each; client on CPU 1, bench/http_reference on CPU 0")
print(f"{'client':<18}{'req/s':>12}{'CPU us/req':>12}")
for name, (rps, us) in rows.items():
    print(f"{name:<18}{rps:>12.0f}{us:>12.3f}")
for eddy, wrk in (("eddy", "wrk"), ("eddy_pipeline16", "wrk_pipeline16")):
    if eddy in rows and wrk in rows and rows[wrk][0] > 0 and rows[eddy][1] > 0:
        print(f"{eddy} / {wrk}: {rows[eddy][0] / rows[wrk][0]:.2f}x req/s, "
              f"{rows[wrk][1] / rows[eddy][1]:.2f}x less CPU per request")
PY
