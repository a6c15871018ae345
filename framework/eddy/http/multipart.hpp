// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::http {

/// One part of a `multipart/form-data` body (RFC 7578). `data` points into the request body.
struct form_part {
  std::string name;          ///< the form field's name
  std::string filename;      ///< set for file uploads (path components removed)
  std::string content_type;  ///< the part's Content-Type, "text/plain" if absent
  std::string_view data;
  bool is_file() const noexcept { return !filename.empty(); }
};

/// Thrown for a malformed multipart body; `what()` says what is wrong.
class multipart_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// The boundary parameter of a `multipart/form-data` Content-Type, or nullopt if the type is
/// not multipart/form-data or has no (valid) boundary.
std::optional<std::string> multipart_boundary(std::string_view content_type);

/// Splits `body` into its parts. Throws `multipart_error` for a missing or wrong delimiter, a
/// part without `Content-Disposition: form-data; name=...`, a missing final delimiter, or more
/// than `max_parts` parts.
std::vector<form_part> parse_multipart(std::string_view body, std::string_view boundary,
                                       std::size_t max_parts = 1000);

}  // namespace eddy::http
