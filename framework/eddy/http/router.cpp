// SPDX-License-Identifier: MIT
#include "eddy/http/router.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

#include "eddy/http/detail/byte_scan.hpp"

namespace eddy::http {
namespace {

constexpr std::size_t no_route = static_cast<std::size_t>(-1);
constexpr std::size_t method_count = 10;

// Built-in types, in the order they are tried at one position (most specific first). Custom
// converters sit between uuid and alpha.
enum builtin : int { t_int, t_float, t_uuid, t_custom, t_alpha, t_slug, t_str, t_path };

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool accept_int(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  return !s.empty() && s.size() <= 19 && std::all_of(s.begin(), s.end(), is_digit);
}
bool accept_float(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  bool digits = false, dot = false;
  for (char c : s) {
    if (is_digit(c)) digits = true;
    else if (c == '.' && !dot) dot = true;
    else return false;
  }
  return digits;
}
bool accept_alpha(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_alpha); }
bool accept_slug(std::string_view s) {
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  char prev = 0;
  for (char c : s) {
    bool ok = is_digit(c) || (c >= 'a' && c <= 'z') || (c == '-' && prev != '-');
    if (!ok) return false;
    prev = c;
  }
  return true;
}
bool accept_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}
bool accept_str(std::string_view s) { return !s.empty(); }

int builtin_type(std::string_view t) {
  if (t.empty() || t == "str" || t == "string") return t_str;
  if (t == "int") return t_int;
  if (t == "float" || t == "number") return t_float;
  if (t == "alpha") return t_alpha;
  if (t == "slug") return t_slug;
  if (t == "uuid") return t_uuid;
  if (t == "path") return t_path;
  return -1;
}

[[noreturn]] void bad(std::string_view pattern, std::string_view why) {
  throw std::invalid_argument("route '" + std::string(pattern) + "': " + std::string(why));
}

struct segment {
  bool is_param = false;
  std::string text;  // static text, or the parameter name
  int type = t_str;
  int custom = -1;   // index into custom_types_ for t_custom
};

}  // namespace

struct router::node {
  struct param_edge {
    int type;
    int custom;
    std::string name;
    std::unique_ptr<node> child;
  };
  std::map<std::string, std::unique_ptr<node>, std::less<>> statics;
  std::vector<param_edge> params;  // sorted by (type, custom)
  std::array<std::size_t, method_count> routes;
  std::uint32_t methods = 0;
  node() { routes.fill(no_route); }
};

router::router(bool strict_slashes) : root_(std::make_unique<node>()), strict_slashes_(strict_slashes) {}
router::~router() = default;
router::router(router&&) noexcept = default;
router& router::operator=(router&&) noexcept = default;

void router::add_type(std::string name, std::function<bool(std::string_view)> accept) {
  if (frozen_) throw std::invalid_argument("router: add_type after the routes were frozen");
  if (builtin_type(name) >= 0) throw std::invalid_argument("router: type '" + name + "' is built in");
  for (auto& [n, f] : custom_types_)
    if (n == name) throw std::invalid_argument("router: type '" + name + "' already registered");
  custom_types_.emplace_back(std::move(name), std::move(accept));
}

std::size_t router::add(std::uint32_t methods, std::string_view pattern, std::string_view name) {
  if (frozen_) bad(pattern, "routes are frozen once the app has started");
  if (pattern.empty() || pattern[0] != '/') bad(pattern, "must start with '/'");
  if (methods == 0) bad(pattern, "no methods given");
  if (!name.empty() && names_.count(name)) bad(pattern, "the route name '" + std::string(name) + "' is taken");

  // Parse into segments.
  std::vector<segment> segs;
  std::string_view rest = pattern.substr(1);
  if (!strict_slashes_ && !rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::size_t param_count = 0;
  if (!rest.empty() || strict_slashes_) {
    while (true) {
      auto slash = rest.find('/');
      std::string_view s = rest.substr(0, slash);
      segment seg;
      if (!s.empty() && s.front() == '<') {
        if (s.back() != '>') bad(pattern, "unclosed '<' in segment '" + std::string(s) + "'");
        std::string_view inner = s.substr(1, s.size() - 2);
        auto colon = inner.find(':');
        std::string_view pname = inner.substr(0, colon);
        std::string_view ptype = colon == std::string_view::npos ? std::string_view{} : inner.substr(colon + 1);
        if (pname.empty()) bad(pattern, "parameter without a name");
        if (!std::all_of(pname.begin(), pname.end(), [](char c) { return is_alpha(c) || is_digit(c) || c == '_'; }))
          bad(pattern, "bad parameter name '" + std::string(pname) + "'");
        seg.is_param = true;
        seg.text = pname;
        seg.type = builtin_type(ptype);
        if (seg.type < 0) {
          for (std::size_t i = 0; i < custom_types_.size(); ++i)
            if (custom_types_[i].first == ptype) seg.custom = static_cast<int>(i);
          if (seg.custom < 0) bad(pattern, "unknown parameter type '" + std::string(ptype) + "'");
          seg.type = t_custom;
        }
        for (auto& other : segs)
          if (other.is_param && other.text == seg.text) bad(pattern, "parameter '" + seg.text + "' appears twice");
        if (++param_count > 8) bad(pattern, "more than 8 parameters");
      } else {
        if (s.find_first_of("<>") != std::string_view::npos) bad(pattern, "'<' and '>' must enclose a whole segment");
        if (s.empty() && slash != std::string_view::npos) bad(pattern, "empty segment ('//')");
        seg.text = s;
      }
      if (!segs.empty() && segs.back().is_param && segs.back().type == t_path) bad(pattern, "a <path> parameter must be last");
      segs.push_back(std::move(seg));
      if (slash == std::string_view::npos) break;
      rest.remove_prefix(slash + 1);
    }
  }

  // Insert into the tree.
  node* n = root_.get();
  for (auto& seg : segs) {
    if (!seg.is_param) {
      auto it = n->statics.find(seg.text);
      if (it == n->statics.end()) it = n->statics.emplace(seg.text, std::make_unique<node>()).first;
      n = it->second.get();
      continue;
    }
    auto it = std::find_if(n->params.begin(), n->params.end(), [&](const node::param_edge& e) {
      return e.type == seg.type && e.custom == seg.custom;
    });
    if (it != n->params.end()) {
      if (it->name != seg.text) {
        bad(pattern, "parameter '<" + seg.text + ">' is ambiguous with '<" + it->name +
                         ">' of the same type at the same position");
      }
      n = it->child.get();
      continue;
    }
    node::param_edge e{seg.type, seg.custom, seg.text, std::make_unique<node>()};
    node* child = e.child.get();
    n->params.push_back(std::move(e));
    std::sort(n->params.begin(), n->params.end(), [](const auto& a, const auto& b) {
      return a.type != b.type ? a.type < b.type : a.custom < b.custom;
    });
    n = child;
  }
  if (n->methods & methods) {
    for (std::size_t m = 0; m < method_count; ++m) {
      if ((methods & (1u << m)) && n->routes[m] != no_route) {
        bad(pattern, std::string(to_string(static_cast<method>(m))) + " is already routed by '" +
                         routes_[n->routes[m]].pattern + "'");
      }
    }
  }
  std::size_t id = routes_.size();
  routes_.push_back({std::string(pattern), std::string(name), methods});
  if (!name.empty()) names_.emplace(std::string(name), id);
  for (std::size_t m = 0; m < method_count; ++m)
    if (methods & (1u << m)) n->routes[m] = id;
  n->methods |= methods;
  methods_ |= methods;
  return id;
}

std::uint32_t router::methods() const noexcept {
  return methods_ & bit(method::get) ? methods_ | bit(method::head) : methods_;
}

namespace {

struct matcher {
  const std::vector<std::pair<std::string, std::function<bool(std::string_view)>>>& custom;
  std::size_t method_index;
  route_match& out;
  const router::node* first_leaf = nullptr;

  bool accept(int type, int custom_index, std::string_view s) const {
    switch (type) {
      case t_int: return accept_int(s);
      case t_float: return accept_float(s);
      case t_uuid: return accept_uuid(s);
      case t_custom: return !s.empty() && custom[static_cast<std::size_t>(custom_index)].second(s);
      case t_alpha: return accept_alpha(s);
      case t_slug: return accept_slug(s);
      case t_str: return accept_str(s);
      default: return false;
    }
  }

  // `rest` is what follows the '/' of the current position, or nullopt at the end of path.
  const router::node* walk(const router::node* n, std::optional<std::string_view> rest) {
    if (!rest) {
      if (n->methods == 0) return nullptr;
      if (!first_leaf) first_leaf = n;
      return n->routes[method_index] != no_route ? n : nullptr;
    }
    auto slash = rest->find('/');
    std::string_view seg = rest->substr(0, slash);
    std::optional<std::string_view> next;
    if (slash != std::string_view::npos) next = rest->substr(slash + 1);
    if (auto it = n->statics.find(seg); it != n->statics.end()) {
      if (auto* leaf = walk(it->second.get(), next)) return leaf;
    }
    for (const auto& e : n->params) {
      std::size_t mark = out.param_count;
      if (e.type == t_path) {
        if (rest->empty()) continue;
        out.params[out.param_count++] = {e.name, *rest};
        if (auto* leaf = walk(e.child.get(), std::nullopt)) return leaf;
      } else if (accept(e.type, e.custom, seg)) {
        out.params[out.param_count++] = {e.name, seg};
        if (auto* leaf = walk(e.child.get(), next)) return leaf;
      }
      out.param_count = mark;
    }
    return nullptr;
  }
};

}  // namespace

namespace {
// Hashed once per request, a word at a time (a multiply and a rotate per word; the last
// word overlaps the one before, and a path under 8 bytes is one `short_word`), mixed with
// the length, which tells the overlaps apart. Paths are short.
std::size_t path_hash(std::string_view s) noexcept {
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
  const auto mix = [&h](std::uint64_t w) { h = std::rotl((h ^ w) * 0xFF51AFD7ED558CCDull, 29); };
  const char* p = s.data();
  const std::size_t n = s.size();
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 <= n; i += 8) mix(detail::load8(p + i));
    if (n % 8 != 0) mix(detail::load8(p + n - 8));
  } else if (n > 0) {
    mix(detail::short_word(p, n));
  }
  h ^= h >> 32;
  return static_cast<std::size_t>(h * 0xC4CEB9FE1A85EC53ull >> 16);
}
}  // namespace

void router::freeze() noexcept {
  if (frozen_) return;
  frozen_ = true;
  try {
    // Every node with routes that the root reaches through static segments, keyed by the
    // segments joined with '/': exactly the text `match` walks for such a path.
    std::vector<std::pair<std::string, const node*>> found;
    auto collect = [&](auto& self, const node* n, const std::string& prefix, bool top) -> void {
      for (const auto& [seg, child] : n->statics) {
        std::string path = top ? seg : prefix + "/" + seg;
        if (child->methods != 0) found.emplace_back(path, child.get());
        self(self, child.get(), path, false);
      }
    };
    collect(collect, root_.get(), std::string(), true);
    std::size_t slots = 8;
    while (slots < 2 * found.size()) slots *= 2;
    std::vector<static_slot> table(found.empty() ? 0 : slots);
    for (auto& [path, leaf] : found) {
      std::size_t i = path_hash(path) & (slots - 1);
      while (table[i].leaf) i = (i + 1) & (slots - 1);
      table[i] = {std::move(path), leaf};
    }
    static_paths_ = std::move(table);
  } catch (...) {
    static_paths_.clear();  // out of memory: every path takes the tree walk
  }
}

route_match router::match(method m, std::string_view path) const {
  route_match out;
  match(m, path, out);
  return out;
}

void router::match(method m, std::string_view path, route_match& out) const {
  out.result = route_match::kind::not_found;
  out.route = 0;
  out.param_count = 0;
  out.allowed = 0;
  if (path.empty() || path[0] != '/') return;
  std::string_view rest = path.substr(1);
  if (!strict_slashes_ && !rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::optional<std::string_view> start;
  if (!rest.empty() || strict_slashes_) start = rest;
  if (start && !static_paths_.empty()) {
    // A static path with a route for this very method is what the walk below would find
    // first (static segments are tried before parameters at every position); anything else
    // (a parameter, HEAD served by GET, 404, 405) takes the walk.
    const std::size_t mask = static_paths_.size() - 1;
    for (std::size_t i = path_hash(*start) & mask; static_paths_[i].leaf; i = (i + 1) & mask) {
      const static_slot& s = static_paths_[i];
      if (s.path.size() != start->size() || !detail::equal_bytes(s.path.data(), start->data(), start->size())) continue;
      const std::size_t id = s.leaf->routes[static_cast<std::size_t>(m)];
      if (id == no_route) break;
      out.result = route_match::kind::found;
      out.route = id;
      out.allowed = s.leaf->methods;
      return;
    }
  }

  auto try_method = [&](method mm) -> const node* {
    out.param_count = 0;
    matcher w{custom_types_, static_cast<std::size_t>(mm), out};
    const node* leaf = w.walk(root_.get(), start);
    if (!leaf && w.first_leaf) out.allowed = w.first_leaf->methods;
    return leaf;
  };
  const node* leaf = try_method(m);
  if (!leaf && m == method::head) leaf = try_method(method::get);  // HEAD is served by GET
  if (leaf) {
    std::size_t idx = static_cast<std::size_t>(leaf->routes[static_cast<std::size_t>(m)] != no_route ? m : method::get);
    out.result = route_match::kind::found;
    out.route = leaf->routes[idx];
    out.allowed = leaf->methods;
    return;
  }
  out.param_count = 0;
  if (out.allowed) {
    if (out.allowed & bit(method::get)) out.allowed |= bit(method::head);
    out.result = route_match::kind::method_not_allowed;
  }
}

const std::string& router::pattern(std::size_t route) const { return routes_.at(route).pattern; }

namespace {
void percent_encode(std::string& out, std::string_view s, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    bool unreserved = is_alpha(static_cast<char>(c)) || is_digit(static_cast<char>(c)) ||
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
}  // namespace

std::string router::url_for(std::string_view name,
                            const std::vector<std::pair<std::string, std::string>>& params) const {
  auto it = names_.find(name);
  if (it == names_.end()) throw std::invalid_argument("url_for: no route named '" + std::string(name) + "'");
  const std::string& pattern = routes_[it->second].pattern;
  std::vector<bool> used(params.size(), false);
  std::string out;
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] != '<') {
      out += pattern[i++];
      continue;
    }
    auto close = pattern.find('>', i);
    std::string_view inner(pattern.data() + i + 1, close - i - 1);
    auto colon = inner.find(':');
    std::string_view pname = inner.substr(0, colon);
    std::string_view ptype = colon == std::string_view::npos ? std::string_view{} : inner.substr(colon + 1);
    std::size_t k = 0;
    while (k < params.size() && params[k].first != pname) ++k;
    if (k == params.size()) throw std::invalid_argument("url_for('" + std::string(name) + "'): missing parameter '" + std::string(pname) + "'");
    used[k] = true;
    const std::string& value = params[k].second;
    int type = builtin_type(ptype);
    bool ok = true;
    switch (type) {
      case t_int: ok = accept_int(value); break;
      case t_float: ok = accept_float(value); break;
      case t_uuid: ok = accept_uuid(value); break;
      case t_alpha: ok = accept_alpha(value); break;
      case t_slug: ok = accept_slug(value); break;
      case t_str: case t_path: ok = !value.empty(); break;
      default:
        for (auto& [cn, f] : custom_types_)
          if (cn == ptype) ok = f(value);
    }
    if (!ok) throw std::invalid_argument("url_for('" + std::string(name) + "'): '" + value + "' is not a valid " + std::string(ptype.empty() ? "str" : ptype));
    percent_encode(out, value, type == t_path);
    i = close + 1;
  }
  // Parameters the pattern does not use become the query string (as Sanic's url_for does).
  char sep = '?';
  for (std::size_t k = 0; k < params.size(); ++k) {
    if (used[k]) continue;
    out += sep;
    sep = '&';
    percent_encode(out, params[k].first, false);
    out += '=';
    percent_encode(out, params[k].second, false);
  }
  return out;
}

std::string allow_header(std::uint32_t allowed) {
  std::string out;
  for (std::size_t m = 0; m < method_count - 1; ++m) {
    if (!(allowed & (1u << m))) continue;
    if (!out.empty()) out += ", ";
    out += to_string(static_cast<method>(m));
  }
  return out;
}

}  // namespace eddy::http
