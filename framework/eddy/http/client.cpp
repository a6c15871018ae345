// SPDX-License-Identifier: MIT
#include "eddy/http/client.hpp"

#include <string>
#include <utility>

#include "eddy/http/url_codec.hpp"
#include "eddy/runtime/event_loop.hpp"

namespace eddy::http {
namespace {

class client_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "eddy.http.client"; }
  std::string message(int v) const override {
    switch (static_cast<client_errc>(v)) {
      case client_errc::invalid_url: return "invalid URL";
      case client_errc::unsupported_scheme: return "unsupported URL scheme (http and https only)";
      case client_errc::connect_timeout: return "connect timeout";
      case client_errc::tls_handshake_timeout: return "TLS handshake timeout";
      case client_errc::ttfb_timeout: return "timeout waiting for the first response byte";
      case client_errc::read_idle_timeout: return "read idle timeout";
      case client_errc::total_timeout: return "total request timeout";
      case client_errc::too_many_redirects: return "too many redirects";
      case client_errc::body_too_large: return "response body larger than max_body_bytes";
      case client_errc::invalid_json: return "response body is not valid JSON";
      case client_errc::client_error_status: return "HTTP client error status (4xx)";
      case client_errc::server_error_status: return "HTTP server error status (5xx)";
      case client_errc::invalid_header: return "invalid request header";
      case client_errc::connection_closed: return "connection closed by the server before a response";
    }
    return "unknown HTTP client error";
  }
  std::error_condition default_error_condition(int v) const noexcept override {
    switch (static_cast<client_errc>(v)) {
      case client_errc::connect_timeout:
      case client_errc::tls_handshake_timeout:
      case client_errc::ttfb_timeout:
      case client_errc::read_idle_timeout:
      case client_errc::total_timeout:
        return std::errc::timed_out;
      default:
        return {v, *this};
    }
  }
};

constexpr std::size_t max_head_buffer = 1024 * 1024;

struct head_outcome {
  std::error_code ec;
  bool got_any = false;  // at least one response byte arrived
  bool no_body = false;  // the message ended with the head
};

// Reads more bytes into the connection's buffer, growing it while a head is incomplete.
task<result<void>> read_more(detail::client_connection& c, time_point phase, client_errc err,
                             time_point total) {
  if (c.end == c.buf.size()) {
    if (c.buf.size() >= max_head_buffer) co_return errc::limit_exceeded;
    c.buf.resize(c.buf.size() * 2);
  }
  auto n = co_await detail::bounded(c.read_some(std::span<char>(c.buf.data() + c.end, c.buf.size() - c.end)),
                                    phase, err, total);
  if (!n) co_return n.error();
  if (*n == 0) c.eof = true;
  c.end += *n;
  co_return result<void>{};
}

bool closed_by_peer(const std::error_code& ec) {
  return ec == errc::unexpected_eof || ec == std::errc::connection_reset ||
         ec == std::errc::broken_pipe || ec == std::errc::connection_aborted;
}

bool origin_changed(const url& a, const url& b) {
  return a.scheme() != b.scheme() || a.host() != b.host() || a.port() != b.port();
}

void base64(std::string_view in, std::string& out) {
  static constexpr char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += tbl[v >> 18]; out += tbl[(v >> 12) & 63]; out += tbl[(v >> 6) & 63]; out += tbl[v & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += tbl[v >> 18]; out += tbl[(v >> 12) & 63]; out += "==";
  } else if (i + 2 == in.size()) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += tbl[v >> 18]; out += tbl[(v >> 12) & 63]; out += tbl[(v >> 6) & 63]; out += '=';
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// client_response

result<void> client_response::raise_for_status() const noexcept {
  if (status_ >= 500) return make_error_code(client_errc::server_error_status);
  if (status_ >= 400) return make_error_code(client_errc::client_error_status);
  return {};
}

task<body_chunk> client_response::body_reader::next() {
  if (done_ || error_) co_return body_chunk{{}, error_};
  auto fail = [this](std::error_code ec) {
    error_ = ec;
    lease_ = {};  // mid-body: the connection cannot be reused
    return body_chunk{{}, ec};
  };
  for (;;) {
    auto* c = lease_.get();
    if (!c) co_return fail(errc::not_connected);
    if (next_piece_ < pieces_.size()) {
      auto piece = pieces_[next_piece_++];
      if (piece.length == 0) continue;  // an empty chunk would read as the end of the body
      received_ += piece.length;
      co_return body_chunk{piece.in(c->buf.data()), {}};
    }
    if (finished_) {
      done_ = true;
      // Unsolicited bytes after the body make the connection unusable for the next request.
      lease_.give_back(keep_alive_ && c->start == c->end && !c->eof);
      co_return body_chunk{};
    }
    pieces_.clear();
    next_piece_ = 0;
    if (c->start < c->end) {
      auto st = c->response_parser.feed(c->buf.data(), c->start, c->end);
      c->start += st.consumed;
      if (st.what == parser::event::error) co_return fail(errc::protocol_error);
      auto got = c->response_parser.body_pieces();
      pieces_.assign(got.begin(), got.end());
      if (st.what == parser::event::message_end) finished_ = true;
      continue;
    }
    if (c->eof) {
      auto st = c->response_parser.finish();
      if (st.what != parser::event::message_end) co_return fail(errc::unexpected_eof);
      keep_alive_ = false;
      finished_ = true;
      continue;
    }
    // Every byte before `end` was consumed and its pieces handed out: start over at 0.
    c->start = c->end = 0;
    auto r = co_await read_more(*c, detail::deadline_after(read_idle_), client_errc::read_idle_timeout,
                                total_deadline_);
    if (!r) {
      // TLS peers that close without close_notify end close-delimited bodies that way.
      if (r.error() == errc::unexpected_eof && !c->response_parser.head().content_length &&
          !c->response_parser.head().chunked) {
        c->eof = true;
        continue;
      }
      co_return fail(r.error());
    }
  }
}

task<result<std::string>> client_response::text() {
  std::string out;
  if (body_->done_ && !body_->error_) co_return out;  // HEAD, 204, 304, or already read
  if (content_length_ && *content_length_ > max_body_bytes_) {
    body_->error_ = make_error_code(client_errc::body_too_large);
    body_->lease_ = {};
    co_return make_error_code(client_errc::body_too_large);
  }
  if (content_length_) out.reserve(static_cast<std::size_t>(*content_length_));
  body_chunk ch;
  while ((ch = co_await body_->next())) {
    if (out.size() + ch.bytes.size() > max_body_bytes_) {
      body_->error_ = make_error_code(client_errc::body_too_large);
      body_->lease_ = {};
      co_return make_error_code(client_errc::body_too_large);
    }
    out.append(ch.bytes);
  }
  if (ch.error) co_return ch.error;
  co_return out;
}

task<result<std::vector<char>>> client_response::bytes() {
  auto t = co_await text();
  if (!t) co_return t.error();
  co_return std::vector<char>(t->begin(), t->end());
}

task<result<json>> client_response::json() {
  auto t = co_await text();
  if (!t) co_return t.error();
  try {
    co_return http::json::parse(*t);
  } catch (const json_parse_error&) {
    co_return make_error_code(client_errc::invalid_json);
  }
}

const std::error_category& client_category() noexcept {
  static const client_category_impl cat;
  return cat;
}

bool is_timeout(const std::error_code& ec) noexcept {
  return ec == std::errc::timed_out || ec == make_error_code(errc::timed_out);
}

}  // namespace eddy::http

namespace eddy::http {

namespace {
tls_context make_tls(tls_client_options o) {
  o.handshake_timeout = std::chrono::milliseconds::zero();  // the client bounds it per request
  return tls_context::client(o);
}
}  // namespace

client::client(client_options options)
    : options_(std::move(options)),
      tls_(make_tls(options_.tls)),
      pool_({.max_connections = options_.max_connections,
             .max_per_host = options_.max_per_host,
             .idle_timeout = options_.idle_timeout}) {}

client::~client() = default;

task<result<client_response>> client::get(std::string_view u, request_options o) {
  return request(method::get, std::string(u), std::move(o));
}
task<result<client_response>> client::head(std::string_view u, request_options o) {
  return request(method::head, std::string(u), std::move(o));
}
task<result<client_response>> client::post(std::string_view u, request_options o) {
  return request(method::post, std::string(u), std::move(o));
}
task<result<client_response>> client::put(std::string_view u, request_options o) {
  return request(method::put, std::string(u), std::move(o));
}
task<result<client_response>> client::patch(std::string_view u, request_options o) {
  return request(method::patch, std::string(u), std::move(o));
}
task<result<client_response>> client::del(std::string_view u, request_options o) {
  return request(method::del, std::string(u), std::move(o));
}

task<result<connection_pool::lease>> client::open(const url& u, bool fresh_only,
                                                  const client_timeouts& t, time_point total) {
  const time_point connect_deadline = detail::deadline_after(t.connect);
  auto l = co_await detail::bounded(pool_.acquire(u.origin(), fresh_only), connect_deadline,
                                    client_errc::connect_timeout, total);
  if (!l || l->get()) co_return l;
  connect_options co;
  co.timeout = t.connect > std::chrono::milliseconds::zero() ? t.connect : std::chrono::hours(24);
  auto tcp = co_await detail::bounded(tcp_stream::connect(std::string(u.hostname()), u.port(), co),
                                      connect_deadline, client_errc::connect_timeout, total);
  if (!tcp) co_return tcp.error() == errc::timed_out ? make_error_code(client_errc::connect_timeout)
                                                     : tcp.error();
  if (u.scheme() == "http") {
    l->attach(std::make_unique<detail::client_connection>(std::move(*tcp)));
    co_return l;
  }
  tls_stream<tcp_stream> tls(std::move(*tcp), tls_, u.hostname());
  auto hs = co_await detail::bounded(
      [](tls_stream<tcp_stream>& s) -> task<result<bool>> {
        auto r = co_await s.handshake();
        if (!r) co_return r.error();
        co_return true;
      }(tls),
      detail::deadline_after(t.tls_handshake), client_errc::tls_handshake_timeout, total);
  if (!hs) co_return hs.error();
  l->attach(std::make_unique<detail::client_connection>(std::move(tls)));
  co_return l;
}

task<result<client_response>> client::send_once(const url& u, method m, const http::headers& hdrs,
                                                const std::string* body, const client_timeouts& t,
                                                time_point total) {
  std::string wire;
  wire.reserve(256 + (body ? body->size() : 0));
  wire.append(to_string(m)).append(" ").append(u.target()).append(" HTTP/1.1\r\nHost: ");
  wire.append(u.authority()).append("\r\n");
  for (const auto& [name, value] : hdrs) wire.append(name).append(": ").append(value).append("\r\n");
  if (body) {
    wire.append("Content-Length: ").append(std::to_string(body->size())).append("\r\n\r\n");
    wire.append(*body);
  } else {
    if (m == method::post || m == method::put || m == method::patch) wire.append("Content-Length: 0\r\n");
    wire.append("\r\n");
  }
  for (int attempt = 0;; ++attempt) {
    auto l = co_await open(u, attempt > 0, t, total);
    if (!l) co_return l.error();
    auto& c = *l->get();
    const bool reused = l->reused();
    const bool may_retry = reused && attempt == 0;
    c.start = c.end = 0;
    c.eof = false;
    std::size_t sent = 0;
    auto w = co_await detail::bounded(c.write_all(wire, sent), time_point::max(),
                                      client_errc::total_timeout, total);
    if (!w) {
      // A write error on a reused connection means the server had closed it. Resend only
      // what is safe: an idempotent request, or one of which nothing left.
      if (closed_by_peer(w.error()) && may_retry && (is_idempotent(m) || sent == 0)) continue;
      co_return closed_by_peer(w.error()) && reused ? make_error_code(client_errc::connection_closed)
                                                    : w.error();
    }
    ++c.requests;
    // The head: ttfb until the first byte, then read_idle between reads.
    auto& p = c.response_parser;
    p.expect_no_body(m == method::head);
    const time_point ttfb_deadline = detail::deadline_after(t.ttfb);
    head_outcome h;
    for (;;) {
      if (c.start < c.end) {
        h.got_any = true;
        auto st = p.feed(c.buf.data(), c.start, c.end);
        c.start += st.consumed;
        if (st.what == parser::event::error) {
          h.ec = errc::protocol_error;
          break;
        }
        if (st.what == parser::event::message_end && p.head().status < 200) continue;  // 1xx
        if (st.what == parser::event::head || st.what == parser::event::message_end) {
          h.no_body = st.what == parser::event::message_end;
          break;
        }
        continue;
      }
      if (c.eof) {
        auto st = p.finish();
        h.ec = st.what == parser::event::message_end ? std::error_code{} : make_error_code(errc::unexpected_eof);
        if (!h.ec) h.no_body = true;
        break;
      }
      auto r = co_await read_more(c, h.got_any ? detail::deadline_after(t.read_idle) : ttfb_deadline,
                                  h.got_any ? client_errc::read_idle_timeout : client_errc::ttfb_timeout,
                                  total);
      if (!r) {
        h.ec = r.error();
        break;
      }
    }
    if (h.ec) {
      if (!h.got_any && closed_by_peer(h.ec) && may_retry && is_idempotent(m)) continue;
      if (!h.got_any && closed_by_peer(h.ec) && reused) co_return make_error_code(client_errc::connection_closed);
      co_return h.ec;
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
    b.keep_alive_ = mh.keep_alive;
    b.read_idle_ = t.read_idle;
    b.total_deadline_ = total;
    b.finished_ = h.no_body;
    b.lease_ = std::move(*l);
    if (h.no_body) {
      // Nothing more to read: the connection can serve the next request right away.
      b.done_ = true;
      b.lease_.give_back(b.keep_alive_ && c.start == c.end && !c.eof);
    }
    co_return resp;
  }
}

task<result<client_response>> client::request(method m, std::string text, request_options o) {
  auto parsed = url::parse(text);
  if (!parsed) co_return make_error_code(client_errc::invalid_url);
  url u = std::move(*parsed);
  u.add_query(o.query);
  const client_timeouts t = o.timeouts.value_or(options_.timeouts);
  const time_point total = detail::deadline_after(t.total);
  const int max_redirects = o.max_redirects.value_or(options_.max_redirects);

  http::headers hdrs;
  for (const auto& [name, value] : o.headers) {
    if (!is_valid_field_name(name) || !is_valid_field_value(value)) co_return make_error_code(client_errc::invalid_header);
    if (iequals(name, "Host") || iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding"))
      continue;  // computed here; a caller's value could desynchronize the framing
    hdrs.add(name, value);
  }
  std::optional<std::string> body;
  const char* content_type = nullptr;
  if (o.body) {
    body = std::move(*o.body);
    content_type = "application/octet-stream";
  } else if (o.json) {
    body = o.json->dump();
    content_type = "application/json";
  } else if (o.form) {
    body = encode_query(*o.form);
    content_type = "application/x-www-form-urlencoded";
  }
  if (content_type && !hdrs.contains("Content-Type")) hdrs.add("Content-Type", content_type);
  if (!options_.user_agent.empty() && !hdrs.contains("User-Agent")) hdrs.add("User-Agent", options_.user_agent);
  if (!u.userinfo().empty() && !hdrs.contains("Authorization")) {
    std::string creds, auth = "Basic ";
    if (!percent_decode(u.userinfo(), creds)) co_return make_error_code(client_errc::invalid_url);
    base64(creds, auth);
    hdrs.add("Authorization", std::move(auth));
  }

  std::vector<redirect_hop> history;
  for (;;) {
    if (u.scheme() != "http" && u.scheme() != "https") co_return make_error_code(client_errc::unsupported_scheme);
    auto r = co_await send_once(u, m, hdrs, body ? &*body : nullptr, t, total);
    if (!r) co_return r.error();
    const int s = r->status();
    auto location = r->headers().get("Location");
    const bool redirect = (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) && location;
    if (!redirect || max_redirects <= 0) {
      r->history_ = std::move(history);
      co_return std::move(*r);
    }
    if (static_cast<int>(history.size()) >= max_redirects) co_return make_error_code(client_errc::too_many_redirects);
    auto next = u.resolve(*location);
    if (!next) co_return make_error_code(client_errc::invalid_url);
    // Read a small redirect body so that the connection is reused; a big one is dropped.
    if (!r->content_length() || *r->content_length() <= 64 * 1024) {
      body_chunk ch;
      while ((ch = co_await r->body().next())) {
      }
    }
    if (s == 303 ? m != method::head : ((s == 301 || s == 302) && m == method::post)) {
      m = method::get;
      body.reset();
      hdrs.remove("Content-Type");
    }
    if (origin_changed(u, *next)) {
      hdrs.remove("Authorization");
      hdrs.remove("Cookie");
    }
    history.push_back({u, s, r->headers()});
    u = std::move(*next);
  }
}

}  // namespace eddy::http
