// SPDX-License-Identifier: MIT
#include "load_stats.hpp"

namespace eddy::tools {

const char* load_error_name(load_error e) noexcept {
  switch (e) {
    case load_error::connect: return "connect";
    case load_error::read: return "read";
    case load_error::write: return "write";
    case load_error::timeout: return "timeout";
    case load_error::reset: return "reset";
    case load_error::protocol: return "protocol";
  }
  return "?";
}

std::uint64_t load_stats::error_total() const noexcept {
  std::uint64_t n = 0;
  for (auto e : errors) n += e;
  return n;
}

std::uint64_t load_stats::non_2xx() const noexcept {
  std::uint64_t n = 0;
  for (std::size_t code = 0; code < status.size(); ++code) {
    if (code < 200 || code > 299) n += status[code];
  }
  return n;
}

void load_stats::merge(const load_stats& o) noexcept {
  requests += o.requests;
  warmup_requests += o.warmup_requests;
  bytes_in += o.bytes_in;
  bytes_out += o.bytes_out;
  connects += o.connects;
  for (std::size_t i = 0; i < status.size(); ++i) status[i] += o.status[i];
  for (std::size_t i = 0; i < errors.size(); ++i) errors[i] += o.errors[i];
  latency.merge(o.latency);
  uncorrected.merge(o.uncorrected);
  handshake.merge(o.handshake);
}

}  // namespace eddy::tools
