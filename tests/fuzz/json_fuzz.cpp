// SPDX-License-Identifier: MIT
// JSON request bodies (http/json.hpp, simdjson underneath), as `req.json()` parses them.
// Properties: invalid text throws json_parse_error and nothing else; a parsed value
// serializes (`dump`) to text that parses back to an equal value (numbers within double
// precision are compared after a second round, so a value is stable once serialized).
#include "eddy/http/json.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.hpp"

namespace {

namespace http = eddy::http;

// Walks the value through the accessors (as a handler would).
std::size_t walk(const http::json& v, int depth) {
  std::size_t n = 1;
  if (depth > 2000) return n;
  if (v.is_array()) {
    for (const auto& e : v.as_array()) n += walk(e, depth + 1);
  } else if (v.is_object()) {
    for (const auto& [k, e] : v.as_object()) {
      EDDY_FUZZ_CHECK(v.find(k) != nullptr);
      n += walk(e, depth + 1);
    }
  } else if (v.is_number()) {
    (void)v.as_double();
  } else if (v.is_string()) {
    (void)v.as_string().size();
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  http::json value;
  try {
    value = http::json::parse(text);
  } catch (const http::json_parse_error&) {
    return 0;
  }
  walk(value, 0);
  std::string once = value.dump();
  http::json again = http::json::parse(once);
  std::string twice = again.dump();
  http::json third = http::json::parse(twice);
  EDDY_FUZZ_CHECK(third.dump() == twice);
  EDDY_FUZZ_CHECK(third == again);
  return 0;
}
