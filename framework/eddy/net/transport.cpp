// SPDX-License-Identifier: MIT
#include "eddy/net/transport.hpp"

#include <memory>

#include "eddy/net/detail/socket_ops.hpp"

namespace eddy {

namespace {
struct registry {
  transport* head = nullptr;
  std::size_t count = 0;
};
registry& this_registry() noexcept {
  thread_local registry r;
  return r;
}
// One read buffer per thread, shared by every transport: `data_received` consumes the bytes
// before the next read, so idle connections hold no buffer at all.
std::span<char> read_buffer() noexcept {
  thread_local std::unique_ptr<char[]> buf(new char[64 * 1024]);
  return {buf.get(), 64 * 1024};
}
// Reads per readiness report before yielding to other connections (fairness); the rest is
// picked up on the next loop iteration.
constexpr int reads_per_wakeup = 16;
}  // namespace

result<transport*> transport::start(tcp_stream stream, std::unique_ptr<protocol> p) {
  if (!stream.is_open()) return errc::not_connected;
  auto& loop = detail::this_loop();
  auto* t = new transport(loop, std::move(p));
  t->fd_ = stream.release();
  if (auto r = t->reg_.open(loop, t->fd_.get()); !r) {
    delete t;
    return r.error();
  }
  t->arm_reader();
  t->protocol_->connection_made(*t);
  // Data that arrived before registration produced no edge: look once.
  if (!t->finished_) t->schedule_read();
  return t;
}

transport::transport(event_loop& loop, std::unique_ptr<protocol> p)
    : loop_(&loop), protocol_(std::move(p)) {
  reader_.self = this;
  reader_.on_ready = &on_readable;
  writer_.self = this;
  writer_.on_ready = &on_writable;
  auto& r = this_registry();
  next_ = r.head;
  if (next_) next_->prev_ = this;
  r.head = this;
  ++r.count;
}

transport::~transport() {
  auto& r = this_registry();
  if (prev_) prev_->next_ = next_; else r.head = next_;
  if (next_) next_->prev_ = prev_;
  --r.count;
}

std::size_t transport::live_count() noexcept { return this_registry().count; }

void transport::close_all() {
  for (transport* t = this_registry().head; t;) {
    transport* next = t->next_;  // close may finish t, but deletion is deferred
    t->close();
    t = next;
  }
}

void transport::abort_all() {
  for (transport* t = this_registry().head; t;) {
    transport* next = t->next_;
    t->abort();
    t = next;
  }
}

bool transport::on_readable(detail::io_waiter* w) noexcept {
  auto* self = static_cast<waiter*>(w)->self;
  try {
    self->read_ready();
  } catch (...) {
    self->loop_->report(std::current_exception(), "protocol callback");
    self->abort();
  }
  return false;  // stay parked: the transport decides when to stop reading
}

bool transport::on_writable(detail::io_waiter* w) noexcept {
  auto* self = static_cast<waiter*>(w)->self;
  try {
    self->write_ready();
  } catch (...) {
    self->loop_->report(std::current_exception(), "protocol callback");
    self->abort();
  }
  return false;
}

void transport::arm_reader() noexcept {
  if (reg_.is_open()) reg_.state().reader = &reader_;
}

void transport::arm_writer() noexcept {
  if (reg_.is_open()) reg_.state().writer = &writer_;
}

void transport::schedule_read() {
  read_again_ = loop_->call_soon([this] {
    try {
      read_ready();
    } catch (...) {
      loop_->report(std::current_exception(), "protocol callback");
      abort();
    }
  });
}

void transport::read_ready() {
  for (int i = 0; i < reads_per_wakeup; ++i) {
    if (paused_ || closing_ || finished_) return;
    auto buf = read_buffer();
    auto n = detail::sock_recv(fd_.get(), buf);
    if (!n) {
      if (detail::is_would_block(n)) return;
      fail(n.error());
      return;
    }
    if (*n == 0) {
      if (reg_.is_open()) reg_.state().reader = nullptr;
      paused_ = true;  // nothing more to read
      eof_received_ = true;
      if (!protocol_->eof_received()) close();
      return;
    }
    protocol_->data_received(std::span<const char>(buf.data(), *n));
    // A short read drained the socket: the next readiness report says when there is more
    // (edge-triggered), so asking again now would only cost an EAGAIN. Not after the peer
    // closed its side, whose end of stream must still be read.
    if (*n < buf.size() && reg_.is_open() && !reg_.state().hangup) return;
  }
  if (!paused_ && !closing_ && !finished_) schedule_read();
}

void transport::write(std::span<const char> data) {
  if (closing_ || finished_ || eof_pending_ || data.empty()) return;
  if (get_write_buffer_size() == 0) {
    auto n = detail::sock_send(fd_.get(), data);
    if (!n) {
      if (!detail::is_would_block(n)) {
        fail(n.error());
        return;
      }
    } else {
      data = data.subspan(*n);
    }
    if (data.empty()) return;
  }
  wbuf_.append(data.data(), data.size());
  arm_writer();
  if (!writing_paused_ && get_write_buffer_size() > high_) {
    writing_paused_ = true;
    protocol_->pause_writing();
  }
}

void transport::write_ready() {
  if (finished_) return;
  while (get_write_buffer_size() > 0) {
    auto n = detail::sock_send(fd_.get(), std::span<const char>(wbuf_.data() + wsent_, get_write_buffer_size()));
    if (!n) {
      if (detail::is_would_block(n)) break;
      fail(n.error());
      return;
    }
    wsent_ += *n;
  }
  if (wsent_ == wbuf_.size()) {
    wbuf_.clear();
    wsent_ = 0;
    if (wbuf_.capacity() > 4 * high_) std::string().swap(wbuf_);
    if (reg_.is_open()) reg_.state().writer = nullptr;
  } else if (wsent_ > wbuf_.size() / 2) {
    wbuf_.erase(0, wsent_);
    wsent_ = 0;
  }
  if (writing_paused_ && get_write_buffer_size() <= low_) {
    writing_paused_ = false;
    protocol_->resume_writing();
  }
  if (get_write_buffer_size() == 0) {
    if (closing_) {
      finish({});
    } else if (eof_pending_) {
      (void)detail::sock_shutdown_write(fd_.get());
    }
  }
}

void transport::write_eof() {
  if (closing_ || finished_ || eof_pending_) return;
  eof_pending_ = true;
  if (get_write_buffer_size() == 0) (void)detail::sock_shutdown_write(fd_.get());
}

void transport::pause_reading() noexcept {
  if (paused_ || closing_) return;
  paused_ = true;
  if (reg_.is_open()) reg_.state().reader = nullptr;
  read_again_.cancel();
}

void transport::resume_reading() {
  if (!paused_ || closing_ || finished_ || eof_received_) return;
  paused_ = false;
  arm_reader();
  // Readiness reported while paused was dropped (edge-triggered): look again.
  schedule_read();
}

void transport::set_write_buffer_limits(std::size_t high, std::size_t low) noexcept {
  high_ = high;
  low_ = low;
}

void transport::close() {
  if (closing_ || finished_) return;
  closing_ = true;
  if (reg_.is_open()) reg_.state().reader = nullptr;
  read_again_.cancel();
  if (get_write_buffer_size() == 0) finish({});
}

void transport::abort() {
  if (finished_) return;
  (void)detail::sock_set_linger_zero(fd_.get());
  wbuf_.clear();
  wsent_ = 0;
  finish({});
}

void transport::fail(std::error_code ec) { finish(ec); }

void transport::finish(std::error_code ec) {
  if (finished_) return;
  finished_ = true;
  closing_ = true;
  read_again_.cancel();
  reg_.reset();  // deregister before the descriptor is closed
  fd_.reset();
  // connection_lost runs on a later iteration (asyncio does the same), so a protocol that
  // closes from inside a callback never sees its transport vanish under it.
  loop_->call_soon([this, ec] {
    struct deleter {
      transport* t;
      ~deleter() { delete t; }
    } self{this};
    protocol_->connection_lost(ec);
  });
}

result<address> transport::peer_address() const noexcept {
  if (finished_) return errc::not_connected;
  return detail::peer_name(fd_.get());
}

result<address> transport::local_address() const noexcept {
  if (finished_) return errc::not_connected;
  return detail::sock_name(fd_.get());
}

}  // namespace eddy
