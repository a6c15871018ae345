#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Load-generator efficiency (issue 7): `eddy load` against wrk (and ab -k, hey, h2load --h1
# when installed), each pinned to CPU 1, all hitting the C reference server
# (bench/http_reference.c) pinned to CPU 0, on GET /plaintext with 64 connections: plain
# keep-alive, then 16-deep pipelining (wrk with bench/pipeline.lua). Prints requests/s
# generated and the client's CPU time per request (user+sys from bash's `time`), and the
# ratios eddy/wrk. eddy records latency into its histogram as always (there is no "off").
# Then https: `eddy load -k` and wrk against nginx with TLS (a throwaway P-256 certificate,
# TLS 1.3, one worker pinned to CPU 0), when nginx and openssl are installed.
#
# Environment: DURATION (s, default 8), HOLD_LOCK=1 (default) holds /tmp/eddy-build.lock while
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
build=$root/build/bench

flock /tmp/eddy-build.lock cmake --preset bench -DEDDY_BUILD_TESTS=OFF >/dev/null
flock /tmp/eddy-build.lock cmake --build --preset bench --target eddy_cli http_reference

work=$(mktemp -d /tmp/eddy-load-bench.XXXXXX)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [[ -f $work/nginx.pid ]]; then kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; fi
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

# nginx with TLS for the https rows (pinned to CPU 0 like the reference server).
https_url=
if command -v nginx >/dev/null && command -v openssl >/dev/null; then
  tls_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
  mkdir -p "$work/logs"
  cat >"$work/nginx.conf" <<CONF
worker_processes 1;
master_process off;
daemon on;
error_log $work/logs/error.log error;
pid $work/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/body; proxy_temp_path $work/proxy; fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
  keepalive_requests 100000000;
  server { listen 127.0.0.1:$tls_port ssl;
    ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem; ssl_protocols TLSv1.2 TLSv1.3;
    location / { default_type text/plain; return 200 "Hello, World!"; } }
}
CONF
  if taskset -c 0 nginx -p "$work" -c "$work/nginx.conf"; then https_url=https://127.0.0.1:$tls_port/plaintext; fi
fi

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

eddy_run() {  # $1 name, rest: extra eddy options (URL=... in the environment overrides $url)
  local name=$1; shift
  measure "$build/bin/eddy" load "${URL:-$url}" -t1 -c64 -d"${duration}s" --no-progress --json "$@"
  read -r rps reqs < <(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["requests_per_s"], d["requests"])' <<<"$out")
  record "$name" "$rps" "$reqs"
}
wrk_run() {  # $1 name, rest: extra wrk options
  local name=$1; shift
  measure wrk -t1 -c64 -d"${duration}s" "$@" "${URL:-$url}"
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
  if [[ -n $https_url ]]; then
    taskset -c 1 wrk -t1 -c64 -d1s "$https_url" >/dev/null  # warm-up
    URL=$https_url eddy_run "eddy_https" -k
    URL=$https_url wrk_run "wrk_https"
  fi
}

if [[ ${HOLD_LOCK:-1} == 1 ]]; then
  export -f run_all measure record eddy_run wrk_run
  export url https_url duration build work results
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
print(f"\nload generators, -t1 -c64, {sys.argv[2]} s each; client on CPU 1, bench/http_reference "
      f"(https: nginx with TLS) on CPU 0")
print(f"{'client':<18}{'req/s':>12}{'CPU us/req':>12}")
for name, (rps, us) in rows.items():
    print(f"{name:<18}{rps:>12.0f}{us:>12.3f}")
for eddy, wrk in (("eddy", "wrk"), ("eddy_pipeline16", "wrk_pipeline16"), ("eddy_https", "wrk_https")):
    if eddy in rows and wrk in rows and rows[wrk][0] > 0 and rows[eddy][1] > 0:
        print(f"{eddy} / {wrk}: {rows[eddy][0] / rows[wrk][0]:.2f}x req/s, "
              f"{rows[wrk][1] / rows[eddy][1]:.2f}x less CPU per request")
PY
