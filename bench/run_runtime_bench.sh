#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the runtime micro-benchmarks on eddy, Boost.Asio awaitables, asyncio+uvloop and plain
# asyncio, plus the 1,000,000-sleeping-tasks memory test, and prints one side-by-side table.
#
#   bench/run_runtime_bench.sh            # everything (takes a few minutes)
#   MIN_TIME=0.2 SLEEP_TASKS=100000 bench/run_runtime_bench.sh   # quicker
#   STRICT=1 ...                          # exit 1 if a target is missed
#
# Builds only through the `bench` preset, under the shared build lock. Tests and examples are
# switched off in that build tree: the benchmarks need neither. Results vary with machine load;
# run on a quiet machine.
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
min_time=${MIN_TIME:-0.5}
sleep_tasks=${SLEEP_TASKS:-1000000}
sleep_ms=${SLEEP_MS:-2000}
# asyncio needs longer to start 1,000,000 tasks than C++ does: its sleep is longer so that all
# of them are asleep at once (the table's "asleep at once" column shows it).
py_sleep_ms=${PY_SLEEP_MS:-10000}

flock "$lock" cmake --preset bench -DEDDY_BUILD_TESTS=OFF -DEDDY_BUILD_EXAMPLES=OFF >/dev/null
flock "$lock" cmake --build --preset bench --target runtime_bench

bin=build/bench/bench
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== eddy" >&2
"$bin/eddy_runtime_bench" --benchmark_min_time="$min_time" --benchmark_format=json >"$out/eddy.json"
echo "== Boost.Asio awaitables" >&2
"$bin/asio_runtime_bench" --benchmark_min_time="$min_time" --benchmark_format=json >"$out/asio.json"
if "$python" -c 'import uvloop' 2>/dev/null; then
  echo "== asyncio + uvloop" >&2
  "$python" bench/asyncio_runtime_bench.py micro --loop uvloop >"$out/uvloop.json"
else
  echo "uvloop missing (apt-get install python3-uvloop): its column stays empty" >&2
fi
echo "== asyncio" >&2
"$python" bench/asyncio_runtime_bench.py micro --loop asyncio >"$out/asyncio.json"

echo "== $sleep_tasks sleeping tasks" >&2
"$bin/eddy_sleep_rss" "$sleep_tasks" "$sleep_ms" >"$out/sleep_eddy.json"
"$bin/asio_sleep_rss" "$sleep_tasks" "$sleep_ms" >"$out/sleep_asio.json"
if "$python" -c 'import uvloop' 2>/dev/null; then
  "$python" bench/asyncio_runtime_bench.py sleep --loop uvloop "$sleep_tasks" "$py_sleep_ms" \
    >"$out/sleep_uvloop.json"
fi

echo
status=0
"$python" bench/runtime_bench_table.py "$out" || status=$?
if [[ -n "${STRICT:-}" ]]; then exit "$status"; fi
