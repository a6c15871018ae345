// SPDX-License-Identifier: MIT
// The router (http/router.hpp): patterns and paths. Input: lines; the lines before the first
// empty line are patterns (registered for GET on even lines, POST on odd ones, named r<i>),
// the lines after it are paths to match.
// Properties: registration either succeeds or throws std::invalid_argument; a match names a
// registered route whose methods allow the method (HEAD falls back to GET); captured values
// are views into the path; 405 comes with a non-empty Allow set; url_for with the captured
// values either builds a path starting with '/' or throws std::invalid_argument.
#include "eddy/http/router.hpp"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  http::router r(size > 0 && (data[0] & 1));
  r.add_type("hex", [](std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
      if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    return true;
  });
  std::vector<std::uint32_t> methods;  // by route id
  std::vector<std::string> names;
  std::size_t line_no = 0;
  while (!in.empty()) {
    std::string_view line = take_line(in);
    if (line.empty()) break;
    if (line_no >= 64) continue;
    std::uint32_t m = http::router::bit(line_no % 2 == 0 ? http::method::get : http::method::post);
    std::string name = "r" + std::to_string(line_no);
    ++line_no;
    try {
      std::size_t id = r.add(m, line, name);
      EDDY_FUZZ_CHECK(id == methods.size());
      EDDY_FUZZ_CHECK(r.pattern(id) == line);
      methods.push_back(m);
      names.push_back(name);
    } catch (const std::invalid_argument&) {
    }
  }
  r.freeze();
  while (!in.empty()) {
    std::string_view path = take_line(in);
    for (http::method m : {http::method::get, http::method::head, http::method::post, http::method::put}) {
      http::route_match hit = r.match(m, path);
      if (hit.result == http::route_match::kind::found) {
        EDDY_FUZZ_CHECK(hit.route < methods.size());
        http::method effective = m == http::method::head ? http::method::get : m;
        EDDY_FUZZ_CHECK((methods[hit.route] & http::router::bit(effective)) != 0);
        EDDY_FUZZ_CHECK(hit.param_count <= hit.params.size());
        std::vector<std::pair<std::string, std::string>> params;
        for (std::size_t i = 0; i < hit.param_count; ++i) {
          const auto& p = hit.params[i];
          EDDY_FUZZ_CHECK(p.value.empty() || (p.value.data() >= path.data() &&
                                              p.value.data() + p.value.size() <= path.data() + path.size()));
          params.emplace_back(std::string(p.name), std::string(p.value));
        }
        try {
          std::string built = r.url_for(names[hit.route], params);
          EDDY_FUZZ_CHECK(!built.empty() && built.front() == '/');
        } catch (const std::invalid_argument&) {
        }
      } else if (hit.result == http::route_match::kind::method_not_allowed) {
        EDDY_FUZZ_CHECK(hit.allowed != 0);
        EDDY_FUZZ_CHECK(!http::allow_header(hit.allowed).empty());
      }
    }
  }
  return 0;
}
