// SPDX-License-Identifier: MIT
#include "eddy/net/tcp_listener.hpp"

#include <cstdio>
#include <system_error>

#include "eddy/net/detail/socket_ops.hpp"
#include "eddy/runtime/sleep.hpp"

namespace eddy {

namespace {
[[noreturn]] void fail(const std::error_code& ec, const char* what, const address& at) {
  throw std::system_error(ec, std::string(what) + " " + at.to_string());
}

task<bool> back_off(std::chrono::milliseconds d) {
  // Converts cancellation of the pause into a flag: accept reports it as a result.
  try {
    co_await sleep_for(d);
  } catch (const cancelled_error&) {
    co_return false;
  }
  co_return true;
}
}  // namespace

tcp_listener::tcp_listener(const address& at, listen_options options)
    : tcp_listener(detail::this_loop(), at, options) {}

tcp_listener::tcp_listener(event_loop& loop, const address& at, listen_options options) {
  auto fd = detail::open_socket(at.family(), detail::socket_kind::stream);
  if (!fd) fail(fd.error(), "socket for", at);
  auto p = std::make_unique<impl>();
  p->fd.reset(*fd);
  p->options = options;
  if (at.family() != address_family::unix_path) {
    if (options.reuse_address) {
      if (auto r = detail::sock_set_reuse_address(*fd, true); !r) fail(r.error(), "SO_REUSEADDR on", at);
    }
    if (options.reuse_port) {
      if (auto r = detail::sock_set_reuse_port(*fd, true); !r) fail(r.error(), "SO_REUSEPORT on", at);
    }
    // "::" should not also grab the IPv4 port: an IPv4 listener may want it.
    if (at.family() == address_family::ipv6) (void)detail::sock_set_v6_only(*fd, true);
  }
  if (auto r = detail::sock_bind(*fd, at); !r) fail(r.error(), "cannot bind", at);
  if (auto r = detail::sock_listen(*fd, options.backlog); !r) fail(r.error(), "cannot listen on", at);
  auto local = detail::sock_name(*fd);
  p->local = local ? *local : at;
  if (auto r = p->reg.open(loop, *fd); !r) fail(r.error(), "cannot register", at);
  impl_ = std::move(p);
}

tcp_listener& tcp_listener::operator=(tcp_listener&& o) noexcept {
  if (this != &o) {
    close();
    impl_ = std::move(o.impl_);
  }
  return *this;
}

tcp_listener::~tcp_listener() { close(); }

void tcp_listener::close() noexcept {
  if (!impl_) return;
  impl_->reg.reset();
  impl_.reset();
}

result<tcp_stream> tcp_listener::try_accept() {
  for (;;) {
    if (!impl_) return errc::not_connected;
    auto fd = detail::sock_accept(impl_->fd.get(), nullptr);
    if (!fd) {
      if (detail::is_transient_accept_error(fd.error())) continue;
      return fd.error();
    }
    auto s = tcp_stream::adopt(unique_fd(*fd), *impl_->reg.loop());
    if (!s) continue;  // could not register this one connection; it is closed
    if (impl_->options.no_delay && impl_->local.family() != address_family::unix_path) {
      (void)s->set_no_delay(true);
    }
    return s;
  }
}

task<result<tcp_stream>> tcp_listener::accept_slow() {
  for (;;) {
    if (!impl_) co_return errc::not_connected;
    impl* p = impl_.get();
    const int lfd = p->fd.get();
    auto fd = co_await io_operation(p->reg, io_direction::read,
                                    [lfd] { return detail::sock_accept(lfd, nullptr); });
    if (fd) {
      unique_fd owned(*fd);
      auto s = tcp_stream::adopt(std::move(owned), *p->reg.loop());
      if (!s) continue;  // could not register this one connection; it is closed
      if (p->options.no_delay && p->local.family() != address_family::unix_path) {
        (void)s->set_no_delay(true);
      }
      co_return std::move(*s);
    }
    if (detail::is_transient_accept_error(fd.error())) continue;
    if (detail::is_resource_exhaustion(fd.error())) {
      ++p->exhaustions;
      if (!p->logged) {
        p->logged = true;
        std::fprintf(stderr, "eddy: accept on %s: %s; pausing accepts for %lld ms and retrying\n",
                     p->local.to_string().c_str(), fd.error().message().c_str(),
                     static_cast<long long>(p->options.exhaustion_backoff.count()));
      }
      if (!co_await back_off(p->options.exhaustion_backoff)) co_return errc::operation_canceled;
      continue;
    }
    co_return fd.error();
  }
}

}  // namespace eddy
