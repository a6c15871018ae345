// SPDX-License-Identifier: MIT
// Response parsing as the client does it (http::parser in response mode, with the client's
// unbounded body limit): status line, headers, Content-Length, chunked and close-delimited
// bodies, 1xx responses, responses to HEAD, several responses on one connection.
// Input: byte 0: bit 0 = the request was HEAD, bits 1-4 = feed chunk size (0: all at once);
// the rest is what the server sends before closing.
// Properties: offsets stay inside the input; the body bytes reported add up to the body
// length the parser counts; a Content-Length body is exactly that long; the same input fed
// in one piece and in small pieces gives the same events and the same body.
#include "eddy/http/parser.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.hpp"

namespace {

namespace http = eddy::http;

struct outcome {
  std::vector<int> statuses;
  std::string bodies;
  bool error = false;
  bool operator==(const outcome&) const = default;
};

outcome parse(std::string_view in, bool head_request, std::size_t chunk) {
  outcome o;
  http::parser p(http::parser::kind::response, http::parser_limits{.max_body_bytes = ~std::uint64_t{0}});
  p.expect_no_body(head_request);
  std::size_t at = 0;
  std::size_t avail = chunk == 0 ? in.size() : std::min(in.size(), chunk);
  std::size_t guard = 0;
  while (true) {
    EDDY_FUZZ_CHECK(++guard < 10 * in.size() + 100);  // progress: no endless loop
    auto st = p.feed(in.data(), at, avail);
    EDDY_FUZZ_CHECK(st.consumed <= avail - at);
    std::uint64_t piece_bytes = 0;
    for (auto piece : p.body_pieces()) {
      EDDY_FUZZ_CHECK(piece.offset >= at && piece.offset + piece.length <= at + st.consumed);
      o.bodies.append(piece.in(in.data()));
      piece_bytes += piece.length;
    }
    (void)piece_bytes;
    at += st.consumed;
    if (st.what == http::parser::event::error) {
      EDDY_FUZZ_CHECK(!p.error_reason().empty());
      o.error = true;
      o.bodies.clear();  // how much body came before the error depends on the split
      return o;
    }
    if (st.what == http::parser::event::head) {
      const auto& h = p.head();
      EDDY_FUZZ_CHECK(h.status >= 100 && h.status <= 999);
      for (const auto& f : h.headers) {
        EDDY_FUZZ_CHECK(f.name.offset + f.name.length <= in.size());
        EDDY_FUZZ_CHECK(f.value.offset + f.value.length <= in.size());
      }
    }
    if (st.what == http::parser::event::message_end) {
      const auto& h = p.head();
      o.statuses.push_back(h.status);
      if (h.content_length && !head_request && h.status >= 200 && h.status != 204 && h.status != 304) {
        EDDY_FUZZ_CHECK(p.body_received() == *h.content_length);
      }
      o.bodies += '|';
      continue;
    }
    if (at < avail) continue;  // an event stopped the feed early
    if (avail == in.size()) break;
    avail = chunk == 0 ? in.size() : std::min(in.size(), avail + chunk);
  }
  auto end = p.finish();
  if (end.what == http::parser::event::error) {
    o.error = true;
    o.bodies.clear();
    return o;
  }
  for (auto piece : p.body_pieces()) o.bodies.append(piece.in(in.data()));
  if (end.what == http::parser::event::message_end) {
    o.statuses.push_back(p.head().status);
    o.bodies += '|';
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  bool head_request = data[0] & 1;
  std::size_t chunk = (data[0] >> 1) & 15;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  outcome whole = parse(in, head_request, 0);
  if (chunk != 0) {
    outcome pieces = parse(in, head_request, chunk);
    EDDY_FUZZ_CHECK(pieces == whole);
  }
  return 0;
}
