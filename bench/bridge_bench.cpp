// SPDX-License-Identifier: MIT
// Bridge round trips, compared with asyncio/uvloop by bridge_asyncio.py:
//   to_thread       loop -> pool worker -> loop (asyncio.to_thread)
//   from_callback   loop -> foreign thread fires the callback -> loop (call_soon_threadsafe)
//   promise         loop -> foreign thread calls set_value -> loop (future + call_soon_threadsafe)
// Each iteration is one full round trip awaited by a coroutine; time per iteration = µs per
// round trip.
#include <benchmark/benchmark.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <eddy/bridge/from_callback.hpp>
#include <eddy/bridge/future.hpp>
#include <eddy/bridge/to_thread.hpp>
#include <eddy/runtime/run.hpp>

namespace {

// A "library" thread that runs queued functions (where the callbacks come from).
class foreign_thread {
 public:
  foreign_thread() : thread_([this] { work(); }) {}
  ~foreign_thread() {
    {
      std::lock_guard lock(m_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void submit(std::function<void()> fn) {
    {
      std::lock_guard lock(m_);
      q_.push_back(std::move(fn));
    }
    cv_.notify_one();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return stop_ || !q_.empty(); });
        if (q_.empty()) return;
        fn = std::move(q_.front());
        q_.pop_front();
      }
      fn();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  bool stop_ = false;
  std::thread thread_;
};

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
BENCHMARK(to_thread_round_trip)->UseRealTime();

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
BENCHMARK(from_callback_foreign_thread)->UseRealTime();

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
BENCHMARK(promise_set_value_foreign_thread)->UseRealTime();

void from_callback_synchronous(benchmark::State& state) {
  auto body = [&]() -> eddy::task<void> {
    for (auto _ : state) {
      int v = co_await eddy::from_callback<void(int)>([](auto cb) { cb(1); });
      benchmark::DoNotOptimize(v);
    }
  };
  eddy::run(body(), {.cancel_on_sigint = false});
}
BENCHMARK(from_callback_synchronous);

}  // namespace

BENCHMARK_MAIN();
