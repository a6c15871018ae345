// SPDX-License-Identifier: MIT
// URL parsing and normalization (http/url.hpp) and the path and query codecs
// (http/url_codec.hpp). Input: "<url>\n<reference>\n<path>" (missing parts are empty).
// Properties: a parsed URL re-parses from its `str()` to the same URL; a resolved reference
// is a valid URL; a normalized request path starts with '/', holds no NUL and no "." or ".."
// segment; decode(encode(s)) == s; a form-encoded query decodes back to its pairs.
#include "eddy/http/url.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "eddy/http/url_codec.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

namespace http = eddy::http;

std::string_view take_line(std::string_view& in) {
  auto nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  // At the end, an empty view at the end of the input (not a null one): the spans made
  // from these views are offsets into the input.
  in = nl == std::string_view::npos ? in.substr(in.size()) : in.substr(nl + 1);
  return line;
}

void check_reparses(const http::url& u) {
  EDDY_FUZZ_CHECK(!u.path().empty() && u.path().front() == '/');
  auto again = http::url::parse(u.str());
  EDDY_FUZZ_CHECK(again.has_value());
  EDDY_FUZZ_CHECK(again->scheme() == u.scheme());
  EDDY_FUZZ_CHECK(again->host() == u.host());
  EDDY_FUZZ_CHECK(again->port() == u.port());
  EDDY_FUZZ_CHECK(again->path() == u.path());
  EDDY_FUZZ_CHECK(again->query() == u.query());
  EDDY_FUZZ_CHECK(again->str() == u.str());
}

void check_normalized(std::string_view raw) {
  std::string out;
  if (!http::normalize_path(raw, out)) return;
  EDDY_FUZZ_CHECK(!out.empty() && out.front() == '/');
  EDDY_FUZZ_CHECK(out.find('\0') == std::string::npos);
  std::string_view rest(out);
  rest.remove_prefix(1);
  while (true) {
    auto slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    EDDY_FUZZ_CHECK(seg != "." && seg != "..");
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
}

void check_codecs(std::string_view s) {
  std::string enc, dec;
  http::percent_encode(s, enc);
  bool has_nul = s.find('\0') != std::string_view::npos;
  EDDY_FUZZ_CHECK(http::percent_decode(enc, dec) == !has_nul);
  if (!has_nul) EDDY_FUZZ_CHECK(dec == s);
  enc.clear();
  http::percent_encode(s, enc, true);
  if (!has_nul) EDDY_FUZZ_CHECK(http::percent_decode(enc, dec) && dec == s);
  // Arbitrary text must decode or be refused, never crash.
  (void)http::percent_decode(s, dec, true);

  // Pairs split at the first '=' of each ';'-separated piece, form-encoded, decoded back.
  if (has_nul) return;
  http::query_params params;
  std::string_view rest = s;
  while (!rest.empty() && params.size() < 16) {
    auto semi = rest.find(';');
    std::string_view piece = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    auto eq = piece.find('=');
    params.emplace_back(std::string(piece.substr(0, eq)),
                        eq == std::string_view::npos ? std::string{} : std::string(piece.substr(eq + 1)));
  }
  std::string query = http::encode_query(params);
  http::query_params decoded;
  http::for_each_pair(query, [&](std::string_view k, std::string_view v) {
    std::string dk, dv;
    EDDY_FUZZ_CHECK(http::percent_decode(k, dk, true) && http::percent_decode(v, dv, true));
    decoded.emplace_back(std::move(dk), std::move(dv));
    return true;
  });
  // for_each_pair skips empty pieces: a pair with an empty key and value encodes as "=".
  EDDY_FUZZ_CHECK(decoded == params);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view text = take_line(in);
  std::string_view reference = take_line(in);
  std::string_view path = in;

  if (auto u = http::url::parse(text)) {
    check_reparses(*u);
    (void)u->target();
    (void)u->authority();
    (void)u->origin();
    (void)u->hostname();
    if (auto r = u->resolve(reference)) check_reparses(*r);
    http::url with_query = *u;
    with_query.add_query({{std::string(reference), std::string(path)}});
    check_reparses(with_query);
  }
  check_normalized(text);
  check_normalized(path);
  check_codecs(path);
  return 0;
}
