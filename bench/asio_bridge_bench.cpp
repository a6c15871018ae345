// SPDX-License-Identifier: MIT
// The round trips of bridge_bench.cpp on Boost.Asio's C++20 awaitables (header-only asio from
// Debian's libboost1.81-dev): one coroutine, co_spawn'ed on a single-threaded io_context,
//   to_thread       post the work to an asio::thread_pool (1 thread); the worker posts the
//                   completion handler, with the result, back to the coroutine's executor
//   from_callback   a foreign "library" thread (the one of bridge_bench.cpp) calls the
//                   callback, which posts the completion handler to the io_context
//   promise         a fresh one-slot experimental::concurrent_channel per round trip (asio's
//                   thread-safe one-shot hand-off): the foreign thread try_send()s the value,
//                   the coroutine awaits async_receive
// Each iteration is one full round trip awaited by the coroutine, counted as in
// bridge_bench.cpp: time per iteration = µs per round trip.
//
// Each round trip runs twice. In the `/condvar` runs the io_context has no I/O object, so asio
// never creates its epoll reactor: the loop thread sleeps on a condition variable and a post
// from another thread is one futex wake. The `/epoll` runs give the io_context a (closed)
// socket, which starts the reactor as in any networking program: the loop thread then sleeps
// in epoll_wait and a post interrupts it through an eventfd, the same wake path as eddy's loop.
#include <benchmark/benchmark.h>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "foreign_thread.hpp"
#include "round_trips.hpp"

namespace asio = boost::asio;

namespace {

using eddy::bench::foreign_thread;

// Which wait the io_context's thread blocks in (see the top of the file).
enum class wake_path { condvar, epoll };

// Runs `body` as the only coroutine of a single-threaded io_context; a failure inside it
// becomes the benchmark's error rather than a silent detached exception.
template <class F>
void run_on_context(benchmark::State& state, wake_path path, F body) {
  asio::io_context ctx(1);
  std::optional<asio::ip::tcp::socket> starts_reactor;
  if (path == wake_path::epoll) starts_reactor.emplace(ctx);
  std::exception_ptr failure;
  asio::co_spawn(ctx, std::move(body), [&](std::exception_ptr e) { failure = e; });
  ctx.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
    }
  }
}

// Hands `value` to the awaiting coroutine's handler on the coroutine's own executor (the
// io_context), from whatever thread calls it. co_spawn holds the io_context's work while the
// coroutine is suspended, so no extra work guard is needed per round trip.
template <class Handler>
void complete_on_owner(Handler handler, int value) {
  auto ex = asio::get_associated_executor(handler);
  asio::post(ex, [h = std::move(handler), value]() mutable { std::move(h)(value); });
}

// to_thread twin: `co_await run_in(pool, [] { return 1; })`.
template <class F>
auto run_in(asio::thread_pool& pool, F fn) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(int)>(
      [&pool, fn](auto handler) mutable {
        asio::post(pool, [h = std::move(handler), fn]() mutable { complete_on_owner(std::move(h), fn()); });
      },
      asio::use_awaitable);
}

void to_thread_round_trip(benchmark::State& state, wake_path path) {
  asio::thread_pool pool(1);
  run_on_context(state, path, [&]() -> asio::awaitable<void> {
    for (auto _ : state) {
      int v = co_await run_in(pool, [] { return 1; });
      benchmark::DoNotOptimize(v);
    }
  });
  pool.join();
}

// from_callback twin. std::function (what foreign_thread takes) must be copyable and the
// awaitable handler is move-only, so the callback carries it in a shared_ptr — the shared
// state a C-style callback API needs anyway (eddy's callback holds its own ref-counted state).
void from_callback_foreign_thread(benchmark::State& state, wake_path path) {
  foreign_thread lib;
  run_on_context(state, path, [&]() -> asio::awaitable<void> {
    for (auto _ : state) {
      int v = co_await asio::async_initiate<decltype(asio::use_awaitable), void(int)>(
          [&lib](auto handler) {
            auto slot = std::make_shared<decltype(handler)>(std::move(handler));
            lib.submit([slot] { complete_on_owner(std::move(*slot), 1); });
          },
          asio::use_awaitable);
      benchmark::DoNotOptimize(v);
    }
  });
}

// promise twin: a fresh one-slot channel per round trip, as bridge_bench.cpp makes a fresh
// promise; the foreign thread sends into it, the coroutine receives.
void promise_set_value_foreign_thread(benchmark::State& state, wake_path path) {
  using channel = asio::experimental::concurrent_channel<void(boost::system::error_code, int)>;
  foreign_thread lib;
  run_on_context(state, path, [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    for (auto _ : state) {
      auto ch = std::make_shared<channel>(ex, 1);
      lib.submit([ch] {
        if (!ch->try_send(boost::system::error_code{}, 1)) std::terminate();  // one slot, one value
      });
      int v = co_await ch->async_receive(asio::use_awaitable);
      benchmark::DoNotOptimize(v);
    }
  });
}

// The callback fired synchronously inside the initiation (no thread involved): the handler
// still goes through the io_context's queue, as asio requires of a completion.
void from_callback_synchronous(benchmark::State& state, wake_path path) {
  run_on_context(state, path, [&]() -> asio::awaitable<void> {
    for (auto _ : state) {
      int v = co_await asio::async_initiate<decltype(asio::use_awaitable), void(int)>(
          [](auto handler) { complete_on_owner(std::move(handler), 1); }, asio::use_awaitable);
      benchmark::DoNotOptimize(v);
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t n = eddy::bench::take_round_trips(argc, argv);
  using round_trip = void (*)(benchmark::State&, wake_path);
  const std::pair<const char*, round_trip> cases[] = {
      {"to_thread_round_trip", &to_thread_round_trip},
      {"from_callback_foreign_thread", &from_callback_foreign_thread},
      {"promise_set_value_foreign_thread", &promise_set_value_foreign_thread},
      {"from_callback_synchronous", &from_callback_synchronous},
  };
  for (auto [name, fn] : cases) {
    for (auto [path, suffix] :
         {std::pair{wake_path::condvar, "/condvar"}, std::pair{wake_path::epoll, "/epoll"}}) {
      auto* b = eddy::bench::add_benchmark(n, (std::string(name) + suffix).c_str(),
                                           [fn, path](benchmark::State& st) { fn(st, path); });
      if (fn != &from_callback_synchronous) b->UseRealTime();
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
