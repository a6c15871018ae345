// SPDX-License-Identifier: MIT
#include "eddy/http/response_stream.hpp"

#include <cstdio>
#include <system_error>

#include "eddy/core/errors.hpp"

namespace eddy::http {

task<void> response_stream::send(std::string_view bytes) {
  auto r = co_await write_raw_(bytes);
  if (!r) {
    if (r.error() == errc::operation_canceled) throw cancelled_error();
    throw std::system_error(r.error(), "response stream");
  }
}

task<void> response_stream::write(std::string_view chunk) {
  if (ended_) throw std::logic_error("response_stream: write after end");
  scratch_.clear();
  if (!started_) {
    serialize_head_(scratch_, *this);
    started_ = true;
  }
  if (!chunk.empty() && !head_only_ && !chunked_) {
    scratch_.append(chunk);
  } else if (!chunk.empty() && !head_only_) {
    char size[20];
    int n = std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    scratch_.append(size, static_cast<std::size_t>(n));
    scratch_.append(chunk);
    scratch_.append("\r\n");
  }
  if (!scratch_.empty()) co_await send(scratch_);
}

task<void> response_stream::send_event(std::string_view data, std::string_view event, std::string_view id) {
  std::string msg;
  if (!event.empty()) msg.append("event: ").append(event).append("\n");
  if (!id.empty()) msg.append("id: ").append(id).append("\n");
  // Every line of the payload becomes its own data: line (the SSE format).
  while (true) {
    auto nl = data.find('\n');
    msg.append("data: ").append(data.substr(0, nl)).append("\n");
    if (nl == std::string_view::npos) break;
    data.remove_prefix(nl + 1);
  }
  msg.append("\n");
  co_await write(msg);
}

task<void> response_stream::end() {
  if (ended_) co_return;
  scratch_.clear();
  if (!started_) {
    serialize_head_(scratch_, *this);
    started_ = true;
  }
  ended_ = true;
  if (!head_only_ && chunked_) scratch_.append("0\r\n\r\n");
  if (!scratch_.empty()) co_await send(scratch_);
}

response response_stream::finish() {
  // The marker: status -1 tells the connection the response went out through the stream.
  response r(-1);
  return r;
}

}  // namespace eddy::http
