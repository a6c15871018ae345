// SPDX-License-Identifier: MIT
#include "eddy/http/json.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>

#include "eddy/http/detail/byte_scan.hpp"

namespace eddy::http {
namespace {

[[noreturn]] void wrong_type(const char* wanted) {
  throw std::invalid_argument(std::string("json: value is not ") + wanted);
}

json convert(simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::ARRAY: {
      json::array_t a;
      // Keep the array itself alive: the range must not refer into a temporary result.
      simdjson::dom::array arr = e.get_array().value_unsafe();
      for (auto item : arr) a.push_back(convert(item));
      return json(std::move(a));
    }
    case element_type::OBJECT: {
      json::object_t o;
      simdjson::dom::object obj = e.get_object().value_unsafe();
      for (auto field : obj) o.emplace_back(std::string(field.key), convert(field.value));
      return json(std::move(o));
    }
    case element_type::INT64: return json(e.get_int64().value_unsafe());
    case element_type::UINT64: {
      auto u = e.get_uint64().value_unsafe();
      if (u <= static_cast<std::uint64_t>(INT64_MAX)) return json(static_cast<std::int64_t>(u));
      return json(static_cast<double>(u));
    }
    case element_type::DOUBLE: return json(e.get_double().value_unsafe());
    case element_type::STRING: return json(std::string(e.get_string().value_unsafe()));
    case element_type::BOOL: return json(e.get_bool().value_unsafe());
    case element_type::NULL_VALUE: return json();
  }
  return json();
}

template <class Integer>
void append_int(std::string& out, Integer i) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, i);
  out.append(buf, r.ptr);
}

void append_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";  // JSON has no NaN or infinity
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, r.ptr);
  // The shortest form of an integral double has no '.' or exponent ("5.5e20" comes out as
  // "550000000000000000000"): past 2^64 no JSON parser reads that back (simdjson fails:
  // found by fuzzing), and below it the value would come back as an integer.
  if (std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)).find_first_of(".e") == std::string_view::npos) {
    out += ".0";
  }
}

}  // namespace

json json::parse(std::string_view text) {
  // One parser per thread: simdjson reuses its buffers, so steady-state parsing allocates
  // only the resulting value tree.
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element root;
  auto error = parser.parse(padded).get(root);
  if (error) throw json_parse_error(std::string("invalid JSON: ") + simdjson::error_message(error));
  return convert(root);
}

bool json::as_bool() const {
  if (!is_bool()) wrong_type("a boolean");
  return std::get<bool>(v_);
}
std::int64_t json::as_int() const {
  if (!is_int()) wrong_type("an integer");
  return std::get<std::int64_t>(v_);
}
double json::as_double() const {
  if (is_int()) return static_cast<double>(std::get<std::int64_t>(v_));
  if (!is_double()) wrong_type("a number");
  return std::get<double>(v_);
}
const std::string& json::as_string() const {
  if (!is_string()) wrong_type("a string");
  return std::get<std::string>(v_);
}
const json::array_t& json::as_array() const {
  if (!is_array()) wrong_type("an array");
  return std::get<array_t>(v_);
}
const json::object_t& json::as_object() const {
  if (!is_object()) wrong_type("an object");
  return std::get<object_t>(v_);
}
json::array_t& json::as_array() {
  if (!is_array()) wrong_type("an array");
  return std::get<array_t>(v_);
}
json::object_t& json::as_object() {
  if (!is_object()) wrong_type("an object");
  return std::get<object_t>(v_);
}

const json* json::find(std::string_view key) const noexcept {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : std::get<object_t>(v_))
    if (k == key) return &v;
  return nullptr;
}

json& json::set(std::string key, json value) {
  if (is_null()) v_ = object_t{};
  auto& o = as_object();
  for (auto& [k, v] : o) {
    if (k == key) {
      v = std::move(value);
      return *this;
    }
  }
  o.emplace_back(std::move(key), std::move(value));
  return *this;
}

json& json::push_back(json value) {
  if (is_null()) v_ = array_t{};
  as_array().push_back(std::move(value));
  return *this;
}

void json_escape(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  // Eight bytes at a time (a last, shorter piece as one padded word): most text has no
  // control byte, quote or backslash, and goes out in one append.
  auto clean = [](std::uint64_t w) { return !detail::any_byte_below_or_is(w, 0x20, '"', '\\'); };
  auto clean_at = [&](std::size_t i, std::size_t n) {
    return clean(n == 8 ? detail::load8(s.data() + i) : detail::padded_word(s.data() + i, n, ' '));
  };
  if (const char* p = s.data(); s.size() <= 16) {
    // Keys and most short values: one or two word tests, fixed-size copies, one append.
    const std::size_t n = s.size();
    const bool is_clean = n == 0 || (n < 8 ? clean(detail::padded_word(p, n, ' '))
                                           : clean(detail::load8(p)) && clean(detail::load8(p + n - 8)));
    if (is_clean) {
      char quoted[18];
      quoted[0] = '"';
      if (n >= 8) {
        std::memcpy(quoted + 1, p, 8);
        std::memcpy(quoted + 1 + n - 8, p + n - 8, 8);
      } else if (n >= 4) {
        std::memcpy(quoted + 1, p, 4);
        std::memcpy(quoted + 1 + n - 4, p + n - 4, 4);
      } else {
        for (std::size_t k = 0; k < n; ++k) quoted[1 + k] = p[k];
      }
      quoted[n + 1] = '"';
      out.append(quoted, n + 2);
      return;
    }
  }
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = std::min<std::size_t>(8, s.size() - i);
    if (!clean_at(i, n)) break;
    i += n;
  }
  if (i == s.size() && s.size() <= 62) {
    // Clean and short (keys, most values): quotes and text in one append.
    char quoted[64];
    quoted[0] = '"';
    if (!s.empty()) std::memcpy(quoted + 1, s.data(), s.size());
    quoted[s.size() + 1] = '"';
    out.append(quoted, s.size() + 2);
    return;
  }
  out += '"';
  std::size_t run = 0;  // copy unescaped runs in one append
  while (i < s.size()) {
    const std::size_t n = std::min<std::size_t>(8, s.size() - i);
    if (clean_at(i, n)) {
      i += n;
      continue;
    }
    for (const std::size_t stop = i + n; i < stop; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out.append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void json::dump_to(std::string& out) const {
  switch (v_.index()) {
    case 0: out += "null"; break;
    case 1: out += std::get<bool>(v_) ? "true" : "false"; break;
    case 2: append_int(out, std::get<std::int64_t>(v_)); break;
    case 3: append_double(out, std::get<double>(v_)); break;
    case 4: json_escape(out, std::get<std::string>(v_)); break;
    case 5: {
      out += '[';
      bool first = true;
      for (const auto& item : std::get<array_t>(v_)) {
        if (!first) out += ',';
        first = false;
        item.dump_to(out);
      }
      out += ']';
      break;
    }
    case 6: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : std::get<object_t>(v_)) {
        if (!first) out += ',';
        first = false;
        json_escape(out, k);
        out += ':';
        v.dump_to(out);
      }
      out += '}';
      break;
    }
  }
}

void json_ref::dump_to(std::string& out) const {
  switch (kind_) {
    case kind::null: out += "null"; break;
    case kind::boolean: out += u_.b ? "true" : "false"; break;
    case kind::integer: append_int(out, u_.i); break;
    case kind::unsigned_integer: append_int(out, u_.u); break;
    case kind::number: append_double(out, u_.d); break;
    case kind::string: json_escape(out, std::string_view(u_.s.data, u_.s.size)); break;
    case kind::value: u_.v->dump_to(out); break;
    case kind::object: dump_fields(out, u_.f.data, u_.f.size); break;
  }
}

void json_ref::dump_fields(std::string& out, const json_field* fields, std::size_t n) {
  out += '{';
  bool first = true;
  for (const json_field& f : std::span(fields, n)) {
    if (!first) out += ',';
    first = false;
    json_escape(out, f.key());
    out += ':';
    f.value().dump_to(out);
  }
  out += '}';
}

void json_dump_fields(std::string& out, std::initializer_list<json_field> fields) {
  json_ref::dump_fields(out, fields.begin(), fields.size());
}

std::string json::dump() const {
  std::string out;
  dump_to(out);
  return out;
}

}  // namespace eddy::http
