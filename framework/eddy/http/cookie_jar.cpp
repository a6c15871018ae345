// SPDX-License-Identifier: MIT
#include "eddy/http/cookie_jar.hpp"

#include <algorithm>

#include "eddy/http/headers.hpp"

namespace eddy::http {
namespace {

constexpr std::size_t max_cookies = 3000;
constexpr std::size_t max_pair_bytes = 4096;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_ip_literal(std::string_view host) {
  if (!host.empty() && host.front() == '[') return true;
  return !host.empty() && host.find_first_not_of("0123456789.") == std::string_view::npos;
}

// RFC 6265 5.1.3.
bool domain_match(std::string_view host, std::string_view domain) {
  if (host == domain) return true;
  return !is_ip_literal(host) && host.size() > domain.size() &&
         host.substr(host.size() - domain.size()) == domain && host[host.size() - domain.size() - 1] == '.';
}

// RFC 6265 5.1.4: the directory of the request path.
std::string default_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return "/";
  auto last = path.rfind('/');
  if (last == 0) return "/";
  return std::string(path.substr(0, last));
}

bool path_match(std::string_view request_path, std::string_view cookie_path) {
  if (request_path == cookie_path) return true;
  if (request_path.substr(0, cookie_path.size()) != cookie_path) return false;
  return cookie_path.back() == '/' || request_path[cookie_path.size()] == '/';
}

bool is_delimiter(unsigned char c) {
  return c == 0x09 || (c >= 0x20 && c <= 0x2f) || (c >= 0x3b && c <= 0x40) || (c >= 0x5b && c <= 0x60) ||
         (c >= 0x7b && c <= 0x7e);
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_cookie_date(std::string_view text) {
  std::optional<int> hour, minute, second, day, month, year;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_delimiter(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t start = i;
    while (i < text.size() && !is_delimiter(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view tok = text.substr(start, i - start);
    if (tok.empty()) continue;
    // A leading run of digits is what counts ("1994abc" is year 1994).
    std::size_t digits = 0;
    while (digits < tok.size() && tok[digits] >= '0' && tok[digits] <= '9') ++digits;
    if (!hour && tok.find(':') != std::string_view::npos) {
      int h = 0, m = 0, s = 0;
      auto c1 = tok.find(':'), c2 = tok.find(':', c1 + 1);
      auto hs = tok.substr(0, c1), ms = tok.substr(c1 + 1, c2 - c1 - 1);
      auto ss = c2 == std::string_view::npos ? std::string_view{} : tok.substr(c2 + 1);
      std::size_t sd = 0;
      while (sd < ss.size() && ss[sd] >= '0' && ss[sd] <= '9') ++sd;
      ss = ss.substr(0, sd);
      if (all_digits(hs) && hs.size() <= 2 && all_digits(ms) && ms.size() <= 2 && all_digits(ss) && ss.size() <= 2) {
        h = std::stoi(std::string(hs));
        m = std::stoi(std::string(ms));
        s = std::stoi(std::string(ss));
        hour = h, minute = m, second = s;
        continue;
      }
    }
    if (!day && digits >= 1 && digits <= 2) {
      day = std::stoi(std::string(tok.substr(0, digits)));
      continue;
    }
    if (!month && tok.size() >= 3) {
      static constexpr std::string_view names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                   "jul", "aug", "sep", "oct", "nov", "dec"};
      std::string l = lower(tok.substr(0, 3));
      auto at = std::find(std::begin(names), std::end(names), l);
      if (at != std::end(names)) {
        month = static_cast<int>(at - std::begin(names)) + 1;
        continue;
      }
    }
    if (!year && digits >= 2 && digits <= 4) {
      year = std::stoi(std::string(tok.substr(0, digits)));
      continue;
    }
  }
  if (!hour || !day || !month || !year) return std::nullopt;
  int y = *year;
  if (y >= 70 && y <= 99) y += 1900;
  else if (y >= 0 && y <= 69) y += 2000;
  if (*day < 1 || *day > 31 || y < 1601 || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(*month)),
                     std::chrono::day(static_cast<unsigned>(*day))};
  if (!ymd.ok()) return std::nullopt;
  return time_point_cast<system_clock::duration>(sys_days(ymd) + hours(*hour) + minutes(*minute) + seconds(*second));
}

bool cookie_jar::store(const url& from, std::string_view set_cookie, clock::time_point now) {
  auto semi = set_cookie.find(';');
  std::string_view pair = set_cookie.substr(0, semi);
  std::string_view attrs = semi == std::string_view::npos ? std::string_view{} : set_cookie.substr(semi + 1);
  auto eq = pair.find('=');
  if (eq == std::string_view::npos) return false;
  std::string_view name = trim_ows(pair.substr(0, eq)), value = trim_ows(pair.substr(eq + 1));
  if (name.empty() || name.size() + value.size() > max_pair_bytes) return false;
  if (!is_valid_field_value(name) || !is_valid_field_value(value)) return false;

  cookie c;
  c.name = std::string(name);
  c.value = std::string(value);
  std::optional<clock::time_point> max_age, expires;
  std::string domain_attr;
  std::optional<std::string> path_attr;
  while (!attrs.empty()) {
    auto next = attrs.find(';');
    std::string_view av = attrs.substr(0, next);
    attrs = next == std::string_view::npos ? std::string_view{} : attrs.substr(next + 1);
    auto e = av.find('=');
    std::string_view key = trim_ows(av.substr(0, e));
    std::string_view val = e == std::string_view::npos ? std::string_view{} : trim_ows(av.substr(e + 1));
    if (iequals(key, "Expires")) {
      if (auto t = parse_cookie_date(val)) expires = *t;
    } else if (iequals(key, "Max-Age")) {
      bool negative = !val.empty() && val.front() == '-';
      std::string_view digits = negative ? val.substr(1) : val;
      if (!all_digits(digits)) continue;
      if (negative || digits.find_first_not_of('0') == std::string_view::npos) {
        max_age = clock::time_point::min();
      } else {
        // Saturate absurd values instead of overflowing.
        long long secs = digits.size() > 10 ? 9999999999LL : std::stoll(std::string(digits));
        max_age = now + std::chrono::seconds(secs);
      }
    } else if (iequals(key, "Domain")) {
      std::string_view d = val;
      if (!d.empty() && d.front() == '.') d.remove_prefix(1);
      domain_attr = lower(d);
    } else if (iequals(key, "Path")) {
      path_attr = (!val.empty() && val.front() == '/') ? std::string(val) : default_path(from.path());
    } else if (iequals(key, "Secure")) {
      c.secure = true;
    } else if (iequals(key, "HttpOnly")) {
      c.http_only = true;
    }
  }
  if (max_age) c.expires = *max_age;
  else if (expires) c.expires = *expires;

  const std::string host = from.host();
  if (!domain_attr.empty()) {
    if (!domain_match(host, domain_attr)) return false;
    // No public-suffix list: at least refuse a one-label domain ("com") unless it is the host.
    if (domain_attr.find('.') == std::string::npos && domain_attr != host) return false;
    c.host_only = false;
    c.domain = domain_attr;
  } else {
    c.host_only = true;
    c.domain = host;
  }
  c.path = path_attr ? *path_attr : default_path(from.path());
  if (c.secure && from.scheme() != "https") return false;

  auto same = std::find_if(cookies_.begin(), cookies_.end(), [&](const cookie& o) {
    return o.name == c.name && o.domain == c.domain && o.path == c.path;
  });
  const bool expired = c.expires && *c.expires <= now;
  if (same != cookies_.end()) {
    auto idx = static_cast<std::size_t>(same - cookies_.begin());
    if (expired) {
      cookies_.erase(same);
      created_.erase(created_.begin() + static_cast<std::ptrdiff_t>(idx));
    } else {
      *same = std::move(c);  // keeps its creation time (RFC 6265 5.3 step 11.3)
    }
    return true;
  }
  if (expired) return true;
  if (cookies_.size() >= max_cookies) {
    auto oldest = std::min_element(created_.begin(), created_.end()) - created_.begin();
    cookies_.erase(cookies_.begin() + oldest);
    created_.erase(created_.begin() + oldest);
  }
  cookies_.push_back(std::move(c));
  created_.push_back(next_++);
  return true;
}

std::string cookie_jar::header_for(const url& to, clock::time_point now) {
  for (std::size_t i = cookies_.size(); i-- > 0;) {
    if (cookies_[i].expires && *cookies_[i].expires <= now) {
      cookies_.erase(cookies_.begin() + static_cast<std::ptrdiff_t>(i));
      created_.erase(created_.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  std::vector<std::size_t> picked;
  const std::string& host = to.host();
  const bool secure = to.scheme() == "https";
  for (std::size_t i = 0; i < cookies_.size(); ++i) {
    const cookie& c = cookies_[i];
    if (c.host_only ? host != c.domain : !domain_match(host, c.domain)) continue;
    if (!path_match(to.path(), c.path)) continue;
    if (c.secure && !secure) continue;
    picked.push_back(i);
  }
  std::stable_sort(picked.begin(), picked.end(), [&](std::size_t a, std::size_t b) {
    if (cookies_[a].path.size() != cookies_[b].path.size()) return cookies_[a].path.size() > cookies_[b].path.size();
    return created_[a] < created_[b];
  });
  std::string out;
  for (std::size_t i : picked) {
    if (!out.empty()) out += "; ";
    out.append(cookies_[i].name).append("=").append(cookies_[i].value);
  }
  return out;
}

}  // namespace eddy::http
