// SPDX-License-Identifier: MIT
#include "eddy/net/tcp_stream.hpp"

#include <cerrno>
#include <algorithm>
#include <coroutine>
#include <memory>
#include <optional>
#include <vector>

#include "eddy/net/resolver.hpp"
#include "eddy/runtime/spawn.hpp"
#include "eddy/runtime/timeout.hpp"

namespace eddy {

namespace {
std::error_code not_connected() noexcept { return make_error_code(errc::not_connected); }

task<result<void>> wait_connected(io_registration& reg) {
  co_return co_await wait_ready(reg, io_direction::write);
}

// The Happy Eyeballs race: the connecting task parks here until an attempt finishes, the next
// attempt is due, or the deadline passes.
class race_wait;
struct race {
  race_wait* parked = nullptr;
  void wake() noexcept;
};

class race_wait : cancel_hook {
 public:
  race_wait(std::shared_ptr<race> r, time_point until) noexcept : r_(std::move(r)), until_(until) {}
  race_wait(const race_wait&) = delete;
  ~race_wait() {
    if (node_.queued()) loop_->remove_timer(node_);
    if (r_->parked == this) r_->parked = nullptr;
  }
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    loop_ = &detail::this_loop();
    if (!arm(detail::token_of(h), &on_cancel)) {
      cancelled_ = true;
      return false;
    }
    handle_ = h;
    r_->parked = this;
    node_.when = until_;
    node_.fire = &on_fire;
    loop_->add_timer(node_);
    return true;
  }
  /// False if the connecting task was cancelled.
  bool await_resume() noexcept { return !cancelled_; }

  // Every way out goes through here exactly once.
  void wake() noexcept {
    if (woken_) return;
    woken_ = true;
    disarm();
    if (node_.queued()) loop_->remove_timer(node_);
    if (r_->parked == this) r_->parked = nullptr;
    loop_->schedule(handle_);
  }

 private:
  struct node : detail::timer_node {
    race_wait* self;
  };
  static void on_fire(detail::timer_node* n) noexcept { static_cast<node*>(n)->self->wake(); }
  static void on_cancel(cancel_hook* hook) noexcept {
    auto* self = static_cast<race_wait*>(hook);
    self->cancelled_ = true;
    self->wake();
  }
  std::shared_ptr<race> r_;
  time_point until_;
  event_loop* loop_ = nullptr;
  std::coroutine_handle<> handle_;
  node node_{{}, this};
  bool cancelled_ = false;
  bool woken_ = false;
};

void race::wake() noexcept {
  if (parked) parked->wake();
}

// RFC 8305 section 4: alternate address families, starting with the first one returned.
std::vector<address> interleave(std::vector<address> in) {
  if (in.empty()) return in;
  std::vector<address> first, second;
  for (auto& a : in) (a.family() == in.front().family() ? first : second).push_back(a);
  std::vector<address> out;
  for (std::size_t i = 0; i < first.size() || i < second.size(); ++i) {
    if (i < first.size()) out.push_back(first[i]);
    if (i < second.size()) out.push_back(second[i]);
  }
  return out;
}
}  // namespace

tcp_stream& tcp_stream::operator=(tcp_stream&& o) noexcept {
  if (this != &o) {
    close();
    impl_ = std::move(o.impl_);
  }
  return *this;
}

tcp_stream::~tcp_stream() { close(); }

// Stream operations on a closed stream run against this registration with fd -1: the system
// call fails at once, so nothing ever parks on it.
io_registration& tcp_stream::closed_registration() noexcept {
  thread_local io_registration r;
  return r;
}

result<tcp_stream> tcp_stream::adopt(unique_fd fd, event_loop& loop) {
  if (!fd) return std::make_error_code(std::errc::bad_file_descriptor);
  if (auto r = detail::set_nonblocking(fd.get()); !r) return r.error();
  tcp_stream s;
  s.impl_ = std::make_unique<impl>();
  s.impl_->fd = std::move(fd);
  if (auto r = s.impl_->reg.open(loop, s.impl_->fd.get()); !r) return r.error();
  return s;
}

result<tcp_stream> tcp_stream::adopt(unique_fd fd) { return adopt(std::move(fd), detail::this_loop()); }

task<result<tcp_stream>> tcp_stream::connect(address to, connect_options options) {
  auto fd = detail::open_socket(to.family(), detail::socket_kind::stream);
  if (!fd) co_return fd.error();
  auto s = adopt(unique_fd(*fd));
  if (!s) co_return s.error();
  bool in_progress = false;
  if (auto r = detail::sock_connect(s->native_handle(), to, &in_progress); !r) co_return r.error();
  if (in_progress) {
    auto waited = co_await move_on_after(options.timeout, wait_connected(s->impl_->reg));
    if (!waited) co_return errc::timed_out;
    if (!*waited) co_return waited->error();
    if (auto r = detail::sock_error(s->native_handle()); !r) co_return r.error();
  }
  if (options.no_delay && to.family() != address_family::unix_path) {
    (void)s->set_no_delay(true);
  }
  co_return std::move(*s);
}

task<result<tcp_stream>> tcp_stream::connect(std::string host, std::uint16_t port,
                                             connect_options options) {
  auto& loop = detail::this_loop();
  const time_point deadline = loop.now() + options.timeout;
  auto resolved = co_await move_on_after(options.timeout, resolver::resolve(std::move(host), port));
  if (!resolved) co_return errc::timed_out;
  if (!*resolved) co_return resolved->error();
  options.timeout = std::chrono::ceil<std::chrono::milliseconds>(deadline - loop.now());
  co_return co_await connect(interleave(std::move(**resolved)), options);
}

task<result<tcp_stream>> tcp_stream::connect(std::vector<address> addresses, connect_options options) {
  if (addresses.empty()) co_return errc::host_not_found;
  if (addresses.size() == 1) co_return co_await connect(addresses.front(), options);
  auto& loop = detail::this_loop();
  const time_point deadline = loop.now() + options.timeout;

  auto r = std::make_shared<race>();
  std::vector<join_handle<result<tcp_stream>>> attempts;
  // Whatever way we leave (success, failure, timeout, cancellation), the losers are cancelled.
  struct cancel_losers {
    std::vector<join_handle<result<tcp_stream>>>& attempts;
    ~cancel_losers() {
      for (auto& h : attempts) {
        if (h.valid()) h.cancel();
      }
    }
  } guard{attempts};
  std::error_code last = make_error_code(errc::host_not_found);
  std::size_t next = 0;
  time_point next_start = loop.now();
  for (;;) {
    bool running = false;
    for (auto& h : attempts) {
      if (!h.valid()) continue;
      if (!h.done()) {
        running = true;
        continue;
      }
      result<tcp_stream> outcome = errc::operation_canceled;
      try {
        outcome = std::move(h.result());
      } catch (...) {
        outcome = errc::operation_canceled;
      }
      h = {};
      if (outcome) co_return std::move(*outcome);
      last = outcome.error();
    }
    const time_point now = loop.now();
    if (now >= deadline) co_return errc::timed_out;
    if (next < addresses.size() && (!running || now >= next_start)) {
      connect_options attempt = options;
      attempt.timeout = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
      attempts.push_back(spawn(connect(addresses[next], attempt)));
      attempts.back().add_done_callback([r] { r->wake(); });
      ++next;
      next_start = now + options.attempt_delay;
      continue;
    }
    if (!running) co_return last;
    const time_point until = next < addresses.size() ? std::min(next_start, deadline) : deadline;
    if (!co_await race_wait(r, until)) co_return errc::operation_canceled;
  }
}

task<result<void>> tcp_stream::writev(std::span<const std::span<const char>> bufs) {
  // Copy the small descriptor array so partially written buffers can be trimmed.
  std::vector<std::span<const char>> rest(bufs.begin(), bufs.end());
  std::size_t first = 0;
  while (first < rest.size()) {
    if (rest[first].empty()) {
      ++first;
      continue;
    }
    auto n = co_await writev_some(std::span(rest).subspan(first));
    if (!n) co_return n.error();
    std::size_t left = *n;
    while (left > 0) {
      const std::size_t take = std::min(left, rest[first].size());
      rest[first] = rest[first].subspan(take);
      left -= take;
      if (rest[first].empty()) ++first;
    }
  }
  co_return result<void>{};
}

result<void> tcp_stream::shutdown_write() noexcept {
  if (!impl_) return not_connected();
  return detail::sock_shutdown_write(impl_->fd.get());
}

void tcp_stream::close() noexcept {
  if (!impl_) return;
  impl_->reg.reset();  // deregister before the descriptor closes (and its number is reused)
  impl_.reset();
}

unique_fd tcp_stream::release() noexcept {
  if (!impl_) return {};
  impl_->reg.reset();
  unique_fd fd = std::move(impl_->fd);
  impl_.reset();
  return fd;
}

void tcp_stream::abort() noexcept {
  if (!impl_) return;
  (void)detail::sock_set_linger_zero(impl_->fd.get());
  close();
}

result<address> tcp_stream::peer_address() const noexcept {
  if (!impl_) return not_connected();
  return detail::peer_name(impl_->fd.get());
}

result<address> tcp_stream::local_address() const noexcept {
  if (!impl_) return not_connected();
  return detail::sock_name(impl_->fd.get());
}

result<void> tcp_stream::set_no_delay(bool on) noexcept {
  if (!impl_) return not_connected();
  return detail::sock_set_no_delay(impl_->fd.get(), on);
}

result<void> tcp_stream::set_keep_alive(bool on, std::chrono::seconds idle) noexcept {
  if (!impl_) return not_connected();
  return detail::sock_set_keep_alive(impl_->fd.get(), on, static_cast<int>(idle.count()));
}

}  // namespace eddy
