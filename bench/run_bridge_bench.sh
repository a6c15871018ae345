#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the bridge round trips (to_thread, from_callback and promise from a foreign thread) on
# eddy, Boost.Asio awaitables, asyncio and asyncio+uvloop, and prints one table: µs per round
# trip, the ratios eddy/asyncio, eddy/uvloop, eddy/Asio and PASS/MISS against issue 4's
# targets (eddy <= asyncio/10 and eddy <= Boost.Asio).
#
#   bench/run_bridge_bench.sh                  # about a minute and a half
#   MIN_TIME=0.3 REPETITIONS=1 bench/run_bridge_bench.sh   # quicker
#   STRICT=1 ...                               # exit 1 if a target is missed
#
# Builds only its two targets in the `bench` preset, under the shared build lock, and holds
# the lock while measuring so no build shares the cores. Cross-thread round trips depend on
# how fast the OS wakes a sleeping thread: results vary with machine load.
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  # The comment above is the help.
  sed -n '3,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
  exit 0
fi
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
lock=/tmp/eddy-build.lock
python=${PYTHON:-/usr/bin/python3}     # Debian's python3, where python3-uvloop is installed
min_time=${MIN_TIME:-1}                # seconds per benchmark and repetition
repetitions=${REPETITIONS:-3}

if [[ -z "${EDDY_BRIDGE_BENCH_LOCKED:-}" ]]; then
  flock "$lock" cmake --preset bench -DEDDY_BUILD_TESTS=OFF -DEDDY_BUILD_EXAMPLES=OFF >/dev/null
  flock "$lock" cmake --build --preset bench --target bridge_bench asio_bridge_bench
  # Measure under the lock (re-entering this script with the lock held).
  EDDY_BRIDGE_BENCH_LOCKED=1 exec flock "$lock" "$0" "$@"
fi

bin=build/bench/bench
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gbench=(--benchmark_min_time="$min_time" --benchmark_repetitions="$repetitions"
        --benchmark_report_aggregates_only=true --benchmark_format=json)

echo "== eddy" >&2
"$bin/bridge_bench" "${gbench[@]}" >"$out/eddy.json"
echo "== Boost.Asio awaitables" >&2
"$bin/asio_bridge_bench" "${gbench[@]}" >"$out/asio.json"
echo "== asyncio" >&2
"$python" bench/bridge_asyncio.py --json --loop asyncio --seconds "$min_time" \
  --repetitions "$repetitions" >"$out/asyncio.json"
if "$python" -c 'import uvloop' 2>/dev/null; then
  echo "== asyncio + uvloop" >&2
  "$python" bench/bridge_asyncio.py --json --loop uvloop --seconds "$min_time" \
    --repetitions "$repetitions" >"$out/uvloop.json"
else
  echo "uvloop missing (apt-get install python3-uvloop): its column stays empty" >&2
fi

echo
status=0
"$python" bench/bridge_bench_table.py "$out" || status=$?
if [[ -n "${STRICT:-}" ]]; then exit "$status"; fi
