// SPDX-License-Identifier: MIT
#include "load_transport.hpp"

#include <cerrno>

#include <eddy/core/errors.hpp>

namespace eddy::tools {

namespace {

std::error_code would_block() { return {EAGAIN, std::system_category()}; }

}  // namespace

load_transport::load_transport(tcp_stream s, const tls_context* tls, std::string_view server_name) {
  if (tls) {
    tls_.emplace(std::move(s), *tls, server_name);
  } else {
    plain_ = std::move(s);
  }
}

load_transport::~load_transport() {
  // A polite end for a TLS session: close_notify, if the socket takes it now (it is a few
  // bytes; a peer that does not read them loses nothing).
  if (tls_ && tls_->established() && pending_.empty()) {
    auto& engine = tls_->engine();
    if (engine.shutdown().value) (void)push_ciphertext();
  }
}

task<result<void>> load_transport::handshake() {
  if (!tls_) co_return result<void>{};
  co_return co_await tls_->handshake();
}

std::string_view load_transport::protocol_version() const noexcept {
  return tls_ ? tls_->protocol_version() : std::string_view();
}

std::string_view load_transport::alpn_selected() const noexcept {
  return tls_ ? tls_->alpn_selected() : std::string_view();
}

result<bool> load_transport::push_ciphertext() {
  auto& engine = tls_->engine();
  const int fd = tcp().native_handle();
  for (auto out = engine.take_output(); !out.empty(); out = engine.take_output()) {
    auto n = eddy::detail::sock_send(fd, out);
    if (!n) {
      if (!eddy::detail::is_would_block(n)) return n.error();
      pending_ = out;
      return false;
    }
    if (*n < out.size()) {
      pending_ = out.subspan(*n);
      return false;
    }
  }
  return true;
}

result<bool> load_transport::send(std::span<const char> bytes) {
  if (!tls_) {
    auto n = eddy::detail::sock_send(plain_.native_handle(), bytes);
    if (!n) {
      if (!eddy::detail::is_would_block(n)) return n.error();
      pending_ = bytes;
      return false;
    }
    if (*n < bytes.size()) {
      pending_ = bytes.subspan(*n);
      return false;
    }
    return true;
  }
  // Memory BIOs take everything: the whole batch becomes records at once, and goes out in as
  // few writes as the engine's output chunks allow.
  auto step = tls_->engine().write(bytes);
  if (!step.value) return step.value.error();
  return push_ciphertext();
}

task<result<void>> load_transport::flush() {
  while (!pending_.empty()) {
    auto w = co_await tcp().write(pending_);
    pending_ = {};
    if (!w) co_return w.error();
    if (!tls_) break;
    // The engine's next chunk, if the batch was larger than one.
    auto more = push_ciphertext();
    if (!more) co_return more.error();
  }
  co_return result<void>{};
}

result<std::size_t> load_transport::try_read(std::span<char> buf) {
  if (!tls_) {
    auto n = plain_.try_read_some(buf);
    drained_ = n ? *n < buf.size() : eddy::detail::is_would_block(n);
    return n;
  }
  drained_ = false;
  if (ended_) return std::size_t{0};
  if (deferred_) return std::exchange(deferred_, {});
  auto& engine = tls_->engine();
  std::size_t got = 0;
  // Plaintext first: OpenSSL may hold whole records from an earlier socket read. Then one
  // socket read after another while they come back full. The engine is asked only when it
  // holds input (or the socket ended): an engine read that can only say "want input" costs
  // as much as a small record.
  for (bool socket_empty = false, socket_ended = false;;) {
    if (socket_ended || engine.input_pending()) {
      auto step = engine.read(buf.subspan(got));
      if (!step.want_input) {
        if (!step.value) {
          // A load tester protects no data: a server that closes without close_notify (many
          // do after `Connection: close`) just ends the stream, and HTTP framing judges
          // whether a response was cut short.
          if (step.value.error() == errc::unexpected_eof) {
            ended_ = true;
            return got;
          }
          if (got == 0) return step.value.error();
          deferred_ = step.value.error();  // the bytes first, the error on the next call
          return got;
        }
        if (*step.value == 0) {  // the server's close_notify
          ended_ = true;
          return got;
        }
        got += *step.value;
        if (got == buf.size()) return got;
        continue;
      }
      if (socket_ended) {  // cannot happen: after the end the engine reports it
        ended_ = true;
        return got;
      }
    }
    if (socket_empty) break;
    auto space = engine.input_space();
    auto n = tls_->next_layer().try_read_some(space);
    if (!n && eddy::detail::is_would_block(n)) break;
    if (!n) {
      if (got == 0) return n.error();
      deferred_ = n.error();
      return got;
    }
    if (*n == 0) {
      engine.end_of_input();  // the next engine read reports the end (or a cut record)
      socket_ended = true;
    } else {
      engine.commit_input(*n);
      socket_empty = *n < space.size();
    }
  }
  drained_ = true;
  if (got > 0) return got;
  return would_block();
}

}  // namespace eddy::tools
