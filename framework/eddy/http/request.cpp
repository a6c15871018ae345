// SPDX-License-Identifier: MIT
#include "eddy/http/request.hpp"

#include "eddy/http/headers.hpp"
#include "eddy/http/response_stream.hpp"
#include "eddy/http/url_codec.hpp"

namespace eddy::http {

std::optional<std::string_view> request::header(std::string_view name) const noexcept {
  for (const auto& h : head_->headers)
    if (iequals(h.name.in(base_), name)) return h.value.in(base_);
  return std::nullopt;
}

std::vector<std::string_view> request::header_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& h : head_->headers)
    if (iequals(h.name.in(base_), name)) out.push_back(h.value.in(base_));
  return out;
}

http::json request::json() const {
  try {
    return http::json::parse(body_);
  } catch (const json_parse_error& e) {
    throw error(400, e.what());
  }
}

namespace {
std::optional<std::string> find_pair(std::string_view encoded, std::string_view name) {
  std::optional<std::string> found;
  std::string key;
  for_each_pair(encoded, [&](std::string_view k, std::string_view v) {
    if (!percent_decode(k, key, true) || key != name) return true;
    std::string value;
    if (percent_decode(v, value, true)) found = std::move(value);
    return false;
  });
  return found;
}
}  // namespace

std::optional<std::string> request::query(std::string_view name) const { return find_pair(query_, name); }

std::vector<std::string> request::query_all(std::string_view name) const {
  std::vector<std::string> out;
  std::string key;
  for_each_pair(query_, [&](std::string_view k, std::string_view v) {
    std::string value;
    if (percent_decode(k, key, true) && key == name && percent_decode(v, value, true)) out.push_back(std::move(value));
    return true;
  });
  return out;
}

std::optional<std::string> request::form(std::string_view name) const {
  auto type = header("Content-Type");
  if (!type || type->substr(0, 33) != "application/x-www-form-urlencoded") return std::nullopt;
  return find_pair(body_, name);
}

std::vector<form_part> request::multipart() const {
  auto type = header("Content-Type");
  auto boundary = type ? multipart_boundary(*type) : std::nullopt;
  if (!boundary) throw error(415, "expected a multipart/form-data body with a boundary");
  try {
    return parse_multipart(body_, *boundary);
  } catch (const multipart_error& e) {
    throw error(400, e.what());
  }
}

std::optional<std::string_view> request::cookie(std::string_view name) const noexcept {
  for (const auto& h : head_->headers) {
    if (!iequals(h.name.in(base_), "cookie")) continue;
    std::string_view rest = h.value.in(base_);
    while (!rest.empty()) {
      auto semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
        std::string_view value = pair.substr(eq + 1);
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        return value;
      }
    }
  }
  return std::nullopt;
}

response_stream& request::stream(int status, std::string_view content_type) {
  if (!stream_factory_) throw std::logic_error("request::stream: no connection to stream to");
  auto* f = std::exchange(stream_factory_, nullptr);  // one streamed response per request
  return (*f)(status, content_type);
}

}  // namespace eddy::http
