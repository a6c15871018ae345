// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eddy::http {

/// ASCII case-insensitive comparison (header names, tokens).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

/// `s` without leading and trailing spaces and tabs (optional whitespace, RFC 9110 5.6.3).
constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// An ordered list of header fields with case-insensitive lookup (names keep their case on
/// the wire). Several fields may share a name (`add`); `set` replaces them all.
class headers {
 public:
  using field = std::pair<std::string, std::string>;

  headers() = default;
  headers(std::initializer_list<field> fields) : fields_(fields) {}

  /// Appends a field (keeps existing ones of the same name).
  headers& add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  /// Replaces every field named `name` with one field.
  headers& set(std::string_view name, std::string value) {
    remove(name);
    fields_.emplace_back(std::string(name), std::move(value));
    return *this;
  }
  /// Removes every field named `name`; returns how many were removed.
  std::size_t remove(std::string_view name) {
    auto before = fields_.size();
    std::erase_if(fields_, [&](const field& f) { return iequals(f.first, name); });
    return before - fields_.size();
  }
  /// The first value of `name`, if any.
  std::optional<std::string_view> get(std::string_view name) const noexcept {
    for (const auto& f : fields_)
      if (iequals(f.first, name)) return std::string_view(f.second);
    return std::nullopt;
  }
  /// Every value of `name`, in order.
  std::vector<std::string_view> get_all(std::string_view name) const {
    std::vector<std::string_view> out;
    for (const auto& f : fields_)
      if (iequals(f.first, name)) out.emplace_back(f.second);
    return out;
  }
  bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }
  void clear() noexcept { fields_.clear(); }
  auto begin() const noexcept { return fields_.begin(); }
  auto end() const noexcept { return fields_.end(); }

 private:
  std::vector<field> fields_;
};

/// True if `value` (a header value) is a valid field value: no CR, LF or NUL, so that it
/// cannot split the header block (response splitting).
constexpr bool is_valid_field_value(std::string_view value) noexcept {
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

/// True if `name` is a valid field name (an RFC 9110 token).
constexpr bool is_valid_field_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace eddy::http
