// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "eddy/core/result.hpp"
#include "eddy/net/address.hpp"
#include "eddy/net/protocol.hpp"
#include "eddy/net/tcp_stream.hpp"
#include "eddy/net/unique_fd.hpp"
#include "eddy/runtime/event_loop.hpp"
#include "eddy/runtime/io.hpp"

namespace eddy {

/// The write side and flow control of one connection driven by a `protocol` (asyncio's
/// Transport). Reads are pushed to the protocol straight from the reactor's readiness
/// callback: no coroutine is resumed and nothing is allocated per read. The transport owns
/// itself; it is destroyed after `protocol::connection_lost` returns. Loop thread only.
class transport {
 public:
  /// Takes over a connected stream and runs `p` on it: `connection_made` is called at once,
  /// reading starts on the next loop iteration. Returns the transport, which lives until the
  /// connection is lost. Fails (without calling the protocol) if `stream` is closed.
  static result<transport*> start(tcp_stream stream, std::unique_ptr<protocol> p);

  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  /// Sends `data`: as much as the socket takes now, the rest is copied to the write buffer
  /// and sent when the socket is writable. Never blocks; above the high-water mark the
  /// protocol gets `pause_writing`. Ignored after `close`/`abort`.
  void write(std::span<const char> data);
  /// Half-close after the buffered data is sent (FIN); reading continues.
  void write_eof();
  /// Stops delivering `data_received` until `resume_reading` (the kernel buffer then fills
  /// and TCP flow control slows the peer down).
  void pause_reading() noexcept;
  /// Resumes delivering data, including what arrived while paused.
  void resume_reading();
  /// True while reading is paused.
  bool is_reading() const noexcept { return !paused_ && !closing_; }
  /// Sets the marks for `pause_writing` (above `high`) and `resume_writing` (at or below
  /// `low`). Defaults: 64 KiB / 16 KiB. Precondition: `low <= high`.
  void set_write_buffer_limits(std::size_t high, std::size_t low) noexcept;
  /// Bytes waiting in the write buffer.
  std::size_t get_write_buffer_size() const noexcept { return wbuf_.size() - wsent_; }
  /// Closes after the write buffer is flushed; no more data is delivered. `connection_lost`
  /// follows with an empty error. Idempotent.
  void close();
  /// Closes at once with RST, discarding the write buffer; `connection_lost` follows.
  void abort();
  /// True after `close`/`abort` or a failure.
  bool is_closing() const noexcept { return closing_; }
  /// The remote endpoint.
  result<address> peer_address() const noexcept;
  /// The local endpoint.
  result<address> local_address() const noexcept;
  /// The protocol this transport drives.
  protocol& get_protocol() noexcept { return *protocol_; }

  /// Number of transports alive on the calling thread.
  static std::size_t live_count() noexcept;
  /// Calls `close()` on every transport of the calling thread (graceful shutdown).
  static void close_all();
  /// Calls `abort()` on every transport of the calling thread (shutdown deadline passed).
  static void abort_all();

 private:
  struct waiter : detail::io_waiter {
    transport* self;
  };
  transport(event_loop& loop, std::unique_ptr<protocol> p);
  ~transport();
  static bool on_readable(detail::io_waiter* w) noexcept;
  static bool on_writable(detail::io_waiter* w) noexcept;
  void read_ready();
  void write_ready();
  void arm_reader() noexcept;
  void arm_writer() noexcept;
  void fail(std::error_code ec);
  void finish(std::error_code ec);
  void schedule_read();

  event_loop* loop_;
  unique_fd fd_;
  io_registration reg_;
  std::unique_ptr<protocol> protocol_;
  waiter reader_{};
  waiter writer_{};
  std::string wbuf_;
  std::size_t wsent_ = 0;
  std::size_t high_ = 64 * 1024;
  std::size_t low_ = 16 * 1024;
  bool paused_ = false;
  bool closing_ = false;
  bool eof_pending_ = false;  // write_eof requested
  bool eof_received_ = false; // the peer half-closed: nothing more to read
  bool finished_ = false;
  bool writing_paused_ = false;
  callback_handle read_again_;
  transport* prev_ = nullptr;  // the calling thread's list of live transports
  transport* next_ = nullptr;
};

}  // namespace eddy
