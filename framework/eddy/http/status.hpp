// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

namespace eddy::http {

/// The reason phrase RFC 9110 gives for `code`, or "" for codes it does not name (the status
/// line is then sent with the code alone, which RFC 9112 allows).
std::string_view reason_phrase(int code) noexcept;

/// True for 1xx, 204 and 304 responses, which never carry a body (RFC 9112 section 6.3).
constexpr bool status_has_no_body(int code) noexcept {
  return (code >= 100 && code < 200) || code == 204 || code == 304;
}

}  // namespace eddy::http
