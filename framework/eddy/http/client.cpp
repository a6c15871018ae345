// SPDX-License-Identifier: MIT
#include "eddy/http/client.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "eddy/http/detail/client_exchange.hpp"
#include "eddy/http/url_codec.hpp"
#include "eddy/runtime/event_loop.hpp"
#include "eddy/runtime/sleep.hpp"

namespace eddy::http {
namespace {

bool origin_changed(const url& a, const url& b) {
  return a.scheme() != b.scheme() || a.host() != b.host() || a.port() != b.port();
}

// Errors worth another attempt under a retry policy: the server may answer next time. The
// total timeout is not (it bounds the retries too), nor are errors in the request itself.
bool retryable(const std::error_code& ec) {
  if (ec == client_errc::total_timeout) return false;
  if (ec == client_errc::connect_timeout || ec == client_errc::tls_handshake_timeout ||
      ec == client_errc::ttfb_timeout || ec == client_errc::read_idle_timeout ||
      ec == client_errc::connection_closed)
    return true;
  return detail::closed_by_peer(ec) || ec == std::errc::connection_refused ||
         ec == std::errc::network_unreachable || ec == std::errc::host_unreachable ||
         ec == std::errc::timed_out || ec == std::errc::resource_unavailable_try_again;
}

// The pause before attempt `attempt + 1` (exponential backoff, or Retry-After seconds).
std::chrono::milliseconds retry_delay(const retry_policy& p, int attempt, const client_response* r) {
  auto d = p.backoff;
  for (int i = 1; i < attempt && d < p.max_backoff; ++i) d *= 2;
  if (p.respect_retry_after && r) {
    if (auto ra = r->headers().get("Retry-After")) {
      std::uint64_t secs = 0;
      bool digits = !ra->empty() && ra->size() <= 9;
      for (char c : *ra) {
        if (c < '0' || c > '9') digits = false;
        else secs = secs * 10 + static_cast<unsigned>(c - '0');
      }
      if (digits) d = std::chrono::seconds(secs);
    }
  }
  return std::min(d, p.max_backoff);
}

}  // namespace

void append_base64(std::string_view in, std::string& out) {
  static constexpr char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(in[k])); };
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += tbl[v & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = byte(i) << 16;
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += '=';
  }
}

client_auth client_auth::basic(std::string_view user, std::string_view password) {
  std::string creds(user);
  creds.append(":").append(password);
  client_auth a{"Basic "};
  append_base64(creds, a.header_value);
  return a;
}

client_auth client_auth::bearer(std::string_view token) { return {"Bearer " + std::string(token)}; }

namespace {
tls_context make_tls(tls_client_options o) {
  o.handshake_timeout = std::chrono::milliseconds::zero();  // the client bounds it per request
  return tls_context::client(o);
}

client_options checked(client_options o) {
  // A bad proxy URL is a configuration error: report it now, not on the first request.
  proxy_settings all = o.proxy;
  all.no_proxy.clear();
  (void)all.proxy_for(url::parse("http://proxy-check.invalid/").value());
  (void)all.proxy_for(url::parse("https://proxy-check.invalid/").value());
  if (!o.auth.header_value.empty() && !is_valid_field_value(o.auth.header_value))
    throw std::invalid_argument("client_options::auth holds CR, LF or NUL");
  return o;
}
}  // namespace

client::client(client_options options)
    : options_(checked(std::move(options))),
      tls_(options_.tls.ca_file.empty() && options_.tls.certificate_chain_file.empty() &&
                   options_.tls.private_key_file.empty()
               ? std::nullopt
               : std::optional<tls_context>(make_tls(options_.tls))),
      pool_({.max_connections = options_.max_connections,
             .max_per_host = options_.max_per_host,
             .idle_timeout = options_.idle_timeout}) {}

client::~client() = default;

const tls_context& client::tls() {
  if (!tls_) tls_.emplace(make_tls(options_.tls));
  return *tls_;
}

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

task<result<client_response>> client::request(method m, std::string text, request_options o) {
  auto parsed = url::parse(text);
  if (!parsed) co_return make_error_code(client_errc::invalid_url);
  url u = std::move(*parsed);
  u.add_query(o.query);
  const client_timeouts t = o.timeouts.value_or(options_.timeouts);
  // The total limit starts now, not at the start of the loop's iteration: work done earlier
  // in the same iteration (building a client loads the CA store, slow under sanitizers)
  // must not use it up. Virtual-time loops keep their own clock.
  time_point total = detail::deadline_after(t.total);
  if (total != time_point::max() && !eddy::detail::this_loop().virtual_time())
    total += std::max(steady_clock::now() - eddy::detail::this_loop().now(), steady_clock::duration::zero());

  http::headers hdrs;
  for (const auto& [name, value] : o.headers) {
    if (!is_valid_field_name(name) || !is_valid_field_value(value)) co_return make_error_code(client_errc::invalid_header);
    if (iequals(name, "Host") || iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
        iequals(name, "Expect"))
      continue;  // computed here; a caller's value could desynchronize the framing
    hdrs.add(name, value);
  }
  detail::outgoing_body body;
  const char* content_type = nullptr;
  if (o.body || o.json || o.form) {
    body.what = detail::outgoing_body::kind::bytes;
    if (o.body) {
      body.bytes = std::move(*o.body);
      content_type = "application/octet-stream";
    } else if (o.json) {
      body.bytes = o.json->dump();
      content_type = "application/json";
    } else {
      body.bytes = encode_query(*o.form);
      content_type = "application/x-www-form-urlencoded";
    }
    body.size = body.bytes.size();
  } else if (o.body_file) {
    // Checked before anything is sent: a missing or unreadable file is the caller's error.
    std::error_code ec;
    auto size = std::filesystem::file_size(*o.body_file, ec);
    if (ec) co_return ec;
    std::ifstream probe(*o.body_file, std::ios::binary);
    if (!probe) co_return std::error_code(errno ? errno : EACCES, std::generic_category());
    body.what = detail::outgoing_body::kind::file;
    body.file = std::move(*o.body_file);
    body.size = size;
    content_type = "application/octet-stream";
  } else if (o.body_stream) {
    body.what = detail::outgoing_body::kind::stream;
    body.stream = std::move(o.body_stream);
    content_type = "application/octet-stream";
  }
  if (content_type && !hdrs.contains("Content-Type")) hdrs.add("Content-Type", content_type);
  if (!options_.user_agent.empty() && !hdrs.contains("User-Agent")) hdrs.add("User-Agent", options_.user_agent);
  if (!hdrs.contains("Authorization")) {
    const client_auth& auth = o.auth ? *o.auth : options_.auth;
    if (!u.userinfo().empty()) {
      std::string creds, value = "Basic ";
      if (!percent_decode(u.userinfo(), creds)) co_return make_error_code(client_errc::invalid_url);
      append_base64(creds, value);
      hdrs.add("Authorization", std::move(value));
    } else if (!auth.header_value.empty()) {
      if (!is_valid_field_value(auth.header_value)) co_return make_error_code(client_errc::invalid_header);
      hdrs.add("Authorization", auth.header_value);
    }
  }
  if (o.decompress.value_or(options_.decompress) && !hdrs.contains("Accept-Encoding"))
    hdrs.add("Accept-Encoding", "gzip, deflate");

  const retry_policy& policy = o.retry ? *o.retry : options_.retry;
  const bool may_retry = is_idempotent(m) || !policy.idempotent_only;
  for (int attempt = 1;; ++attempt) {
    auto r = co_await follow(m, u, hdrs, body, o, t, total, attempt);
    const bool last = attempt >= policy.attempts || !may_retry;
    if (last) co_return r;
    if (r && std::find(policy.statuses.begin(), policy.statuses.end(), r->status()) == policy.statuses.end())
      co_return r;
    if (!r && !retryable(r.error())) co_return r;
    auto delay = retry_delay(policy, attempt, r ? &*r : nullptr);
    // Retries stay within the total limit: when the pause would cross it, the last outcome
    // is the answer.
    if (total != time_point::max() && eddy::detail::this_loop().now() + delay >= total) co_return r;
    if (r) {
      // A small error body is read so that the connection is reused; a big one is dropped.
      if (r->content_length() && *r->content_length() <= 64 * 1024) {
        body_chunk ch;
        while ((ch = co_await r->body().next())) {
        }
      }
      auto dropped = std::move(*r);  // closes the connection unless its body was read
    }
    co_await sleep_for(delay);
  }
}

task<result<client_response>> client::follow(method m, url u, http::headers hdrs, detail::outgoing_body& body,
                                             const request_options& o, const client_timeouts& t,
                                             time_point total, int attempt) {
  const int max_redirects = o.max_redirects.value_or(options_.max_redirects);
  const bool decompress = o.decompress.value_or(options_.decompress);
  detail::outgoing_body no_body;
  detail::outgoing_body* b = &body;
  std::vector<redirect_hop> history;
  for (;;) {
    if (u.scheme() != "http" && u.scheme() != "https") co_return make_error_code(client_errc::unsupported_scheme);
    detail::exchange x;
    http::headers with_cookies;
    x.headers = &hdrs;
    if (options_.cookies) {
      std::string jar = jar_.header_for(u);
      if (!jar.empty()) {
        with_cookies = hdrs;
        if (auto own = hdrs.get("Cookie")) with_cookies.set("Cookie", std::string(*own) + "; " + jar);
        else with_cookies.add("Cookie", std::move(jar));
        x.headers = &with_cookies;
      }
    }
    x.target = &u;
    x.method = m;
    x.body = b;
    x.timeouts = &t;
    x.total = total;
    x.proxy = options_.proxy.proxy_for(u);
    x.decompress = decompress;
    const bool big = b->what == detail::outgoing_body::kind::stream ||
                     (b->size && options_.expect_continue_min_bytes > 0 && *b->size >= options_.expect_continue_min_bytes);
    x.expect_continue = b->what != detail::outgoing_body::kind::none && o.expect_continue.value_or(
                            big && options_.expect_continue_min_bytes > 0);
    x.trace.attempt = attempt;
    auto r = co_await send_once(x);
    if (!r) co_return r.error();
    // Cookies of every response count, redirect hops included (a login that redirects).
    if (options_.cookies)
      for (auto v : r->headers().get_all("Set-Cookie")) jar_.store(u, v);
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
      b = &no_body;
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
