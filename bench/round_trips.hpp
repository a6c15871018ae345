// SPDX-License-Identifier: MIT
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace eddy::bench {

/// Reads and removes `--round_trips=N` from the command line: with it every benchmark runs
/// exactly N iterations, once, without Google Benchmark's calibration runs, so that the totals
/// of `strace -c`, `perf stat` and callgrind divide by a known count
/// (bench/run_bridge_costs.sh). Returns 0 when the flag is absent; exits on a bad value.
inline std::int64_t take_round_trips(int& argc, char** argv) {
  constexpr const char* flag = "--round_trips=";
  const std::size_t flag_len = std::strlen(flag);
  std::int64_t n = 0;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], flag, flag_len) == 0) {
      char* end = nullptr;
      n = std::strtoll(argv[i] + flag_len, &end, 10);
      if (end == argv[i] + flag_len || *end != '\0' || n <= 0) {
        std::fprintf(stderr, "%s: --round_trips wants a positive count, got '%s'\n", argv[0],
                     argv[i] + flag_len);
        std::exit(2);
      }
      continue;
    }
    argv[out++] = argv[i];
  }
  argc = out;
  return n;
}

/// Registers `fn(state)` as benchmark `name`, fixed to `round_trips` iterations unless that is 0
/// (then Google Benchmark calibrates the count as usual).
template <class F>
benchmark::internal::Benchmark* add_benchmark(std::int64_t round_trips, const char* name, F fn) {
  auto* b = benchmark::RegisterBenchmark(name, std::move(fn));
  if (round_trips > 0) b->Iterations(round_trips);
  return b;
}

}  // namespace eddy::bench
