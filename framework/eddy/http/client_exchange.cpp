// SPDX-License-Identifier: MIT
// One exchange of `http::client`: a connection from the pool or a new one (DNS, connect,
// proxy tunnel, TLS), the request written (with `Expect: 100-continue`, a file or a chunked
// stream as the body), and the response head read. Redirects, retries and cookies are in
// client.cpp.
#include "eddy/http/detail/client_exchange.hpp"

#include <cerrno>
#include <fstream>
#include <string>
#include <utility>

#include "eddy/core/errors.hpp"
#include "eddy/http/client.hpp"
#include "eddy/http/detail/content_decoder.hpp"
#include "eddy/http/url_codec.hpp"
#include "eddy/net/resolver.hpp"

namespace eddy::http {

namespace detail {
bool closed_by_peer(const std::error_code& ec) noexcept {
  return ec == errc::unexpected_eof || ec == std::errc::connection_reset || ec == std::errc::broken_pipe ||
         ec == std::errc::connection_aborted;
}
}  // namespace detail

namespace {

using steady = std::chrono::steady_clock;

struct head_outcome {
  std::error_code ec;
  bool got_any = false;    // at least one response byte arrived
  bool no_body = false;    // the message ended with the head
  bool continued = false;  // a 100 Continue arrived (when asked to stop there)
  steady::time_point first_byte{};
};

// Reads a response head: `first_deadline` (failing with `first_error`) until the first byte,
// then `read_idle` between reads. Interim 1xx responses are skipped, except that
// `stop_at_continue` returns at a 100 Continue.
task<head_outcome> read_head(detail::client_connection& c, time_point first_deadline, client_errc first_error,
                             std::chrono::milliseconds read_idle, time_point total, bool stop_at_continue) {
  auto& p = c.response_parser;
  head_outcome h;
  for (;;) {
    if (c.start < c.end) {
      if (!h.got_any) h.first_byte = steady::now();
      h.got_any = true;
      auto st = p.feed(c.buf.data(), c.start, c.end);
      c.start += st.consumed;
      if (st.what == parser::event::error) {
        h.ec = errc::protocol_error;
        co_return h;
      }
      if (st.what == parser::event::message_end && p.head().status < 200) {
        if (stop_at_continue && p.head().status == 100) {
          h.continued = true;
          co_return h;
        }
        continue;  // 102, 103: wait for the final response
      }
      if (st.what == parser::event::head || st.what == parser::event::message_end) {
        h.no_body = st.what == parser::event::message_end;
        co_return h;
      }
      continue;
    }
    if (c.eof) {
      auto st = p.finish();
      h.ec = st.what == parser::event::message_end ? std::error_code{} : make_error_code(errc::unexpected_eof);
      if (!h.ec) h.no_body = true;
      co_return h;
    }
    auto r = co_await detail::read_more(c, h.got_any ? detail::deadline_after(read_idle) : first_deadline,
                                        h.got_any ? client_errc::read_idle_timeout : first_error, total);
    if (!r) {
      h.ec = r.error();
      co_return h;
    }
  }
}

// Writes the body after the head: bytes, a file in 64 KiB pieces, or a chunked stream.
task<result<void>> write_body(detail::client_connection& c, const detail::outgoing_body& b) {
  using kind = detail::outgoing_body::kind;
  std::size_t sent = 0;
  if (b.what == kind::bytes) co_return co_await c.write_all(b.bytes, sent);
  if (b.what == kind::file) {
    std::ifstream in(b.file, std::ios::binary);
    if (!in) co_return std::error_code(errno ? errno : EACCES, std::generic_category());
    std::string buf(64 * 1024, '\0');
    std::uint64_t left = b.size.value_or(0);
    while (left > 0) {
      auto want = static_cast<std::streamsize>(std::min<std::uint64_t>(left, buf.size()));
      in.read(buf.data(), want);
      auto got = in.gcount();
      // The file shrank after its size was announced: the request cannot be completed.
      if (got <= 0) co_return errc::unexpected_eof;
      sent = 0;
      auto w = co_await c.write_all(std::string_view(buf.data(), static_cast<std::size_t>(got)), sent);
      if (!w) co_return w;
      left -= static_cast<std::uint64_t>(got);
    }
    co_return result<void>{};
  }
  if (b.what == kind::stream) {
    auto gen = b.stream();
    std::string frame;
    for (;;) {
      std::optional<std::string> piece;
      try {
        piece = co_await gen.next();
      } catch (const cancelled_error&) {
        co_return errc::operation_canceled;  // a timeout or the caller's cancellation
      }
      if (!piece) break;
      if (piece->empty()) continue;  // an empty chunk would end the body
      frame.clear();
      static constexpr char hex[] = "0123456789abcdef";
      char digits[16];
      int n = 0;
      for (std::size_t v = piece->size(); v; v >>= 4) digits[n++] = hex[v & 15];
      while (n) frame += digits[--n];
      frame.append("\r\n").append(*piece).append("\r\n");
      sent = 0;
      auto w = co_await c.write_all(frame, sent);
      if (!w) co_return w;
    }
    sent = 0;
    co_return co_await c.write_all("0\r\n\r\n", sent);
  }
  co_return result<void>{};
}

// Opens a CONNECT tunnel to `target` through the proxy at the other end of `s`.
task<result<void>> connect_tunnel(tcp_stream& s, const url& target, const url& proxy) {
  std::string req = "CONNECT " + target.authority() + " HTTP/1.1\r\nHost: " + target.authority() + "\r\n";
  if (target.default_port()) {
    // CONNECT needs the port even when it is the default one.
    req = "CONNECT " + target.host() + ":" + std::to_string(target.port()) + " HTTP/1.1\r\nHost: " +
          target.host() + ":" + std::to_string(target.port()) + "\r\n";
  }
  if (!proxy.userinfo().empty()) {
    std::string creds, value = "Basic ";
    if (percent_decode(proxy.userinfo(), creds)) {
      append_base64(creds, value);
      req.append("Proxy-Authorization: ").append(value).append("\r\n");
    }
  }
  req.append("\r\n");
  auto w = co_await s.write(std::span<const char>(req.data(), req.size()));
  if (!w) co_return w.error();
  // The answer is a head only; the tunnel's first bytes come from the origin after our TLS
  // hello, so reading byte runs until the blank line cannot swallow any of them.
  std::string head;
  char buf[1024];
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() > 16 * 1024) co_return make_error_code(client_errc::proxy_error);
    auto n = co_await s.read_some(buf);
    if (!n) co_return n.error();
    if (*n == 0) co_return make_error_code(client_errc::proxy_error);
    head.append(buf, *n);
  }
  if (head.size() != head.find("\r\n\r\n") + 4) co_return make_error_code(client_errc::proxy_error);
  // "HTTP/1.1 200 Connection established"
  if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0) co_return make_error_code(client_errc::proxy_error);
  auto sp = head.find(' ');
  if (sp == std::string::npos || sp + 4 > head.size() || head[sp + 1] != '2') co_return make_error_code(client_errc::proxy_error);
  co_return result<void>{};
}

}  // namespace

task<result<connection_pool::lease>> client::open(detail::exchange& x, bool fresh_only) {
  const url& u = *x.target;
  const client_timeouts& t = *x.timeouts;
  const time_point total = x.total;
  const time_point connect_deadline = detail::deadline_after(t.connect);
  // Proxied plain requests share connections to the proxy; tunnels are per origin.
  std::string key = !x.proxy ? u.origin()
                    : u.scheme() == "http" ? "proxy " + x.proxy->origin()
                                           : u.origin() + " via " + x.proxy->origin();
  auto l = co_await detail::bounded(pool_.acquire(std::move(key), fresh_only), connect_deadline,
                                    client_errc::connect_timeout, total);
  if (!l) co_return l;
  if (l->get()) {
    x.trace.reused_connection = true;
    if (options_.trace.on_connection_reused) options_.trace.on_connection_reused(x.trace);
    co_return l;
  }
  const url& hop = x.proxy ? *x.proxy : u;
  auto t0 = steady::now();
  auto addrs = co_await detail::bounded(resolver::resolve(std::string(hop.hostname()), hop.port()),
                                        connect_deadline, client_errc::connect_timeout, total);
  if (!addrs) co_return addrs.error();
  x.trace.timings.dns = detail::elapsed_since(t0);
  t0 = steady::now();
  connect_options co;
  co.timeout = t.connect > std::chrono::milliseconds::zero() ? t.connect : std::chrono::hours(24);
  auto tcp = co_await detail::bounded(tcp_stream::connect(std::move(*addrs), co), connect_deadline,
                                      client_errc::connect_timeout, total);
  if (!tcp) co_return tcp.error() == errc::timed_out ? make_error_code(client_errc::connect_timeout) : tcp.error();
  if (x.proxy && u.scheme() == "https") {
    auto tunnel = co_await detail::bounded(connect_tunnel(*tcp, u, *x.proxy), connect_deadline,
                                           client_errc::connect_timeout, total);
    if (!tunnel) co_return tunnel.error();
  }
  x.trace.timings.connect = detail::elapsed_since(t0);
  if (u.scheme() == "http") {
    l->attach(std::make_unique<detail::client_connection>(std::move(*tcp)));
  } else {
    t0 = steady::now();
    tls_stream<tcp_stream> tls(std::move(*tcp), this->tls(), u.hostname());
    auto hs = co_await detail::bounded(
        [](tls_stream<tcp_stream>& s) -> task<result<bool>> {
          auto r = co_await s.handshake();
          if (!r) co_return r.error();
          co_return true;
        }(tls),
        detail::deadline_after(t.tls_handshake), client_errc::tls_handshake_timeout, total);
    if (!hs) co_return hs.error();
    x.trace.timings.tls = detail::elapsed_since(t0);
    l->attach(std::make_unique<detail::client_connection>(std::move(tls)));
  }
  if (options_.trace.on_connection_created) options_.trace.on_connection_created(x.trace);
  co_return l;
}

task<result<client_response>> client::send_once(detail::exchange& x) {
  using kind = detail::outgoing_body::kind;
  const url& u = *x.target;
  const method m = x.method;
  const client_timeouts& t = *x.timeouts;
  const time_point total = x.total;
  const detail::outgoing_body& body = *x.body;
  x.trace.method = m;
  x.trace.url = &u;
  x.started = steady::now();
  if (options_.trace.on_request_start) options_.trace.on_request_start(x.trace);
  auto finish = [&](result<client_response> r) {
    x.trace.status = r ? r->status() : 0;
    x.trace.error = r ? std::error_code{} : r.error();
    x.trace.timings.total = detail::elapsed_since(x.started);
    if (options_.trace.on_request_end) options_.trace.on_request_end(x.trace);
    return r;
  };

  const bool absolute_form = x.proxy && u.scheme() == "http";
  std::string wire;
  wire.reserve(256 + (body.what == kind::bytes ? body.bytes.size() : 0));
  wire.append(to_string(m)).append(" ").append(absolute_form ? u.str() : u.target()).append(" HTTP/1.1\r\nHost: ");
  wire.append(u.authority()).append("\r\n");
  for (const auto& [name, value] : *x.headers) wire.append(name).append(": ").append(value).append("\r\n");
  if (absolute_form && !x.proxy->userinfo().empty()) {
    std::string creds, value = "Basic ";
    if (percent_decode(x.proxy->userinfo(), creds)) {
      append_base64(creds, value);
      wire.append("Proxy-Authorization: ").append(value).append("\r\n");
    }
  }
  if (body.what == kind::stream) wire.append("Transfer-Encoding: chunked\r\n");
  else if (body.what != kind::none) wire.append("Content-Length: ").append(std::to_string(*body.size)).append("\r\n");
  else if (m == method::post || m == method::put || m == method::patch) wire.append("Content-Length: 0\r\n");
  if (x.expect_continue) wire.append("Expect: 100-continue\r\n");
  wire.append("\r\n");
  // A small byte body goes out with the head in one write.
  const bool inline_body = body.what == kind::bytes && !x.expect_continue;
  if (inline_body) wire.append(body.bytes);

  for (int attempt = 0;; ++attempt) {
    auto l = co_await open(x, attempt > 0);
    if (!l) co_return finish(l.error());
    auto& c = *l->get();
    const bool reused = l->reused();
    const bool may_retry = reused && attempt == 0;
    c.start = c.end = 0;
    c.eof = false;
    std::size_t sent = 0;
    auto w = co_await detail::bounded(c.write_all(wire, sent), time_point::max(), client_errc::total_timeout, total);
    if (!w) {
      // A write error on a reused connection means the server had closed it. Resend only
      // what is safe: an idempotent request, or one of which nothing left.
      if (detail::closed_by_peer(w.error()) && may_retry && (is_idempotent(m) || sent == 0)) continue;
      co_return finish(detail::closed_by_peer(w.error()) && reused ? make_error_code(client_errc::connection_closed)
                                                                   : w.error());
    }
    ++c.requests;
    x.trace.reused_connection = reused;
    auto& p = c.response_parser;
    p.expect_no_body(m == method::head);
    auto wrote = steady::now();
    head_outcome h;
    bool answered_early = false;  // a final response arrived before the body was sent
    if (!inline_body && body.what != kind::none) {
      bool send = true;
      if (x.expect_continue) {
        const time_point ttfb_deadline = detail::deadline_after(t.ttfb);
        const time_point wait = std::min(ttfb_deadline, detail::deadline_after(options_.expect_continue_timeout));
        h = co_await read_head(c, wait, client_errc::ttfb_timeout, t.read_idle, total, true);
        if (h.continued) {
          h = {};
        } else if (!h.ec) {
          answered_early = true;  // 401, 413, 417...: the body is not sent
          send = false;
        } else if (h.ec == client_errc::ttfb_timeout && !h.got_any && wait < ttfb_deadline) {
          h = {};  // no 100 Continue in time: the server may ignore Expect, send anyway
        } else {
          send = false;
        }
      }
      if (send) {
        auto wb = co_await detail::bounded(write_body(c, body), time_point::max(), client_errc::total_timeout, total);
        if (!wb) co_return finish(detail::closed_by_peer(wb.error()) && reused
                                      ? make_error_code(client_errc::connection_closed)
                                      : wb.error());
        wrote = steady::now();
      }
    }
    if (!answered_early && !h.ec) {
      h = co_await read_head(c, detail::deadline_after(t.ttfb), client_errc::ttfb_timeout, t.read_idle, total, false);
    }
    if (h.got_any) x.trace.timings.ttfb = std::chrono::duration_cast<std::chrono::microseconds>(h.first_byte - wrote);
    if (h.ec) {
      if (!h.got_any && detail::closed_by_peer(h.ec) && may_retry && is_idempotent(m)) continue;
      if (!h.got_any && detail::closed_by_peer(h.ec) && reused) co_return finish(make_error_code(client_errc::connection_closed));
      co_return finish(h.ec);
    }
    const message_head& mh = p.head();
    client_response resp;
    const char* base = c.buf.data();
    resp.status_ = mh.status;
    resp.reason_ = std::string(mh.reason.in(base));
    resp.version_minor_ = mh.version_minor;
    for (const auto& f : mh.headers) resp.headers_.add(std::string(f.name.in(base)), std::string(f.value.in(base)));
    resp.url_ = u;
    resp.content_length_ = mh.content_length;
    resp.max_body_bytes_ = options_.max_body_bytes;
    auto& b = *resp.body_;
    // After an early answer the server may still expect the body it declined: the connection
    // is in an unknown state and is not reused.
    b.keep_alive_ = mh.keep_alive && !answered_early;
    b.read_idle_ = t.read_idle;
    b.total_deadline_ = total;
    b.finished_ = h.no_body;
    b.lease_ = std::move(*l);
    if (x.decompress && !h.no_body) {
      if (auto ce = resp.headers_.get("Content-Encoding"))
        if (auto coding = detail::content_decoder::parse(*ce))
          b.decoder_ = std::make_unique<detail::content_decoder>(*coding);
    }
    if (h.no_body) {
      // Nothing more to read: the connection can serve the next request right away.
      b.done_ = true;
      b.lease_.give_back(b.keep_alive_ && c.start == c.end && !c.eof);
    }
    co_return finish(std::move(resp));
  }
}

}  // namespace eddy::http
