// SPDX-License-Identifier: MIT
#include "eddy/net/serve_protocol.hpp"

#include <system_error>

#include "eddy/net/transport.hpp"

namespace eddy {

task<> serve_protocol(tcp_listener& listener, unique_function<std::unique_ptr<protocol>()> factory,
                      serve_protocol_options options) {
  for (;;) {
    auto s = co_await listener.accept();
    if (!s) {
      if (s.error() == errc::operation_canceled) throw cancelled_error();
      if (s.error() == errc::not_connected) co_return;
      throw std::system_error(s.error(), "accept");
    }
    if (options.max_connections != 0 && transport::live_count() >= options.max_connections) {
      s->close();
      continue;
    }
    (void)transport::start(std::move(*s), factory());
  }
}

}  // namespace eddy
