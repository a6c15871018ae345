#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Counts the cost of one bridge round trip (to_thread, from_callback, promise) on eddy and
# Boost.Asio in figures a shared machine does not blur: system calls (perf's syscall
# tracepoints, and strace), instructions (callgrind), CPU time and context switches (perf
# stat), and the wall time with every thread pinned to one CPU. See bench/bridge_costs.py.
# Needs strace, valgrind and (for the perf columns) linux-perf: .ci/install-deps --bench.
#
#   bench/run_bridge_costs.sh          # a few minutes (callgrind is slow)
#   STRACE_TRIPS=5000 CALLGRIND_TRIPS=4000 PERF_TRIPS=50000 bench/run_bridge_costs.sh  # quicker
#
# Builds its two targets in the `bench` preset under the shared build lock, and holds the lock
# while counting.
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  # The comment above is the help.
  sed -n '3,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
  exit 0
fi
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
lock=/tmp/eddy-build.lock
python=${PYTHON:-/usr/bin/python3}
for tool in strace valgrind; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install $tool)" >&2; exit 1; }
done

if [[ -z "${EDDY_BRIDGE_COSTS_LOCKED:-}" ]]; then
  flock "$lock" cmake --preset bench -DEDDY_BUILD_TESTS=OFF -DEDDY_BUILD_EXAMPLES=OFF >/dev/null
  flock "$lock" cmake --build --preset bench --target bridge_bench asio_bridge_bench
  EDDY_BRIDGE_COSTS_LOCKED=1 exec flock "$lock" "$0" "$@"
fi

"$python" bench/bridge_costs.py build/bench/bench
