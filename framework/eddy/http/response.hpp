// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "eddy/http/headers.hpp"
#include "eddy/http/json.hpp"
#include "eddy/net/unique_fd.hpp"

namespace eddy::http {

class response;
namespace detail {
bool fields_are_safe(const response& r) noexcept;
void write_response(std::string& out, const response& r, bool with_body, bool keep_alive,
                    std::string_view server_name, bool http10);
}

/// A region of an open file, sent as a response body by the server straight from the page
/// cache (sendfile(2) over plain TCP; read and written in pieces over TLS).
struct file_body {
  unique_fd fd;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

/// An HTTP response built by a handler. The server adds `Date`, `Server`, `Content-Length`
/// (or chunked framing) and `Connection` itself; HEAD responses keep the headers of the GET
/// and drop the body.
class response {
 public:
  response() = default;
  explicit response(int status) : status_(status) {}

  /// `text/plain; charset=utf-8`.
  static response text(std::string body, int status = 200) {
    return with_body(status, std::move(body), "text/plain; charset=utf-8");
  }
  /// `text/html; charset=utf-8`.
  static response html(std::string body, int status = 200) {
    return with_body(status, std::move(body), "text/html; charset=utf-8");
  }
  /// Serializes `value` as `application/json`.
  static response json(const http::json& value, int status = 200);
  /// An object written straight from its fields, without building a `json`:
  /// `response::json({{"message", "Hello"}, {"id", 7}})` (chosen for a braced list of
  /// pairs; `{}` gives `{}`).
  static response json(std::initializer_list<json_field> fields, int status = 200);
  /// Already-serialized JSON text.
  static response json_text(std::string body, int status = 200) {
    return with_body(status, std::move(body), "application/json");
  }
  /// Raw bytes with the given content type (static storage or copied; see `content_type`).
  static response bytes(std::string body, std::string_view type = "application/octet-stream",
                        int status = 200) {
    response r(status);
    r.body_ = std::move(body);
    r.set_content_type(type);
    return r;
  }
  /// A redirect (302 by default; 301, 303, 307, 308 also make sense) to `location`.
  static response redirect(std::string_view location, int status = 302) {
    response r(status);
    r.headers_.set("Location", std::string(location));
    return r;
  }
  /// `length` bytes of the open file `fd` from `offset` as the body, sent by the server
  /// without reading the file into memory (`file_response` uses this for large files).
  static response file(unique_fd fd, std::uint64_t offset, std::uint64_t length,
                       std::string_view type = "application/octet-stream", int status = 200) {
    response r(status);
    r.file_ = std::make_shared<file_body>(file_body{std::move(fd), offset, length});
    r.set_content_type(type);
    return r;
  }
  /// No body (204 by default).
  static response empty(int status = 204) { return response(status); }

  int status() const noexcept { return status_; }
  response& set_status(int s) noexcept {
    status_ = s;
    return *this;
  }

  /// The content type; empty for none.
  std::string_view content_type() const noexcept {
    return owned_type_.empty() ? static_type_ : std::string_view(owned_type_);
  }
  /// Sets the content type (copied).
  response& set_content_type(std::string_view type) {
    owned_type_.assign(type);
    static_type_ = {};
    return *this;
  }

  http::headers& headers() noexcept { return headers_; }
  const http::headers& headers() const noexcept { return headers_; }
  /// Adds a header field. Names and values with CR/LF are rejected (`std::invalid_argument`)
  /// so that a handler cannot be tricked into splitting the response.
  response& header(std::string name, std::string value);

  /// Adds a `Set-Cookie` field. Attributes are appended as given
  /// (e.g. `"Path=/; HttpOnly; SameSite=Lax"`).
  response& cookie(std::string_view name, std::string_view value, std::string_view attributes = "Path=/");

  std::string& body() noexcept { return body_; }
  const std::string& body() const noexcept { return body_; }
  /// The file region sent as the body instead of `body()`, if any.
  const file_body* file() const noexcept { return file_.get(); }

 private:
  // The server's check for CR/LF/NUL in fields skips literal content types.
  friend bool detail::fields_are_safe(const response& r) noexcept;
  // The server's cache of common response heads, keyed by literal content type.
  friend void detail::write_response(std::string& out, const response& r, bool with_body, bool keep_alive,
                                     std::string_view server_name, bool http10);

  // Literal content types (the common case) are referenced, not copied: a response for the
  // plaintext path allocates nothing beyond a body that does not fit the small-string buffer.
  // Built in the caller's return slot (a named result: no move of the response).
  static response with_body(int status, std::string&& body, const char* literal_type) {
    response r(status);
    r.body_ = std::move(body);
    r.static_type_ = literal_type;
    return r;
  }

  int status_ = 200;
  std::string_view static_type_;
  std::string owned_type_;
  http::headers headers_;
  std::string body_;
  std::shared_ptr<const file_body> file_;
};

}  // namespace eddy::http
