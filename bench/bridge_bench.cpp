// SPDX-License-Identifier: MIT
// Bridge round trips, compared with asyncio/uvloop by bridge_asyncio.py:
//   to_thread       loop -> pool worker -> loop (asyncio.to_thread)
//   from_callback   loop -> foreign thread fires the callback -> loop (call_soon_threadsafe)
//   promise         loop -> foreign thread calls set_value -> loop (future + call_soon_threadsafe)
// Each iteration is one full round trip awaited by a coroutine; time per iteration = µs per
// round trip.
#include <benchmark/benchmark.h>

#include <eddy/bridge/from_callback.hpp>
#include <eddy/bridge/future.hpp>
#include <eddy/bridge/to_thread.hpp>
#include <eddy/runtime/run.hpp>

#include "foreign_thread.hpp"
#include "round_trips.hpp"

namespace {

using eddy::bench::foreign_thread;

void to_thread_round_trip(benchmark::State& state) {
  eddy::thread_pool pool({.threads = 1});
  auto body = [&]() -> eddy::task<void> {
    for (auto _ : state) {
      int v = co_await eddy::run_in(pool, [] { return 1; });
      benchmark::DoNotOptimize(v);
    }
  };
  eddy::run(body(), {.cancel_on_sigint = false});
}

void from_callback_foreign_thread(benchmark::State& state) {
  foreign_thread lib;
  auto body = [&]() -> eddy::task<void> {
    for (auto _ : state) {
      int v = co_await eddy::from_callback<void(int)>([&](auto cb) { lib.submit([cb] { cb(1); }); });
      benchmark::DoNotOptimize(v);
    }
  };
  eddy::run(body(), {.cancel_on_sigint = false});
}

void promise_set_value_foreign_thread(benchmark::State& state) {
  foreign_thread lib;
  auto body = [&]() -> eddy::task<void> {
    for (auto _ : state) {
      auto p = std::make_shared<eddy::promise<int>>(eddy::make_promise<int>());
      auto f = p->get_future();
      lib.submit([p] { p->set_value(1); });
      int v = co_await f;
      benchmark::DoNotOptimize(v);
    }
  };
  eddy::run(body(), {.cancel_on_sigint = false});
}

void from_callback_synchronous(benchmark::State& state) {
  auto body = [&]() -> eddy::task<void> {
    for (auto _ : state) {
      int v = co_await eddy::from_callback<void(int)>([](auto cb) { cb(1); });
      benchmark::DoNotOptimize(v);
    }
  };
  eddy::run(body(), {.cancel_on_sigint = false});
}

}  // namespace

int main(int argc, char** argv) {
  using eddy::bench::add_benchmark;
  const std::int64_t n = eddy::bench::take_round_trips(argc, argv);
  add_benchmark(n, "to_thread_round_trip", to_thread_round_trip)->UseRealTime();
  add_benchmark(n, "from_callback_foreign_thread", from_callback_foreign_thread)->UseRealTime();
  add_benchmark(n, "promise_set_value_foreign_thread", promise_set_value_foreign_thread)
      ->UseRealTime();
  add_benchmark(n, "from_callback_synchronous", from_callback_synchronous);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
