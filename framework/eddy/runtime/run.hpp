// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <stdexcept>
#include <utility>

#include "eddy/core/task.hpp"
#include "eddy/runtime/event_loop.hpp"
#include "eddy/runtime/signals.hpp"
#include "eddy/runtime/spawn.hpp"

namespace eddy {

/// Options for `eddy::run`.
struct run_options {
  /// The first SIGINT (Ctrl-C) cancels the main task so that destructors run; if it then ends
  /// cancelled, the process is ended by SIGINT as an uncaught Ctrl-C would end it. A second
  /// SIGINT ends the process at once. Ignored if the program set its own SIGINT disposition
  /// or watches SIGINT with `eddy::signals`.
  bool cancel_on_sigint = true;
  loop_options loop = {};
};

/// Runs `t` on `loop` until it finishes and returns its value or rethrows its exception. Other
/// tasks keep running only while `t` does. Call from outside any running loop.
template <class T>
T run_until_complete(event_loop& loop, task<T> t) {
  auto handle = spawn(loop, std::move(t));
  handle.stop_loop_when_done(loop);
  while (!handle.done()) loop.run_forever();
  return handle.result();
}

/// asyncio.run: creates a loop, runs `main` to completion, then cancels every task still
/// running and waits for them to unwind, and returns `main`'s value (or rethrows its
/// exception). Throws `std::logic_error` if a loop already runs on this thread.
template <class T>
T run(task<T> main, run_options options = {}) {
  if (event_loop::current()) throw std::logic_error("eddy::run called from a running event loop");
  event_loop loop(options.loop);
  auto handle = spawn(loop, std::move(main));
  std::optional<detail::interrupt_guard> interrupt;
  if (options.cancel_on_sigint) interrupt.emplace(loop, [&handle] { handle.cancel(); });
  handle.stop_loop_when_done(loop);
  while (!handle.done()) loop.run_forever();
  loop.drain();
  if (interrupt && interrupt->fired() && handle.cancelled()) interrupt->reraise();
  interrupt.reset();
  return handle.result();
}

}  // namespace eddy
