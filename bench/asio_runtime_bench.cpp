// SPDX-License-Identifier: MIT
// The workloads of runtime_bench.cpp on Boost.Asio's C++20 awaitables (header-only asio from
// Debian's libboost1.81-dev), single-threaded io_context, for side-by-side comparison.
#include <benchmark/benchmark.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>
#include <thread>

namespace asio = boost::asio;

namespace {

asio::awaitable<int> trivial() { co_return 1; }

template <class F>
void run_on_context(F body) {
  asio::io_context ctx(1);
  asio::co_spawn(ctx, std::move(body), asio::detached);
  ctx.run();
}

// (a)
void create_await(benchmark::State& state) {
  run_on_context([&state]() -> asio::awaitable<void> {
    for (auto _ : state) benchmark::DoNotOptimize(co_await trivial());
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(create_await);

// (b) co_spawn a task and await its completion.
void spawn_complete(benchmark::State& state) {
  run_on_context([&state]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    for (auto _ : state) {
      benchmark::DoNotOptimize(co_await asio::co_spawn(ex, trivial(), asio::use_awaitable));
    }
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(spawn_complete);

// (c) asio has no event: the same minimal one eddy::event is (a flag and one parked waiter,
// resumed through the executor's queue, never inline). The waiter is kept as the concrete
// use_awaitable handler: no allocation per wait, as in eddy.
class flag_event {
  using handler_type =
      asio::async_result<asio::use_awaitable_t<>, void()>::handler_type;

 public:
  explicit flag_event(asio::io_context::executor_type ex) : ex_(ex) {}
  void set() {
    set_ = true;
    if (waiter_) {
      handler_type h = std::move(*waiter_);
      waiter_.reset();
      asio::post(ex_, std::move(h));
    }
  }
  void clear() { set_ = false; }
  auto wait() {
    return asio::async_initiate<decltype(asio::use_awaitable), void()>(
        [this](handler_type handler) {
          if (set_) {
            asio::post(ex_, std::move(handler));
          } else {
            waiter_.emplace(std::move(handler));
          }
        },
        asio::use_awaitable);
  }

 private:
  asio::io_context::executor_type ex_;
  std::optional<handler_type> waiter_;
  bool set_ = false;
};

void ping_pong(benchmark::State& state) {
  asio::io_context ctx(1);
  flag_event ping(ctx.get_executor()), pong(ctx.get_executor());
  bool stop = false;
  asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
    for (;;) {
      co_await ping.wait();
      ping.clear();
      if (stop) co_return;
      pong.set();
    }
  }, asio::detached);
  asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
    for (auto _ : state) {
      ping.set();
      co_await pong.wait();
      pong.clear();
    }
    stop = true;
    ping.set();
  }, asio::detached);
  ctx.run();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(ping_pong);

// (e) asio::post in batches of 1000, run by poll().
void call_soon(benchmark::State& state) {
  constexpr int batch = 1000;
  asio::io_context ctx(1);
  long count = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) asio::post(ctx, [&count] { ++count; });
    ctx.poll();
    ctx.restart();
  }
  if (count != static_cast<long>(state.iterations()) * batch) state.SkipWithError("lost callbacks");
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(call_soon);

// (f) one producer thread posts 100,000 handlers per iteration to the running io_context.
void post_cross_thread(benchmark::State& state) {
  static constexpr int batch = 100'000;
  asio::io_context ctx(1);
  for (auto _ : state) {
    int count = 0;
    std::optional work(asio::make_work_guard(ctx));
    std::thread producer([&] {
      for (int i = 0; i < batch; ++i) {
        asio::post(ctx, [&] {
          if (++count == batch) work.reset();
        });
      }
    });
    ctx.run();
    producer.join();
    ctx.restart();
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(post_cross_thread)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
