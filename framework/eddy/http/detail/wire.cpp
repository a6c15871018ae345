// SPDX-License-Identifier: MIT
#include "eddy/http/detail/wire.hpp"

#include <charconv>
#include <ctime>

#include "eddy/http/headers.hpp"
#include "eddy/http/status.hpp"

namespace eddy::http::detail {
namespace {

void append_number(std::string& out, std::size_t n) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, r.ptr);
}

void status_line(std::string& out, int status) {
  out += "HTTP/1.1 ";
  append_number(out, static_cast<std::size_t>(status));
  out += ' ';
  out += reason_phrase(status);
  out += "\r\n";
}

void common_fields(std::string& out, bool keep_alive, bool http10, std::string_view server_name) {
  if (!server_name.empty()) {
    out += "Server: ";
    out += server_name;
    out += "\r\n";
  }
  out += "Date: ";
  out += http_date();
  out += "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  // HTTP/1.0 closes by default: a persistent connection must be announced (RFC 9112 9.3).
  else if (http10) out += "Connection: keep-alive\r\n";
}

}  // namespace

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
  status_line(out, r.status());
  common_fields(out, keep_alive, http10, server_name);
  if (!r.content_type().empty()) {
    out += "Content-Type: ";
    out += r.content_type();
    out += "\r\n";
  }
  // 1xx and 204 carry no Content-Length (RFC 9110 8.6); 304 keeps the GET's if the handler set
  // one, which it does not here.
  if (!status_has_no_body(r.status())) {
    out += "Content-Length: ";
    append_number(out, body_size);
    out += "\r\n";
  }
  for (const auto& [name, value] : r.headers()) {
    // Framing is the server's: a handler's own Content-Length or Transfer-Encoding would
    // contradict the one written above (and desynchronise the client).
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "\r\n";
}

void write_stream_head(std::string& out, const response_stream& s, bool keep_alive,
                       std::string_view server_name, bool http10) {
  status_line(out, s.status());
  common_fields(out, keep_alive, http10, server_name);
  if (!s.content_type().empty()) {
    out += "Content-Type: ";
    out += s.content_type();
    out += "\r\n";
  }
  if (s.chunked()) out += "Transfer-Encoding: chunked\r\n";
  if (s.content_type() == "text/event-stream") out += "Cache-Control: no-cache\r\n";
  for (const auto& [name, value] : s.headers()) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "\r\n";
}

std::string_view origin_form(std::string_view target) noexcept {
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

bool fields_are_safe(const response& r) noexcept {
  auto clean = [](std::string_view v) {
    for (char c : v)
      if (c == '\r' || c == '\n' || c == '\0') return false;
    return true;
  };
  if (!clean(r.content_type())) return false;
  for (const auto& [name, value] : r.headers())
    if (!clean(name) || !clean(value)) return false;
  return true;
}

}  // namespace eddy::http::detail
