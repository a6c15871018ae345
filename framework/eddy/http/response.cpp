// SPDX-License-Identifier: MIT
#include "eddy/http/response.hpp"

#include <stdexcept>

#include "eddy/http/detail/spare_strings.hpp"

namespace eddy::http {

response response::json(const http::json& value, int status) {
  // The body takes a spare buffer of this thread when there is one (the server hands a sent
  // body's buffer back): a JSON body is seldom short enough for the string's own storage.
  std::string body;
  detail::spare_strings::take(body);
  value.dump_to(body);
  return with_body(status, std::move(body), "application/json");
}

response response::json(std::initializer_list<json_field> fields, int status) {
  std::string body;
  detail::spare_strings::take(body);
  json_dump_fields(body, fields);
  return with_body(status, std::move(body), "application/json");
}

response& response::header(std::string name, std::string value) {
  if (!is_valid_field_name(name) || !is_valid_field_value(value)) {
    throw std::invalid_argument("response header '" + name + "' has an invalid name or value");
  }
  headers_.add(std::move(name), std::move(value));
  return *this;
}

response& response::cookie(std::string_view name, std::string_view value, std::string_view attributes) {
  std::string v;
  v.reserve(name.size() + value.size() + attributes.size() + 3);
  v.append(name).append("=").append(value);
  if (!attributes.empty()) v.append("; ").append(attributes);
  return header("Set-Cookie", std::move(v));
}

}  // namespace eddy::http
