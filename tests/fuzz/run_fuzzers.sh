#!/usr/bin/env bash
# Runs the libFuzzer targets built by the `fuzz` preset, each for a bounded time, starting
# from its seed corpus (tests/fuzz/corpus/<name>; new inputs go to build/fuzz/work/<name>, not
# into the source tree). Prints executions and coverage per target; fails if any target
# crashed, leaked, hung or broke a property (the input is saved under build/fuzz/crash/<name>/:
# fix the bug, then add the input to the corpus as a regression test).
#   tests/fuzz/run_fuzzers.sh [seconds per target (default 20)] [target names...]
# EDDY_FUZZ_SEED fixes libFuzzer's seed (CI sets it, so that a run is reproducible and does not
# fail at random on a bug nobody introduced in that change); unset, each run explores anew.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-20}"
shift || true
bin=build/fuzz/tests/fuzz
if [ $# -gt 0 ]; then
  names=("$@")
else
  names=()
  for f in tests/fuzz/*_fuzz.cpp; do n=$(basename "$f" _fuzz.cpp); names+=("$n"); done
fi
failed=()
printf '%-16s %10s %8s %8s %8s %s\n' target execs exec/s cov ft corpus
for n in "${names[@]}"; do
  work=build/fuzz/work/$n crash=build/fuzz/crash/$n log=build/fuzz/work/$n.log
  mkdir -p "$work" "$crash"
  rc=0
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb bounds memory (2 cores and
  # other jobs share the machine); -max_len stays small, requests of interest are short.
  "$bin/fuzz_$n" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    ${EDDY_FUZZ_SEED:+-seed="$EDDY_FUZZ_SEED"} -print_final_stats=1 -artifact_prefix="$crash/" "$work" "tests/fuzz/corpus/$n" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1 || true)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2 || true)
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2 || true)
  corpus=$(find "$work" -type f | wc -l)
  printf '%-16s %10s %8s %8s %8s %s\n' "$n" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$corpus"
  if [ "$rc" -ne 0 ]; then
    failed+=("$n")
    echo "---- $n failed (exit $rc); the end of $log:"
    grep -vE '^#[0-9]+' "$log" | tail -30
    ls "$crash"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#names[@]} targets ran ${seconds}s each without a failure"
