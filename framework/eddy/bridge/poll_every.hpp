// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <type_traits>

#include "eddy/core/task.hpp"
#include "eddy/runtime/sleep.hpp"

namespace eddy {

/// Calls `fn()` now and then every `interval` on the loop, for libraries that must be polled
/// (`rd_kafka_poll(rk, 0)`, `ares_process_fd` for retransmission timeouts) — the periodic
/// `call_later` loop of asyncio bridges. If `fn` returns `bool`, returning false ends the
/// task. Runs until then or until cancelled (`cancelled_error`); usually spawned next to the
/// code that uses the library and cancelled when it closes. Exceptions from `fn` end the task.
template <class F>
task<void> poll_every(std::chrono::nanoseconds interval, F fn) {
  for (;;) {
    if constexpr (std::is_same_v<std::invoke_result_t<F&>, bool>) {
      if (!fn()) co_return;
    } else {
      fn();
    }
    co_await sleep_for(interval);
  }
}

}  // namespace eddy
