// SPDX-License-Identifier: MIT
// `eddy serve DIR`: a static file server (python -m http.server, but fast and traversal-proof).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "command.hpp"
#include "eddy/http/app.hpp"
#include "eddy/http/static_files.hpp"
#include "eddy/http/url_codec.hpp"

namespace eddy::tools {
namespace {

struct serve_settings {
  std::string directory = ".";
  http::serve_options server;
  bool listings = true;
};

void html_escape(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
}

// A directory listing: names are HTML-escaped and links percent-encoded, so a file called
// `<script>` is shown, not run.
http::response listing(std::string_view url_path, const std::filesystem::path& dir) {
  std::vector<std::pair<std::string, bool>> entries;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // hidden files stay hidden
    entries.emplace_back(std::move(name), e.is_directory(ec));
  }
  if (ec) throw http::error(403, "directory cannot be listed");
  std::sort(entries.begin(), entries.end());
  std::string html = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Index of ";
  html_escape(html, url_path);
  html += "</title></head>\n<body>\n<h1>Index of ";
  html_escape(html, url_path);
  html += "</h1>\n<ul>\n";
  if (url_path != "/") html += "<li><a href=\"../\">../</a></li>\n";
  for (const auto& [name, is_dir] : entries) {
    std::string href;
    http::percent_encode(name, href);
    if (is_dir) href += '/';
    html += "<li><a href=\"";
    html += href;
    html += "\">";
    html_escape(html, name);
    if (is_dir) html += '/';
    html += "</a></li>\n";
  }
  html += "</ul>\n</body></html>\n";
  return http::response::html(std::move(html));
}

int run_serve(const serve_settings& s) {
  std::error_code ec;
  if (!std::filesystem::is_directory(s.directory, ec)) {
    std::fprintf(stderr, "eddy serve: '%s' is not a directory\n", s.directory.c_str());
    return 2;
  }
  const std::string root = std::filesystem::canonical(s.directory).string();
  http::app app("serve");
  const bool listings = s.listings;
  auto serve_path = [root, listings](http::request& req) -> task<http::response> {
    std::string_view path = req.path();  // decoded, dot segments resolved
    std::string_view relative = path.substr(1);
    std::optional<std::string> resolved =
        relative.empty() ? std::optional<std::string>(root) : http::resolve_static_path(root, relative, true);
    if (!resolved) throw http::error(404);
    if (std::filesystem::is_directory(*resolved)) {
      if (!path.empty() && path.back() != '/') {
        // Relative links in the page need the trailing slash (as python's server does).
        co_return http::response::redirect(std::string(path) + "/", 301);
      }
      if (auto index = http::resolve_static_path(*resolved, "index.html")) {
        co_return http::file_response(req, *index);
      }
      if (!listings) throw http::error(403, "directory listing is off");
      co_return listing(path, *resolved);
    }
    co_return http::file_response(req, *resolved);
  };
  const auto methods = http::router::bit(http::method::get) | http::router::bit(http::method::head);
  app.route(methods, "/", serve_path);
  app.route(methods, "/<rest:path>", serve_path);
  std::printf("eddy serve: %s\n", root.c_str());
  app.run(s.server);
  return 0;
}

const bool registered = register_command({
    "serve", "Serve a directory's files over HTTP (like python -m http.server)", [](CLI::App& app) {
      auto s = std::make_shared<serve_settings>();
      s->server.port = 8000;
      s->server.workers = 0;
      app.add_option("directory", s->directory, "directory to serve")->capture_default_str();
      app.add_option("--host", s->server.host, "address to listen on")->capture_default_str();
      app.add_option("--port,-p", s->server.port, "port (0 = any free port)")->capture_default_str();
      app.add_option("--workers", s->server.workers, "worker threads (0 = one per core)")->capture_default_str();
      app.add_flag("--access-log", s->server.access_log, "log one line per request");
      app.add_flag("!--no-listing", s->listings, "answer 403 instead of listing directories");
      app.add_option("--tls-cert", s->server.tls_cert, "PEM certificate chain: serve HTTPS");
      app.add_option("--tls-key", s->server.tls_key, "PEM private key for --tls-cert");
      return [s] { return run_serve(*s); };
    }});

}  // namespace
}  // namespace eddy::tools
