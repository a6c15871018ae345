// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>

#include "eddy/core/task.hpp"
#include "eddy/core/unique_function.hpp"
#include "eddy/net/protocol.hpp"
#include "eddy/net/tcp_listener.hpp"

namespace eddy {

/// Options for `serve_protocol`.
struct serve_protocol_options {
  /// Connections beyond this many live transports on the thread are accepted and closed at
  /// once (0: no limit).
  std::size_t max_connections = 0;
};

/// asyncio's `create_server(protocol_factory)` + `serve_forever`: accepts connections from
/// `listener` and runs a fresh protocol from `factory` on each through a `transport`.
/// Runs until cancelled (then throws `cancelled_error`; live connections keep running — use
/// `transport::close_all()` / `abort_all()` to end them) or until the listener is closed
/// (returns). Throws `std::system_error` for an unexpected accept failure.
task<> serve_protocol(tcp_listener& listener, unique_function<std::unique_ptr<protocol>()> factory,
                      serve_protocol_options options = {});

}  // namespace eddy
