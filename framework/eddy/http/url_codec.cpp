// SPDX-License-Identifier: MIT
#include "eddy/http/url_codec.hpp"

#include <algorithm>

#include "eddy/http/detail/byte_scan.hpp"

namespace eddy::http {
namespace {
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool percent_decode(std::string_view in, std::string& out, bool plus_as_space) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      if (c == '\0') return false;
      i += 2;
    } else if (c == '+' && plus_as_space) {
      c = ' ';
    } else if (c == '\0') {
      return false;
    }
    out += c;
  }
  return true;
}

void percent_encode(std::string_view in, std::string& out, bool keep_slash) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (unsigned char c : in) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
}

bool is_normal_path(std::string_view raw) noexcept {
  if (raw.empty() || raw[0] != '/') return false;
  // Most paths have nothing to decode or resolve: no escape, no dot segment, no backslash
  // (and no raw NUL, which the decoder would refuse: found by fuzzing). Eight bytes at a time
  // first: '%', '.' and NUL are below '/', and a path of letters, digits and slashes (most
  // of them) has no byte below '/' and no backslash at all.
  if (!detail::any_word(raw, 'a', [](std::uint64_t w) {
        return detail::any_byte_below(w, '/') || detail::any_byte_is(w, '\\');
      })) {
    return true;
  }
  // A byte that may matter: only escapes, backslashes, NULs and dot segments do.
  char previous = '/';
  for (const char c : raw) {
    if (c == '%' || c == '\\' || c == '\0' || (c == '.' && previous == '/')) return false;
    previous = c;
  }
  return true;
}

target_shape shape_of_target(std::string_view target) noexcept {
  // Most targets are letters, digits and slashes: one test per word ('#', '%' and '.' are
  // below '/'), which finds no query, no fragment and nothing to normalize.
  if (!target.empty() && target[0] == '/' && !detail::any_word(target, 'a', [](std::uint64_t w) {
        return detail::any_byte_below_or_is(w, '/', '?', '\\');
      })) {
    return {target.size(), false, true};
  }
  target_shape s;
  s.query_at = std::min(target.find('?'), target.size());
  s.fragment = target.find('#') != std::string_view::npos;
  s.normal_path = is_normal_path(target.substr(0, s.query_at));
  return s;
}

bool normalize_path(std::string_view raw, std::string& out) {
  out.clear();
  if (raw.empty() || raw[0] != '/') return false;
  if (is_normal_path(raw)) {
    out.assign(raw);
    return true;
  }
  // Decode segment by segment so that an encoded '/' cannot create or hide a segment.
  std::string segment;
  std::size_t pos = 1;
  out += '/';
  while (true) {
    auto slash = raw.find('/', pos);
    std::string_view enc = raw.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    if (!percent_decode(enc, segment)) return false;
    if (segment.find('/') != std::string::npos || segment.find('\\') != std::string::npos) return false;
    const bool last = slash == std::string_view::npos;
    if (segment == ".") {
      // drop it
    } else if (segment == "..") {
      // Remove the previous segment (never the root).
      if (out.size() > 1) {
        out.pop_back();  // the trailing '/'
        out.erase(out.rfind('/') + 1);
      }
    } else {
      out += segment;
      if (!last) out += '/';
    }
    if (last) break;
    pos = slash + 1;
  }
  return true;
}

}  // namespace eddy::http
