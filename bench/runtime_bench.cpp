// SPDX-License-Identifier: MIT
// Runtime micro-benchmarks for eddy. The same workloads run on Boost.Asio awaitables
// (asio_runtime_bench.cpp) and on asyncio/uvloop (asyncio_runtime_bench.py); the names match so
// that bench/run_runtime_bench.sh can print them side by side. Every benchmark reports
// items_per_second (one item = one operation).
#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>

#include <eddy/core/task.hpp>
#include <eddy/runtime/event.hpp>
#include <eddy/runtime/event_loop.hpp>
#include <eddy/runtime/run.hpp>
#include <eddy/runtime/spawn.hpp>

namespace {

constexpr eddy::run_options options{.cancel_on_sigint = false};

eddy::task<int> trivial() { co_return 1; }

// (a) create a task and await it to completion (no loop iteration involved).
void create_await(benchmark::State& state) {
  eddy::run(
      [](benchmark::State& st) -> eddy::task<void> {
        for (auto _ : st) benchmark::DoNotOptimize(co_await trivial());
      }(state),
      options);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(create_await);

// (b) spawn a task on the loop and wait until it has completed (asyncio: await create_task).
void spawn_complete(benchmark::State& state) {
  eddy::run(
      [](benchmark::State& st) -> eddy::task<void> {
        for (auto _ : st) {
          auto handle = eddy::spawn(trivial());
          benchmark::DoNotOptimize(co_await handle);
        }
      }(state),
      options);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(spawn_complete);

// (c) one round trip between two tasks through two events (two task switches per item).
eddy::task<void> pong(eddy::event& ping, eddy::event& pong, const bool& stop) {
  for (;;) {
    co_await ping.wait();
    ping.clear();
    if (stop) co_return;
    pong.set();
  }
}

void ping_pong(benchmark::State& state) {
  eddy::run(
      [](benchmark::State& st) -> eddy::task<void> {
        eddy::event ping, pong_ev;
        bool stop = false;
        auto other = eddy::spawn(pong(ping, pong_ev, stop));
        for (auto _ : st) {
          ping.set();
          co_await pong_ev.wait();
          pong_ev.clear();
        }
        stop = true;
        ping.set();
        co_await other;
      }(state),
      options);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(ping_pong);

// (e) call_soon throughput: batches of 1000 callbacks, run by one loop iteration.
void call_soon(benchmark::State& state) {
  constexpr int batch = 1000;
  eddy::event_loop loop;
  long count = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) loop.call_soon([&count] { ++count; });
    loop.run_once();
  }
  if (count != static_cast<long>(state.iterations()) * batch) state.SkipWithError("lost callbacks");
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(call_soon);

// (f) cross-thread post throughput: one producer thread posts 100,000 functions per iteration;
// the loop thread runs them. Wall time, including the wake-ups.
void post_cross_thread(benchmark::State& state) {
  static constexpr int batch = 100'000;
  eddy::event_loop loop;
  for (auto _ : state) {
    int count = 0;
    std::thread producer([&] {
      for (int i = 0; i < batch; ++i) {
        loop.post([&count, &loop] {
          if (++count == batch) loop.stop();
        });
      }
    });
    loop.run_forever();
    producer.join();
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(post_cross_thread)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
