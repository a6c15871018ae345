// SPDX-License-Identifier: MIT
#include "eddy/http/detail/wire.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <ctime>

#include "eddy/http/detail/byte_scan.hpp"
#include "eddy/http/headers.hpp"
#include "eddy/http/status.hpp"
#include "eddy/http/url_codec.hpp"

namespace eddy::http::detail {
namespace {

// Assembles a response head in a stack buffer and appends it to the output in large pieces:
// a head is a dozen short fields, and one string append each (a capacity check and a call to
// memcpy every time) cost more than the copying.
class head_writer {
 public:
  explicit head_writer(std::string& out) noexcept : out_(out) {}
  head_writer(const head_writer&) = delete;
  head_writer& operator=(const head_writer&) = delete;

  void put(std::string_view v) {
    if (v.empty()) return;  // maybe without a data pointer: not for memcpy
    if (v.size() > room()) {
      finish();
      if (v.size() > sizeof buf_) {
        out_.append(v);
        return;
      }
    }
    std::memcpy(p_, v.data(), v.size());
    p_ += v.size();
  }
  /// "name: value" and CRLF.
  void field(std::string_view name, std::string_view value) {
    put(name);
    put(": ");
    put(value);
    put("\r\n");
  }
  void number(std::size_t n) {
    if (room() < 24) finish();
    p_ = std::to_chars(p_, p_ + room(), n).ptr;
  }
  /// Appends what is buffered to the output.
  void finish() {
    out_.append(buf_, static_cast<std::size_t>(p_ - buf_));
    p_ = buf_;
  }

 private:
  std::size_t room() const noexcept { return static_cast<std::size_t>(buf_ + sizeof buf_ - p_); }

  std::string& out_;
  char buf_[512];
  char* p_ = buf_;
};

// "HTTP/1.1 200 OK\r\n": the status lines of 100 to 599, formatted once per process.
std::string_view status_line_text(int status) {
  static const auto lines = [] {
    std::array<std::string, 500> t;
    for (int code = 100; code < 600; ++code) {
      std::string& line = t[static_cast<std::size_t>(code - 100)];
      line = "HTTP/1.1 " + std::to_string(code) + " ";
      line += reason_phrase(code);
      line += "\r\n";
    }
    return t;
  }();
  return lines[static_cast<std::size_t>(status - 100)];
}

void status_line(head_writer& w, int status) {
  if (status >= 100 && status < 600) {
    w.put(status_line_text(status));
    return;
  }
  w.put("HTTP/1.1 ");
  w.number(static_cast<std::size_t>(status));
  w.put(" \r\n");
}

// Counts the reformattings of this thread's `server_and_date` block: heads cached with it
// are current while it has not changed.
thread_local std::uint64_t server_and_date_generation = 0;

// "Server: name\r\nDate: ...\r\n", formatted at most once per second per thread (and again
// when the name changes); empty if the name is too long to cache.
std::string_view server_and_date(std::string_view server_name) noexcept {
  thread_local std::time_t cached_second = 0;
  thread_local char name[96];
  thread_local std::size_t name_size = static_cast<std::size_t>(-1);
  thread_local char text[160];
  thread_local std::size_t size = 0;
  if (server_name.size() > sizeof name) return {};
  const std::time_t now = std::time(nullptr);
  // (An empty view may have no data pointer at all: memcmp and memcpy must not see it.)
  if (now != cached_second || server_name.size() != name_size ||
      !equal_bytes(name, server_name.data(), server_name.size())) {
    if (!server_name.empty()) std::memcpy(name, server_name.data(), server_name.size());
    name_size = server_name.size();
    cached_second = now;
    ++server_and_date_generation;
    char* p = text;
    auto put = [&p](std::string_view v) {
      std::memcpy(p, v.data(), v.size());
      p += v.size();
    };
    if (!server_name.empty()) {
      put("Server: ");
      put(server_name);
      put("\r\n");
    }
    put("Date: ");
    put(http_date());
    put("\r\n");
    size = static_cast<std::size_t>(p - text);
  }
  return {text, size};
}

void common_fields(head_writer& w, bool keep_alive, bool http10, std::string_view server_name) {
  if (const std::string_view block = server_and_date(server_name); !block.empty()) {
    w.put(block);
  } else {
    w.field("Server", server_name);
    w.field("Date", http_date());
  }
  if (!keep_alive) w.put("Connection: close\r\n");
  // HTTP/1.0 closes by default: a persistent connection must be announced (RFC 9112 9.3).
  else if (http10) w.put("Connection: keep-alive\r\n");
}

// The head of a response up to its Content-Length value, for the common shape: a status of
// 100 to 599 with a body, a literal content type, no other fields. A few per thread,
// rebuilt when the Server/Date block changes (once a second), so that such a head is one
// copy instead of a dozen. Each also keeps the whole head for the last body size it was
// used with (most routes answer with bodies of one size), length and blank line included.
struct head_prefix {
  std::uint64_t generation = 0;  // of server_and_date; 0: empty
  const char* type = nullptr;
  std::size_t type_size = 0;
  unsigned shape = 0;  // status, keep-alive, HTTP/1.0: see shape_of
  std::size_t size = 0;
  std::size_t length_for = static_cast<std::size_t>(-1);  // the body size `text` ends with
  std::size_t full_size = 0;                               // the head with that length
  char text[352];
};
constexpr std::size_t length_room = 24 + 4;  // digits, CRLF CRLF

constexpr unsigned shape_of(int status, bool keep_alive, bool http10) noexcept {
  return static_cast<unsigned>(status) | (keep_alive ? 1u << 10 : 0) | (http10 ? 1u << 11 : 0);
}

head_prefix* cached_prefix(const response& r, std::string_view type, bool keep_alive, bool http10,
                           std::string_view server_name) noexcept {
  thread_local head_prefix cache[8];
  const std::string_view block = server_and_date(server_name);
  if (block.empty()) return nullptr;
  const unsigned shape = shape_of(r.status(), keep_alive, http10);
  // (shape >> 9 brings the keep-alive and HTTP/1.0 bits into the slot: a server answering
  // both kinds of client must not rebuild the two heads in turn.)
  head_prefix& c = cache[(shape ^ (shape >> 9) ^ (reinterpret_cast<std::uintptr_t>(type.data()) >> 3)) % 8];
  if (c.generation == server_and_date_generation && c.shape == shape && c.type == type.data() &&
      c.type_size == type.size()) {
    return &c;
  }
  const std::string_view line = status_line_text(r.status());
  constexpr std::string_view close = "Connection: close\r\n";
  constexpr std::string_view keep = "Connection: keep-alive\r\n";
  constexpr std::string_view type_name = "Content-Type: ";
  constexpr std::string_view length_name = "\r\nContent-Length: ";
  const std::string_view connection = !keep_alive ? close : http10 ? keep : std::string_view{};
  const std::size_t size = line.size() + block.size() + connection.size() + type_name.size() + type.size() + length_name.size();
  if (size + length_room > sizeof c.text) return nullptr;
  char* p = c.text;
  for (std::string_view piece : {line, block, connection, type_name, type, length_name}) {
    if (piece.empty()) continue;  // `connection` is often an empty view, without data
    std::memcpy(p, piece.data(), piece.size());
    p += piece.size();
  }
  c.size = size;
  c.length_for = static_cast<std::size_t>(-1);
  c.generation = server_and_date_generation;
  c.type = type.data();
  c.type_size = type.size();
  c.shape = shape;
  return &c;
}

}  // namespace

void write_response(std::string& out, const response& r, bool with_body, bool keep_alive,
                    std::string_view server_name, bool http10) {
  const std::string_view body = r.body();
  if (r.owned_type_.empty() && !r.static_type_.empty() && r.headers().empty() && r.status() >= 100 &&
      r.status() < 600 && !status_has_no_body(r.status())) {
    if (head_prefix* prefix = cached_prefix(r, r.static_type_, keep_alive, http10, server_name)) {
      if (prefix->length_for != body.size()) {
        char* end = std::to_chars(prefix->text + prefix->size, prefix->text + prefix->size + 24, body.size()).ptr;
        std::memcpy(end, "\r\n\r\n", 4);
        prefix->full_size = static_cast<std::size_t>(end + 4 - prefix->text);
        prefix->length_for = body.size();
      }
      out.reserve(out.size() + prefix->full_size + (with_body ? body.size() : 0));
      out.append(prefix->text, prefix->full_size);
      if (with_body) out.append(body);
      return;
    }
  }
  write_head(out, r, body.size(), keep_alive, server_name, http10);
  if (with_body && !status_has_no_body(r.status())) out.append(body);
}

std::string_view http_date() noexcept {
  thread_local std::time_t cached_second = 0;
  thread_local char text[32];
  thread_local std::size_t size = 0;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    size = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return {text, size};
}

void write_head(std::string& out, const response& r, std::size_t body_size, bool keep_alive,
                std::string_view server_name, bool http10) {
  head_writer w(out);
  status_line(w, r.status());
  common_fields(w, keep_alive, http10, server_name);
  if (!r.content_type().empty()) {
    w.put("Content-Type: ");
    w.put(r.content_type());
    w.put("\r\n");
  }
  // 1xx and 204 carry no Content-Length (RFC 9110 8.6); 304 keeps the GET's if the handler set
  // one, which it does not here.
  if (!status_has_no_body(r.status())) {
    w.put("Content-Length: ");
    w.number(body_size);
    w.put("\r\n");
  }
  for (const auto& [name, value] : r.headers()) {
    // Framing is the server's: a handler's own Content-Length or Transfer-Encoding would
    // contradict the one written above (and desynchronise the client).
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
    w.field(name, value);
  }
  w.put("\r\n");
  w.finish();
}

void write_stream_head(std::string& out, const response_stream& s, bool keep_alive,
                       std::string_view server_name, bool http10) {
  head_writer w(out);
  status_line(w, s.status());
  common_fields(w, keep_alive, http10, server_name);
  if (!s.content_type().empty()) w.field("Content-Type", s.content_type());
  if (s.chunked()) w.put("Transfer-Encoding: chunked\r\n");
  if (s.content_type() == "text/event-stream") w.put("Cache-Control: no-cache\r\n");
  for (const auto& [name, value] : s.headers()) {
    w.field(name, value);
  }
  w.put("\r\n");
  w.finish();
}

std::string_view origin_form(std::string_view target) noexcept {
  if (!target.empty() && target.front() == '/') return target;  // the origin form already
  for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
    if (target.size() > scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
      auto slash = target.find_first_of("/?", scheme.size());
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
      if (!target.empty() && target.front() == '?') target = {};  // "http://h?q": no path
      break;
    }
  }
  return target;
}

target_parts split_target(const message_head& head, const char* base) noexcept {
  std::string_view target = head.target.in(base);
  std::size_t query_at = head.query_at;
  bool normal = head.normal_path;
  if (target.empty() || target.front() != '/') {
    target = origin_form(target);
    query_at = std::min(target.find('?'), target.size());
    normal = is_normal_path(target.substr(0, query_at));
  }
  return {target.substr(0, query_at), query_at < target.size() ? target.substr(query_at + 1) : std::string_view{},
          normal};
}

bool fields_are_safe(const response& r) noexcept {
  // A literal content type (response::text, json, ...) is the library's own.
  if (has_line_break_or_nul(r.owned_type_)) return false;
  for (const auto& [name, value] : r.headers())
    if (has_line_break_or_nul(name) || has_line_break_or_nul(value)) return false;
  return true;
}

}  // namespace eddy::http::detail
