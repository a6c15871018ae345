// SPDX-License-Identifier: MIT
#pragma once

#include <stdexcept>
#include <string>

namespace eddy::http {

/// Thrown by handlers and middleware to answer with an HTTP error status (Sanic's
/// `SanicException`): `throw http::error(404, "no such item")`. The message is sent to the
/// client as the response body (so it must not contain secrets); any other exception becomes a
/// 500 whose body reveals nothing and whose details are logged.
class error : public std::runtime_error {
 public:
  error(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  explicit error(int status);
  int status() const noexcept { return status_; }

 private:
  int status_;
};

}  // namespace eddy::http
