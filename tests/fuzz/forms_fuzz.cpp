// SPDX-License-Identifier: MIT
// What handlers read from a request: query arguments, urlencoded forms, multipart/form-data
// bodies, cookies (http/request.hpp, http/multipart.hpp, url_codec's for_each_pair).
// Input: "<Content-Type>\n<Cookie>\n<query string>\n<body>".
// Properties: lookups return or refuse, never crash; decoded values hold no NUL; multipart
// part data are views into the body; upload file names carry no path (no '/', '\\', "..");
// a cookie value is a view into the Cookie header; malformed bodies are http::error 400/415.
#include "eddy/http/request.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "eddy/http/detail/request_access.hpp"
#include "eddy/http/error.hpp"
#include "eddy/http/multipart.hpp"
#include "eddy/http/parser.hpp"
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

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

http::buffer_span span_of(std::string_view s, const char* base) {
  return {static_cast<std::uint32_t>(s.data() - base), static_cast<std::uint32_t>(s.size())};
}

void check_value(const std::optional<std::string>& v) {
  if (v) EDDY_FUZZ_CHECK(v->find('\0') == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The request's bytes live in one buffer, as in the server; spans are offsets into it.
  const std::string buffer(reinterpret_cast<const char*>(data), size);
  std::string_view in(buffer);
  std::string_view type = take_line(in);
  std::string_view cookie = take_line(in);
  std::string_view query = take_line(in);
  std::string_view body = in;

  static constexpr std::string_view names = "Content-TypeCookie";
  std::string base(buffer);
  base.append(names);
  const char* b = base.data();
  std::string_view name_type(b + buffer.size(), 12), name_cookie(b + buffer.size() + 12, 6);
  auto rebase = [&](std::string_view s) { return std::string_view(b + (s.data() - buffer.data()), s.size()); };

  http::message_head head;
  head.method = http::method::post;
  head.headers.push_back({span_of(name_type, b), span_of(rebase(type), b)});
  head.headers.push_back({span_of(name_cookie, b), span_of(rebase(cookie), b)});
  http::request req;
  http::detail::request_access::bind(req, head, b, "/", rebase(query), rebase(body), "fuzz", {});

  for (std::string_view key : {"a", "q", "", "a b", "x"}) {
    check_value(req.query(key));
    for (const auto& v : req.query_all(key)) EDDY_FUZZ_CHECK(v.find('\0') == std::string::npos);
    check_value(req.form(key));
    if (auto c = req.cookie(key)) EDDY_FUZZ_CHECK(inside(*c, rebase(cookie)));
  }
  try {
    for (const auto& part : req.multipart()) {
      EDDY_FUZZ_CHECK(inside(part.data, rebase(body)));
      EDDY_FUZZ_CHECK(part.filename.find('/') == std::string::npos);
      EDDY_FUZZ_CHECK(part.filename.find('\\') == std::string::npos);
      EDDY_FUZZ_CHECK(part.filename != ".." && part.filename != ".");
    }
  } catch (const http::error& e) {
    EDDY_FUZZ_CHECK(e.status() == 400 || e.status() == 415);
  }
  // The raw splitter on its own, with an early stop.
  std::size_t seen = 0;
  http::for_each_pair(query, [&](std::string_view k, std::string_view v) {
    EDDY_FUZZ_CHECK(inside(k, query) && inside(v, query));
    return ++seen < 3;
  });
  return 0;
}
