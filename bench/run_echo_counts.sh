#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Counts what one echoed message costs `eddy echo` (streams and protocol mode, 1 worker), the C
# reference (bench/echo_reference.c) and Boost.Asio (bench/asio_echo.cpp), in figures a shared
# machine does not blur: user-space instructions per message (valgrind --tool=callgrind) and
# system calls per message (perf's syscall tracepoints, or strace -f -c where perf cannot read
# them), each as the difference of two runs with different message counts divided by the
# difference (start-up and connection set-up cancel out). Prints one table with ratios to the
# C reference. See bench/echo_counts.py. Needs valgrind and perf or strace
# (.ci/install-deps --bench).
#
#   bench/run_echo_counts.sh                       # 64 B and 1 KiB, 64 connections (a few minutes)
#   SIZES=64 PEERS="c eddy-protocol" bench/run_echo_counts.sh
#   PEERS="c uvloop-streams uvloop-protocol" ...   # asyncio on uvloop too (slow under callgrind)
#   PEERS="eddy-streams-idle eddy-protocol-idle"   # eddy with --idle-timeout 60
#   COUNTER=strace ...                             # count system calls with strace
#   SYSCALL_MSGS="20000 200000" CALLGRIND_MSGS="10000 50000" CONNS=64 ...   # the defaults
#
# Builds its targets in the `bench` preset under the shared build lock, and holds the lock
# while counting. Server pinned to SERVER_CPU (0), load client to CLIENT_CPU (1).
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '3,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 0
fi
if [[ $# -ne 0 ]]; then
  echo "usage: bench/run_echo_counts.sh [--help]   (settings through the environment)" >&2
  exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
lock=/tmp/eddy-build.lock
python=${PYTHON:-/usr/bin/python3}
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
if ! command -v perf >/dev/null && ! command -v strace >/dev/null; then
  echo "perf or strace is needed (apt-get install linux-perf strace)" >&2
  exit 1
fi

if [[ -z "${EDDY_ECHO_COUNTS_LOCKED:-}" ]]; then
  if [[ -z "${NO_BUILD:-}" ]]; then
    flock "$lock" cmake --preset bench -DEDDY_BUILD_TESTS=OFF -DEDDY_BUILD_EXAMPLES=OFF >/dev/null
    flock "$lock" cmake --build --preset bench --target echo_bench eddy_cli
  fi
  EDDY_ECHO_COUNTS_LOCKED=1 exec flock "$lock" "$0" "$@"
fi

"$python" bench/echo_counts.py build/bench/bench build/bench/bin/eddy
