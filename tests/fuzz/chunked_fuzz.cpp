// SPDX-License-Identifier: MIT
// Chunked request bodies (RFC 9112 7.1): the fuzzed bytes follow a fixed request head with
// `Transfer-Encoding: chunked`, fed to the server's request parser in pieces of every size
// from 1 to 7 and in one piece.
// Properties: every split gives the same result; when the parser accepts a body, a simple
// reference decoder written from the RFC's grammar accepts it too and decodes the same bytes;
// the body never exceeds the limit.
#include "eddy/http/parser.hpp"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.hpp"

namespace {

namespace http = eddy::http;

constexpr std::string_view request_head =
    "POST /upload HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: chunked\r\n\r\n";
constexpr std::uint64_t body_limit = 1 << 16;

struct decoded {
  bool complete = false;  // message_end reached
  bool error = false;
  std::string body;
  std::size_t consumed = 0;  // bytes up to the message end
  bool operator==(const decoded&) const = default;
};

decoded parse(const std::string& in, std::size_t chunk) {
  decoded d;
  http::parser p(http::parser::kind::request, http::parser_limits{.max_body_bytes = body_limit});
  std::size_t at = 0;
  std::size_t avail = chunk == 0 ? in.size() : std::min(in.size(), chunk);
  while (true) {
    auto st = p.feed(in.data(), at, avail);
    for (auto piece : p.body_pieces()) d.body.append(piece.in(in.data()));
    at += st.consumed;
    if (st.what == http::parser::event::error) {
      // How much body came out before the error depends on the split; only the verdict counts.
      d.error = true;
      d.body.clear();
      return d;
    }
    if (st.what == http::parser::event::message_end) {
      d.complete = true;
      d.consumed = at;
      return d;
    }
    if (at < avail) continue;
    if (avail == in.size()) return d;
    avail = chunk == 0 ? in.size() : std::min(in.size(), avail + chunk);
  }
}

// The grammar of RFC 9112 7.1, simply: chunk-size [ chunk-ext ] CRLF chunk-data CRLF ...,
// last-chunk, trailer fields, CRLF. Extensions and trailers are skipped, not validated (the
// parser may reject what this accepts, never the other way round for the data itself).
std::optional<std::string> reference_decode(std::string_view in) {
  std::string out;
  while (true) {
    std::size_t i = 0;
    std::uint64_t size = 0;
    while (i < in.size() && std::isxdigit(static_cast<unsigned char>(in[i]))) {
      if (size > (~std::uint64_t{0} >> 4)) return std::nullopt;
      char c = in[i];
      size = size * 16 + static_cast<std::uint64_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
      ++i;
    }
    if (i == 0) return std::nullopt;
    auto eol = in.find("\r\n", i);
    if (eol == std::string_view::npos) return std::nullopt;
    in.remove_prefix(eol + 2);
    if (size == 0) break;
    if (in.size() < size + 2 || in.substr(size, 2) != "\r\n") return std::nullopt;
    out.append(in.substr(0, size));
    in.remove_prefix(size + 2);
  }
  // Trailer section: lines until an empty one.
  while (true) {
    auto eol = in.find("\r\n");
    if (eol == std::string_view::npos) return std::nullopt;
    if (eol == 0) break;
    in.remove_prefix(eol + 2);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string in(request_head);
  in.append(reinterpret_cast<const char*>(data), size);
  decoded whole = parse(in, 0);
  for (std::size_t chunk = 1; chunk <= 7; ++chunk) {
    decoded split = parse(in, chunk);
    EDDY_FUZZ_CHECK(split == whole);
  }
  EDDY_FUZZ_CHECK(whole.body.size() <= body_limit);
  if (whole.complete) {
    auto ref = reference_decode(std::string_view(in).substr(request_head.size(), whole.consumed - request_head.size()));
    EDDY_FUZZ_CHECK(ref.has_value());
    EDDY_FUZZ_CHECK(*ref == whole.body);
  }
  return 0;
}
