// SPDX-License-Identifier: MIT
#include "eddy/net/udp_socket.hpp"

#include <string>
#include <system_error>

namespace eddy {

namespace {
io_registration& closed_registration() noexcept {
  thread_local io_registration r;  // fd -1: every call fails at once with EBADF
  return r;
}
[[noreturn]] void fail(const std::error_code& ec, const char* what, const address& at) {
  throw std::system_error(ec, std::string(what) + " " + at.to_string());
}
}  // namespace

udp_socket::udp_socket(const address& at, udp_options options) {
  auto fd = detail::open_socket(at.family(), detail::socket_kind::datagram);
  if (!fd) fail(fd.error(), "udp socket for", at);
  auto p = std::make_unique<impl>();
  p->fd.reset(*fd);
  if (at.family() != address_family::unix_path) {
    if (options.reuse_address) (void)detail::sock_set_reuse_address(*fd, true);
    if (options.reuse_port) {
      if (auto r = detail::sock_set_reuse_port(*fd, true); !r) fail(r.error(), "SO_REUSEPORT on", at);
    }
    if (at.family() == address_family::ipv6) (void)detail::sock_set_v6_only(*fd, true);
  }
  if (auto r = detail::sock_bind(*fd, at); !r) fail(r.error(), "cannot bind", at);
  if (auto r = p->reg.open(detail::this_loop(), *fd); !r) fail(r.error(), "cannot register", at);
  impl_ = std::move(p);
}

io_registration& udp_socket::reg() noexcept { return impl_ ? impl_->reg : closed_registration(); }

result<void> udp_socket::connect(const address& peer) noexcept {
  if (!impl_) return errc::not_connected;
  bool in_progress = false;
  return detail::sock_connect(impl_->fd.get(), peer, &in_progress);
}

result<address> udp_socket::local_address() const noexcept {
  if (!impl_) return errc::not_connected;
  return detail::sock_name(impl_->fd.get());
}

}  // namespace eddy
