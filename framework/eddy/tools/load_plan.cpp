// SPDX-License-Identifier: MIT
#include "load_plan.hpp"

#include <cctype>
#include <fstream>
#include <iterator>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <eddy/http/json.hpp>
#include <eddy/http/url.hpp>

namespace eddy::tools {
namespace {

using http::json;

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (std::isalnum(c)) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos) return false;
  }
  return true;
}

bool has_header(const std::vector<std::string>& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (h.size() <= name.size() || h[name.size()] != ':') continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(h[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return true;
  }
  return false;
}

// `Name: value` with a token name and no CR/LF; returned as `Name: value` with the optional
// whitespace around the value trimmed.
std::string checked_header(const std::string& line) {
  const auto colon = line.find(':');
  if (colon == std::string::npos || !is_token(std::string_view(line).substr(0, colon)) ||
      line.find_first_of("\r\n") != std::string::npos) {
    throw std::invalid_argument("header '" + line + "' is not of the form 'Name: value'");
  }
  std::string_view value = std::string_view(line).substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return line.substr(0, colon) + ": " + std::string(value);
}

std::string read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(std::string(what) + ": cannot read '" + path + "'");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string body_of(const std::string& spec) {
  if (!spec.empty() && spec.front() == '@') return read_file(spec.substr(1), "--body");
  return spec;
}

http::url parse_url(const std::string& text) {
  auto u = http::url::parse(text);
  if (!u) throw std::invalid_argument("'" + text + "' is not a valid URL (example: http://127.0.0.1:8080/)");
  if (u->scheme() != "http" && u->scheme() != "https") {
    throw std::invalid_argument("'" + text + "': eddy load speaks http:// and https:// only (scheme '" + u->scheme() + "')");
  }
  return std::move(*u);
}

std::string host_header(const http::url& u) {
  return u.default_port() ? u.host() : u.host() + ":" + std::to_string(u.port());
}

// One context for the whole run: loading the system CA store takes tens of milliseconds.
tls_context client_context(const load_options& o) {
  tls_client_options t;
  // Like curl: --cacert replaces the system store; --insecure needs no store at all.
  t.use_system_ca = o.cacert.empty() && !o.insecure;
  t.ca_file = o.cacert;
  t.alpn = {"http/1.1"};
  t.insecure_skip_verify = o.insecure;
  t.handshake_timeout = o.timeout;
  t.release_idle_buffers = false;  // the connections are never idle
  try {
    return tls_context::client(t);
  } catch (const std::system_error& e) {
    throw std::invalid_argument(std::string(o.cacert.empty() ? "TLS" : "--cacert") + ": " + e.what());
  }
}

struct entry {
  std::string url;
  std::string method;
  std::vector<std::string> headers;
  std::string body;
  unsigned weight = 1;
};

const std::string& string_member(const json& o, const char* key, std::size_t i) {
  const json* v = o.find(key);
  if (!v->is_string()) {
    throw std::invalid_argument("scenario request " + std::to_string(i) + ": '" + key + "' must be a string");
  }
  return v->as_string();
}

std::vector<entry> read_scenario(const load_options& o) {
  json doc;
  try {
    doc = json::parse(read_file(o.scenario, "--scenario"));
  } catch (const http::json_parse_error& e) {
    throw std::invalid_argument("--scenario " + o.scenario + ": " + e.what());
  }
  const json* list = doc.is_object() ? doc.find("requests") : nullptr;
  if (!list || !list->is_array() || list->as_array().empty()) {
    throw std::invalid_argument("--scenario " + o.scenario + ": expected {\"requests\": [ {...}, ... ]} with at least one request");
  }
  std::vector<entry> out;
  std::size_t i = 0;
  for (const json& r : list->as_array()) {
    ++i;
    if (!r.is_object()) throw std::invalid_argument("scenario request " + std::to_string(i) + " is not an object");
    entry e;
    e.method = o.method;
    for (const auto& [key, value] : r.as_object()) {
      if (key == "url") {
        e.url = string_member(r, "url", i);
      } else if (key == "path") {
        if (o.url.empty()) throw std::invalid_argument("scenario request " + std::to_string(i) + ": 'path' needs a URL on the command line");
        const std::string& p = string_member(r, "path", i);
        if (p.empty() || p.front() != '/') throw std::invalid_argument("scenario request " + std::to_string(i) + ": 'path' must start with '/'");
        auto base = parse_url(o.url);
        e.url = base.scheme() + "://" + host_header(base) + p;
      } else if (key == "method") {
        e.method = string_member(r, "method", i);
      } else if (key == "body") {
        e.body = string_member(r, "body", i);
      } else if (key == "body_file") {
        e.body = read_file(string_member(r, "body_file", i), "scenario body_file");
      } else if (key == "headers") {
        if (value.is_object()) {
          for (const auto& [name, v] : value.as_object()) {
            if (!v.is_string()) throw std::invalid_argument("scenario request " + std::to_string(i) + ": header values must be strings");
            e.headers.push_back(name + ": " + v.as_string());
          }
        } else if (value.is_array()) {
          for (const json& h : value.as_array()) {
            if (!h.is_string()) throw std::invalid_argument("scenario request " + std::to_string(i) + ": headers must be strings");
            e.headers.push_back(h.as_string());
          }
        } else {
          throw std::invalid_argument("scenario request " + std::to_string(i) + ": 'headers' must be an object or an array");
        }
      } else if (key == "weight") {
        if (!value.is_int() || value.as_int() < 1 || value.as_int() > 1000) {
          throw std::invalid_argument("scenario request " + std::to_string(i) + ": 'weight' must be an integer from 1 to 1000");
        }
        e.weight = static_cast<unsigned>(value.as_int());
      } else {
        throw std::invalid_argument("scenario request " + std::to_string(i) + ": unknown key '" + key +
                                    "' (known: url, path, method, headers, body, body_file, weight)");
      }
    }
    if (e.url.empty()) {
      if (o.url.empty()) throw std::invalid_argument("scenario request " + std::to_string(i) + ": no 'url' or 'path'");
      e.url = o.url;
    }
    for (const auto& h : o.headers) e.headers.push_back(h);  // -H applies to every request
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::string serialize_load_request(const std::string& method, const std::string& host,
                                   const std::string& target, const std::vector<std::string>& headers,
                                   const std::string& body) {
  std::string out;
  out.reserve(128 + body.size());
  out += method;
  out += ' ';
  out += target;
  out += " HTTP/1.1\r\n";
  if (!has_header(headers, "host")) out += "Host: " + host + "\r\n";
  if (!has_header(headers, "user-agent")) out += "User-Agent: eddy-load\r\n";
  for (const auto& h : headers) out += h + "\r\n";
  if (!body.empty() && !has_header(headers, "content-length")) {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "\r\n";
  out += body;
  return out;
}

load_plan make_load_plan(const load_options& o) {
  std::vector<entry> entries;
  if (!o.scenario.empty()) {
    entries = read_scenario(o);
  } else {
    if (o.url.empty()) throw std::invalid_argument("a URL (or --scenario) is required");
    entries.push_back({o.url, o.method, o.headers, body_of(o.body), 1});
  }
  load_plan plan;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    entry& e = entries[i];
    auto u = parse_url(e.url);
    const bool https = u.scheme() == "https";
    if (i == 0) {
      plan.host = std::string(u.hostname());
      plan.port = u.port();
      if (https) plan.tls = client_context(o);
    } else if (u.hostname() != plan.host || u.port() != plan.port || https != plan.tls.has_value()) {
      throw std::invalid_argument("scenario: every request must go to the same scheme, host and port ('" + e.url + "' does not)");
    }
    if (!is_token(e.method)) throw std::invalid_argument("'" + e.method + "' is not an HTTP method");
    if (e.method == "CONNECT") throw std::invalid_argument("CONNECT cannot be load-tested");
    std::vector<std::string> headers;
    for (const auto& h : e.headers) headers.push_back(checked_header(h));
    load_request r;
    r.method = e.method;
    r.url = e.url;
    r.head = e.method == "HEAD";
    r.weight = e.weight;
    r.bytes = serialize_load_request(e.method, host_header(u), u.target(), headers, e.body);
    plan.requests.push_back(std::move(r));
  }
  // Smooth weighted round-robin (as nginx balances upstreams): spreads each request's turns.
  const unsigned total = std::accumulate(plan.requests.begin(), plan.requests.end(), 0u,
                                         [](unsigned s, const load_request& r) { return s + r.weight; });
  std::vector<long> current(plan.requests.size(), 0);
  for (unsigned n = 0; n < total; ++n) {
    std::size_t best = 0;
    for (std::size_t i = 0; i < plan.requests.size(); ++i) {
      current[i] += plan.requests[i].weight;
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    plan.order.push_back(static_cast<std::uint32_t>(best));
  }
  return plan;
}

}  // namespace eddy::tools
