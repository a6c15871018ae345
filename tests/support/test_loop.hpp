// SPDX-License-Identifier: MIT
#pragma once

#include <eddy/runtime/run.hpp>

namespace eddy::test {

/// Runs `t` like `eddy::run`, on a loop with virtual time (timers fire instantly, in order)
/// and without SIGINT handling.
template <class T>
T run_virtual(task<T> t) {
  return eddy::run(std::move(t), {.cancel_on_sigint = false, .loop = {.virtual_time = true}});
}

/// Runs `t` like `eddy::run` on a real clock, without SIGINT handling.
template <class T>
T run_real(task<T> t) {
  return eddy::run(std::move(t), {.cancel_on_sigint = false});
}

}  // namespace eddy::test
