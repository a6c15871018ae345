// SPDX-License-Identifier: MIT
#include "eddy/http/detail/client_connection.hpp"

namespace eddy::http::detail {

task<result<std::size_t>> client_connection::read_some(std::span<char> buf) {
  if (tcp_) co_return co_await tcp_->read_some(buf);
  if (tls_) co_return co_await tls_->read_some(buf);
  co_return errc::not_connected;
}

task<result<void>> client_connection::write_all(std::string_view data, std::size_t& sent) {
  while (sent < data.size()) {
    std::span<const char> rest(data.data() + sent, data.size() - sent);
    result<std::size_t> n = errc::not_connected;
    if (tcp_) n = co_await tcp_->write_some(rest);
    else if (tls_) n = co_await tls_->write_some(rest);
    if (!n) co_return n.error();
    sent += *n;
  }
  co_return result<void>{};
}

bool client_connection::probe_alive() {
  tcp_stream* s = tcp_ ? &*tcp_ : tls_ ? &tls_->next_layer() : nullptr;
  if (!s || !s->is_open()) return false;
  // A server that closed an idle connection left a FIN (read yields 0) or an RST; bytes
  // arriving unasked (a TLS close_notify, garbage) also make the connection unusable.
  char probe;
  auto r = s->try_read_some(std::span<char>(&probe, 1));
  if (r) return false;
  return r.error() == std::errc::resource_unavailable_try_again ||
         r.error() == std::errc::operation_would_block;
}

void client_connection::close() noexcept {
  tls_.reset();
  tcp_.reset();
}

task<result<void>> read_more(client_connection& c, time_point phase, client_errc err, time_point total) {
  // A response head must fit in 1 MiB; a bigger one is an attack or a broken server.
  constexpr std::size_t max_head_buffer = 1024 * 1024;
  if (c.end == c.buf.size()) {
    if (c.buf.size() >= max_head_buffer) co_return errc::limit_exceeded;
    c.buf.resize(c.buf.size() * 2);
  }
  auto n = co_await bounded(c.read_some(std::span<char>(c.buf.data() + c.end, c.buf.size() - c.end)), phase,
                            err, total);
  if (!n) co_return n.error();
  if (*n == 0) c.eof = true;
  c.end += *n;
  co_return result<void>{};
}

time_point deadline_after(std::chrono::milliseconds d) {
  if (d <= std::chrono::milliseconds::zero()) return time_point::max();
  return eddy::detail::this_loop().now() + d;
}

}  // namespace eddy::http::detail
