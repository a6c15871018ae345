// SPDX-License-Identifier: MIT
#include "eddy/core/errors.hpp"

namespace eddy {
namespace {

class eddy_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "eddy"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::operation_canceled: return "operation cancelled";
      case errc::timed_out: return "operation timed out";
      case errc::unexpected_eof: return "unexpected end of stream";
      case errc::limit_exceeded: return "size limit exceeded";
      case errc::not_connected: return "not connected";
      case errc::protocol_error: return "protocol error";
      case errc::tls_error: return "TLS error";
      case errc::host_not_found: return "host not found";
      case errc::queue_full: return "queue full";
    }
    return "unknown eddy error";
  }

  std::error_condition default_error_condition(int value) const noexcept override {
    // Let callers compare with the portable std::errc conditions where one fits.
    switch (static_cast<errc>(value)) {
      case errc::operation_canceled: return std::errc::operation_canceled;
      case errc::timed_out: return std::errc::timed_out;
      case errc::not_connected: return std::errc::not_connected;
      default: return {value, *this};
    }
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const eddy_category category;
  return category;
}

}  // namespace eddy
