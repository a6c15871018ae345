#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Counts what one request costs examples/webapp (1 worker) and the C epoll reference
# (bench/http_reference.c), in figures a shared machine does not blur: user-space instructions
# per request (valgrind --tool=callgrind) and system calls per request (strace -f -c), for
# keep-alive requests (one per write, as wrk sends them) and 16-deep pipelined batches, each
# the difference of two runs with different request counts divided by the difference. Prints
# one table with ratios to the reference. See bench/http_counts.py. Needs valgrind and strace
# (.ci/install-deps --bench). Takes a few minutes.
#
#   bench/run_http_counts.sh
#   REQUESTS="1600 4800" bench/run_http_counts.sh   # the defaults (multiples of 16)
#
# Builds its targets in the `bench` preset under the shared build lock, and holds the lock
# while counting.
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '3,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 0
fi
if [[ $# -ne 0 ]]; then
  echo "usage: bench/run_http_counts.sh [--help]   (settings through the environment)" >&2
  exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
lock=/tmp/eddy-build.lock
python=${PYTHON:-/usr/bin/python3}
for tool in valgrind strace; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install $tool)" >&2; exit 1; }
done

if [[ -z "${EDDY_HTTP_COUNTS_LOCKED:-}" ]]; then
  if [[ -z "${NO_BUILD:-}" ]]; then
    flock "$lock" cmake --preset bench -DEDDY_BUILD_TESTS=OFF -DEDDY_BUILD_EXAMPLES=ON >/dev/null
    flock "$lock" cmake --build --preset bench --target webapp http_reference
  fi
  EDDY_HTTP_COUNTS_LOCKED=1 exec flock "$lock" "$0" "$@"
fi

"$python" bench/http_counts.py build/bench/examples/webapp build/bench/bench/http_reference
