// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace eddy::http {

/// Thrown by `json::parse` for invalid JSON; `what()` names the problem (from simdjson).
class json_parse_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A JSON value: built by handlers for responses (`json{{"message", "Hello"}}`) and produced
/// by `json::parse` (simdjson underneath) for request bodies. Objects keep insertion order.
class json {
 public:
  using array_t = std::vector<json>;
  using object_t = std::vector<std::pair<std::string, json>>;

  json() noexcept = default;
  json(std::nullptr_t) noexcept {}
  json(bool b) noexcept : v_(b) {}
  /// An integer. An unsigned one past INT64_MAX is held as a double, as `parse` does with
  /// such a number (it used to wrap to a negative integer).
  template <class I>
    requires(std::is_integral_v<I> && !std::is_same_v<I, bool>)
  json(I i) noexcept {
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t)) {
      if (i > static_cast<I>(INT64_MAX)) {
        v_ = static_cast<double>(i);
        return;
      }
    }
    v_ = static_cast<std::int64_t>(i);
  }
  json(double d) noexcept : v_(d) {}
  json(float d) noexcept : v_(static_cast<double>(d)) {}
  json(const char* s) : v_(std::string(s)) {}
  json(std::string s) noexcept : v_(std::move(s)) {}
  json(std::string_view s) : v_(std::string(s)) {}
  json(array_t a) noexcept : v_(std::move(a)) {}
  json(object_t o) noexcept : v_(std::move(o)) {}
  /// An object from key/value pairs: `json{{"id", 1}, {"name", "x"}}`.
  json(std::initializer_list<std::pair<std::string, json>> members) : v_(object_t(members)) {}

  /// An array: `json::array({1, 2, 3})`.
  static json array(std::initializer_list<json> items = {}) { return json(array_t(items)); }
  /// An empty object.
  static json object() { return json(object_t{}); }

  /// Parses JSON text. Throws `json_parse_error` on invalid input (depth, UTF-8 and number
  /// checks are simdjson's).
  static json parse(std::string_view text);

  bool is_null() const noexcept { return v_.index() == 0; }
  bool is_bool() const noexcept { return v_.index() == 1; }
  bool is_int() const noexcept { return v_.index() == 2; }
  bool is_double() const noexcept { return v_.index() == 3; }
  bool is_number() const noexcept { return is_int() || is_double(); }
  bool is_string() const noexcept { return v_.index() == 4; }
  bool is_array() const noexcept { return v_.index() == 5; }
  bool is_object() const noexcept { return v_.index() == 6; }

  /// Accessors: throw `std::invalid_argument` if the value has another type.
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_double() const;  ///< ints convert
  const std::string& as_string() const;
  const array_t& as_array() const;
  const object_t& as_object() const;
  array_t& as_array();
  object_t& as_object();

  /// The member `key` of an object, or nullptr (also for non-objects).
  const json* find(std::string_view key) const noexcept;
  /// Sets (or replaces) member `key`; the value must be an object (a null becomes one).
  json& set(std::string key, json value);
  /// Appends to an array (a null becomes one).
  json& push_back(json value);

  /// Serializes compactly (RFC 8259; strings escaped, non-finite numbers as null).
  std::string dump() const;
  void dump_to(std::string& out) const;

  friend bool operator==(const json&, const json&) = default;

 private:
  std::variant<std::monostate, bool, std::int64_t, double, std::string, array_t, object_t> v_;
};

/// Appends `s` to `out` as a JSON string literal (quotes included).
void json_escape(std::string& out, std::string_view s);

class json_field;

/// A value that a `json_field` refers to without copying it: a scalar, a string, a `json`, or
/// a braced list of fields (a nested object). Only for building an argument list that is
/// serialized at once (see `json_field`).
class json_ref {
 public:
  json_ref(std::nullptr_t) noexcept {}
  json_ref(bool b) noexcept : kind_(kind::boolean) { u_.b = b; }
  template <class I>
    requires(std::is_integral_v<I> && !std::is_same_v<I, bool>)
  json_ref(I i) noexcept {
    // Unsigned values past INT64_MAX are written as the unsigned numbers they are.
    if constexpr (std::is_unsigned_v<I>) {
      kind_ = kind::unsigned_integer;
      u_.u = static_cast<std::uint64_t>(i);
    } else {
      kind_ = kind::integer;
      u_.i = static_cast<std::int64_t>(i);
    }
  }
  json_ref(double d) noexcept : kind_(kind::number) { u_.d = d; }
  json_ref(float d) noexcept : kind_(kind::number) { u_.d = d; }
  json_ref(const char* s) noexcept : json_ref(std::string_view(s)) {}
  json_ref(const std::string& s) noexcept : json_ref(std::string_view(s)) {}
  json_ref(std::string_view s) noexcept : kind_(kind::string) { u_.s = {s.data(), s.size()}; }
  json_ref(const json& v) noexcept : kind_(kind::value) { u_.v = &v; }
  /// A nested object: `{"user", {{"id", 7}}}`.
  json_ref(std::initializer_list<json_field> fields) noexcept;

  /// Appends the value as JSON text (as `json::dump_to` would).
  void dump_to(std::string& out) const;

 private:
  friend void json_dump_fields(std::string& out, std::initializer_list<json_field> fields);
  static void dump_fields(std::string& out, const json_field* fields, std::size_t n);

  enum class kind : unsigned char { null, boolean, integer, unsigned_integer, number, string, value, object };
  kind kind_ = kind::null;
  union {
    bool b;
    std::int64_t i;
    std::uint64_t u;
    double d;
    struct {
      const char* data;
      std::size_t size;
    } s;
    const json* v;
    struct {
      const json_field* data;
      std::size_t size;
    } f;
  } u_{};
};

/// One member of an object that is written out at once and never stored:
/// `response::json({{"message", "Hello"}, {"id", id}})` serializes without building a
/// `json` tree, so it allocates nothing but the text. It refers to its key and value: it
/// lives only as long as the expression that names it.
class json_field {
 public:
  json_field(std::string_view key, json_ref value) noexcept : key_(key), value_(value) {}
  std::string_view key() const noexcept { return key_; }
  const json_ref& value() const noexcept { return value_; }

 private:
  std::string_view key_;
  json_ref value_;
};

inline json_ref::json_ref(std::initializer_list<json_field> fields) noexcept : kind_(kind::object) {
  u_.f = {fields.begin(), fields.size()};
}

/// Appends `{"key":value,...}` for `fields` (in order; keys are not checked for repeats).
void json_dump_fields(std::string& out, std::initializer_list<json_field> fields);

}  // namespace eddy::http
