// SPDX-License-Identifier: MIT
#pragma once

#include <span>
#include <system_error>

namespace eddy {

class transport;

/// The callback side of asyncio's protocol/transport layer: for code that wants callbacks and
/// no coroutine frame per read (a proxy, an echo server, a custom framing). Derive, override
/// what you need, and hand a factory to `protocol_server` (or an instance to
/// `transport::start`). Every callback runs on the transport's loop thread, never
/// re-entrantly, and may call any `transport` method (including `close`/`abort`).
class protocol {
 public:
  virtual ~protocol() = default;

  /// The connection is set up; `t` stays valid until `connection_lost` returns.
  virtual void connection_made(transport& t) { (void)t; }
  /// Bytes arrived. `data` points into a per-thread buffer and is valid only during the call:
  /// copy what must outlive it (an idle connection holds no read buffer).
  virtual void data_received(std::span<const char> data) = 0;
  /// The peer half-closed. Return true to keep the connection open for writing (then call
  /// `close` when done), false to close it (the default).
  virtual bool eof_received() { return false; }
  /// The connection is gone: closed by either side (`error` empty) or failed (`error` set,
  /// e.g. connection_reset). The transport is destroyed right after this returns.
  virtual void connection_lost(std::error_code error) { (void)error; }
  /// The transport's write buffer rose above its high-water mark: stop producing (e.g.
  /// `pause_reading` on the other side of a proxy).
  virtual void pause_writing() {}
  /// The write buffer drained to its low-water mark again.
  virtual void resume_writing() {}
};

}  // namespace eddy
