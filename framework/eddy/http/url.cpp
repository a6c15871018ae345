// SPDX-License-Identifier: MIT
#include "eddy/http/url.hpp"

#include <charconv>

#include "eddy/http/url_codec.hpp"

namespace eddy::http {
namespace {

std::error_code bad() { return std::make_error_code(std::errc::invalid_argument); }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::uint16_t default_port_of(std::string_view scheme) {
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  return 0;
}

// Characters a path or query may carry as they are (RFC 3986 pchar plus '/' and '?'); any
// other byte is escaped. '%' is kept only when it starts a valid escape.
void encode_component(std::string_view in, std::string& out) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (std::size_t i = 0; i < in.size(); ++i) {
    auto c = static_cast<unsigned char>(in[i]);
    bool keep = is_alpha(static_cast<char>(c)) || is_digit(static_cast<char>(c)) ||
                std::string_view("-._~!$&'()*+,;=:@/?").find(static_cast<char>(c)) != std::string_view::npos;
    if (c == '%' && i + 2 < in.size() && is_hex(in[i + 1]) && is_hex(in[i + 2])) keep = true;
    if (keep) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
}

// RFC 3986 5.2.4 on an encoded path.
std::string remove_dot_segments(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    if (in.starts_with("../")) in.remove_prefix(3);
    else if (in.starts_with("./")) in.remove_prefix(2);
    else if (in.starts_with("/./")) in.remove_prefix(2);
    else if (in == "/.") in = "/";
    else if (in.starts_with("/../") || in == "/..") {
      in = in.size() == 3 ? std::string_view("/") : in.substr(3);
      auto slash = out.rfind('/');
      out.erase(slash == std::string::npos ? 0 : slash);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      auto next = in.find('/', 1);
      out.append(in.substr(0, next));
      in = next == std::string_view::npos ? std::string_view{} : in.substr(next);
    }
  }
  return out.empty() ? std::string("/") : out;
}

bool valid_host_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '%' ||
         static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace

result<url> url::parse(std::string_view text) {
  // Surrounding whitespace is a copy-paste accident, not part of the URL (WHATWG trims it).
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  url u;
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || !is_alpha(text[0])) return bad();
  for (char c : text.substr(0, colon)) {
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return bad();
    u.scheme_.push_back(lower(c));
  }
  std::string_view rest = text.substr(colon + 1);
  if (!rest.starts_with("//")) return bad();
  rest.remove_prefix(2);
  auto auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  rest = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    u.userinfo_ = std::string(authority.substr(0, at));
    authority.remove_prefix(at + 1);
  }
  std::string_view port_text;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos || close < 3) return bad();
    for (char c : authority.substr(1, close - 1))
      if (!is_hex(c) && c != ':' && c != '.') return bad();
    u.host_.push_back('[');
    for (char c : authority.substr(1, close - 1)) u.host_.push_back(lower(c));
    u.host_.push_back(']');
    authority.remove_prefix(close + 1);
    if (!authority.empty()) {
      if (authority[0] != ':') return bad();
      port_text = authority.substr(1);
    }
  } else {
    auto pc = authority.find(':');
    std::string_view host = authority.substr(0, pc);
    if (pc != std::string_view::npos) port_text = authority.substr(pc + 1);
    if (host.empty()) return bad();
    for (char c : host) {
      if (!valid_host_char(c)) return bad();
      u.host_.push_back(lower(c));
    }
  }
  u.port_ = default_port_of(u.scheme_);
  if (!port_text.empty()) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
    if (ec != std::errc{} || p != port_text.data() + port_text.size() || v == 0 || v > 65535)
      return bad();
    u.port_ = static_cast<std::uint16_t>(v);
  }
  if (auto hash = rest.find('#'); hash != std::string_view::npos) {
    u.fragment_ = std::string(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
  }
  std::string_view path = rest, query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    path = rest.substr(0, q);
    query = rest.substr(q + 1);
  }
  u.path_.clear();
  encode_component(path, u.path_);
  u.path_ = remove_dot_segments(u.path_.empty() ? std::string_view("/") : std::string_view(u.path_));
  encode_component(query, u.query_);
  return u;
}

result<url> url::resolve(std::string_view ref) const {
  auto colon = ref.find(':');
  auto first_delim = ref.find_first_of("/?#");
  if (colon != std::string_view::npos && colon > 0 && (first_delim == std::string_view::npos || colon < first_delim))
    return parse(ref);
  if (ref.starts_with("//")) return parse(scheme_ + ":" + std::string(ref));
  url u = *this;
  u.fragment_.clear();
  if (auto hash = ref.find('#'); hash != std::string_view::npos) {
    u.fragment_ = std::string(ref.substr(hash + 1));
    ref = ref.substr(0, hash);
  }
  std::string_view path = ref, query;
  bool has_query = false;
  if (auto q = ref.find('?'); q != std::string_view::npos) {
    path = ref.substr(0, q);
    query = ref.substr(q + 1);
    has_query = true;
  }
  std::string encoded;
  encode_component(path, encoded);
  if (!encoded.empty()) {
    if (encoded.front() != '/') {
      auto slash = path_.rfind('/');
      encoded = path_.substr(0, slash + 1) + encoded;
    }
    u.path_ = remove_dot_segments(encoded);
    u.query_.clear();
  }
  if (has_query) {
    u.query_.clear();
    encode_component(query, u.query_);
  }
  return u;
}

std::string_view url::hostname() const noexcept {
  std::string_view h = host_;
  if (h.size() >= 2 && h.front() == '[') return h.substr(1, h.size() - 2);
  return h;
}

bool url::default_port() const noexcept { return port_ == default_port_of(scheme_); }

std::string url::target() const { return query_.empty() ? path_ : path_ + "?" + query_; }

std::string url::authority() const {
  return default_port() ? host_ : host_ + ":" + std::to_string(port_);
}

std::string url::str() const { return scheme_ + "://" + authority() + target(); }

std::string url::origin() const { return scheme_ + "://" + host_ + ":" + std::to_string(port_); }

url& url::add_query(const query_params& params) {
  if (params.empty()) return *this;
  if (!query_.empty()) query_.push_back('&');
  query_ += encode_query(params);
  return *this;
}

std::string encode_query(const query_params& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    percent_encode(k, out);
    out.push_back('=');
    percent_encode(v, out);
  }
  return out;
}

}  // namespace eddy::http
