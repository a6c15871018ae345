// SPDX-License-Identifier: MIT
#include "eddy/http/body_stream.hpp"

#include <string>

#include "eddy/http/error.hpp"

namespace eddy::http {

task<std::optional<std::string_view>> body_stream::next() {
  if (!source_) {
    if (done_) co_return std::nullopt;
    done_ = true;
    received_ = whole_.size();
    co_return whole_;
  }
  if (done_) co_return std::nullopt;
  detail::body_piece p = co_await source_->pull();
  if (p.error_status != 0) throw error(p.error_status, std::string(p.error_reason));
  if (p.bytes.empty()) {
    done_ = true;
    co_return std::nullopt;
  }
  received_ += p.bytes.size();
  co_return p.bytes;
}

task<std::string> body_stream::read_all(std::size_t max_bytes) {
  std::string out;
  while (auto piece = co_await next()) {
    if (piece->size() > max_bytes - out.size()) throw error(413, "request body too large");
    out.append(*piece);
  }
  co_return out;
}

}  // namespace eddy::http
