// SPDX-License-Identifier: MIT
#pragma once

#include <exception>
#include <future>
#include <type_traits>
#include <utility>

#include "eddy/core/task.hpp"
#include "eddy/runtime/event_loop.hpp"
#include "eddy/runtime/spawn.hpp"

namespace eddy {
namespace detail {

template <class T>
task<void> deliver_to(task<T> t, std::promise<T> p) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
      p.set_value();
    } else {
      p.set_value(co_await std::move(t));
    }
  } catch (...) {
    p.set_exception(std::current_exception());
  }
}

}  // namespace detail

/// Starts `t` on `loop` from any thread and returns a `std::future` for its result (asyncio's
/// `run_coroutine_threadsafe`). The task is spawned through `loop.post`, so it runs on the
/// loop's thread. The future receives the value or exception; `cancelled_error` if the loop
/// cancelled the task (`drain`, shutdown); `std::future_error(broken_promise)` if the loop was
/// destroyed before the task started. Do not block on the future from the loop's own thread.
template <class T>
std::future<T> spawn_on(event_loop& loop, task<T> t) {
  std::promise<T> p;
  std::future<T> f = p.get_future();
  loop.post([&loop, t = std::move(t), p = std::move(p)]() mutable {
    spawn(loop, detail::deliver_to(std::move(t), std::move(p)));
  });
  return f;
}

}  // namespace eddy
