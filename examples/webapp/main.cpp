// SPDX-License-Identifier: MIT
// The demo web app: the routes other tests and benchmarks rely on (see README "Web apps").
#include <eddy/eddy.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

using namespace eddy;
using namespace std::chrono_literals;
using http::request;
using http::response;

namespace {

// The JSON API's store: in memory, one per worker thread (workers share nothing).
struct item_store {
  std::map<std::int64_t, http::json> items;
  std::int64_t next_id = 1;
};
thread_local item_store store;

// Validates one field of a JSON object; throws 422 naming the field.
const http::json& field(const http::json& body, const char* name, bool (http::json::*is)() const,
                        const char* type) {
  const http::json* v = body.find(name);
  if (!v) throw http::error(422, std::string("missing field '") + name + "'");
  if (!(v->*is)()) throw http::error(422, std::string("field '") + name + "' must be " + type);
  return *v;
}

// Where an option's value came from, for the startup line: a flag beats the environment
// variable, which beats the default.
std::string source(const CLI::Option* opt, int argc, char** argv) {
  const std::string flag = opt->get_name(false, true).substr(0, opt->get_name(false, true).find(','));
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == flag || (a.size() > flag.size() && a.substr(0, flag.size() + 1) == flag + "=")) return "flag";
  }
  if (!opt->get_envname().empty() && std::getenv(opt->get_envname().c_str())) return "env " + opt->get_envname();
  return "default";
}

}  // namespace

int main(int argc, char** argv) {
  // Every setting is a flag or an environment variable (containers configure by environment);
  // a flag wins.
  CLI::App cli{"eddy demo web app"};
  http::serve_options options;
  options.port = 8000;
  std::string static_dir = "examples/webapp/static";
  std::int64_t shutdown_delay_ms = 0;
  std::int64_t graceful_timeout_ms = options.graceful_timeout.count();
  std::vector<CLI::Option*> shown{
      cli.add_option("--host", options.host, "address to listen on")->envname("EDDY_HOST"),
      cli.add_option("--port", options.port, "port to listen on (0 = any free port)")->envname("EDDY_PORT"),
      cli.add_option("--workers", options.workers, "worker threads (0 = one per core)")->envname("EDDY_WORKERS"),
      cli.add_option("--static", static_dir, "directory served under /static")->envname("EDDY_STATIC"),
      cli.add_flag("--access-log", options.access_log, "log one line per request")->envname("EDDY_ACCESS_LOG"),
      cli.add_option("--trusted-proxy", options.trusted_proxies,
                     "address or CIDR network whose X-Forwarded-For/Forwarded headers are believed (repeat, or comma-separate)")
          ->delimiter(',')->envname("EDDY_TRUSTED_PROXIES"),
      cli.add_option("--shutdown-delay-ms", shutdown_delay_ms,
                     "on SIGTERM, keep serving this long with /ready failing before draining")
          ->check(CLI::NonNegativeNumber)->envname("EDDY_SHUTDOWN_DELAY_MS"),
      cli.add_option("--graceful-timeout-ms", graceful_timeout_ms, "time in-flight requests get to finish on shutdown")
          ->check(CLI::NonNegativeNumber)->envname("EDDY_GRACEFUL_TIMEOUT_MS"),
  };
  cli.add_option("--tls-cert", options.tls_cert, "PEM certificate chain: serve HTTPS")->envname("EDDY_TLS_CERT");
  cli.add_option("--tls-key", options.tls_key, "PEM private key for --tls-cert")->envname("EDDY_TLS_KEY");
  for (auto* opt : shown) opt->capture_default_str();
  CLI11_PARSE(cli, argc, argv);
  options.shutdown_delay = std::chrono::milliseconds(shutdown_delay_ms);
  options.graceful_timeout = std::chrono::milliseconds(graceful_timeout_ms);
#ifdef EDDY_WEBAPP_STATIC_DIR
  if (!std::filesystem::is_directory(static_dir) && static_dir == "examples/webapp/static") {
    static_dir = EDDY_WEBAPP_STATIC_DIR;  // run from outside the source tree
  }
#endif

  // The effective configuration, one line, before anything else is printed.
  std::string config;
  for (auto* opt : shown) {
    std::string value;
    for (const auto& r : opt->results()) value += (value.empty() ? "" : ",") + r;
    if (opt->results().empty()) value = opt->get_default_str();
    if (opt->get_name() == "--access-log") value = options.access_log ? "true" : "false";
    if (opt->get_name() == "--static") value = static_dir;
    config += " " + opt->get_name().substr(2) + "=" + (value.empty() ? "\"\"" : value) + "(" + source(opt, argc, argv) + ")";
  }
  std::printf("eddy: app=webapp event=config%s\n", config.c_str());
  std::fflush(stdout);

  http::app app("webapp");
  app.health_checks("/health", "/ready");  // liveness and readiness probes
  app.expose_metrics("/metrics");          // Prometheus text format

  app.get("/", [](request&) -> task<response> { co_return response::redirect("/static/index.html"); });
  app.get("/plaintext", [](request&) -> task<response> { co_return response::text("Hello, World!"); });
  app.get("/json", [](request&) -> task<response> {
    co_return response::json({{"message", "Hello, World!"}});
  });
  app.post("/echo", [](request& req) -> task<response> {
    auto type = req.header("Content-Type").value_or("application/octet-stream");
    co_return response::bytes(std::string(req.body()), type);
  });
  app.get("/users/<id:int>", [](request& req) -> task<response> {
    co_return response::json({{"id", req.param<std::int64_t>("id")}, {"name", "user " + req.param<std::string>("id")}});
  }, {.name = "user"});

  app.post("/upload", [](request& req) -> task<response> {
    http::json parts = http::json::array();
    for (const auto& part : req.multipart()) {
      parts.push_back({{"name", part.name}, {"filename", part.filename}, {"bytes", part.data.size()}});
    }
    co_return response::json({{"parts", std::move(parts)}});
  });
  app.get("/stream", [](request& req) -> task<response> {
    auto& out = req.stream(200, "text/plain; charset=utf-8");
    for (int i = 1; i <= 10; ++i) co_await out.write("line " + std::to_string(i) + "\n");
    co_return out.finish();
  });
  app.get("/sse", [](request& req) -> task<response> {
    auto& out = req.stream(200, "text/event-stream");
    for (int i = 1; i <= 3; ++i) {
      co_await out.send_event("tick " + std::to_string(i), "tick", std::to_string(i));
      co_await sleep_for(100ms);
    }
    co_return out.finish();
  });

  auto& api = app.group("/api");
  api.post("/items", [](request& req) -> task<response> {
    http::json body = req.json();
    if (!body.is_object()) throw http::error(422, "body must be a JSON object");
    const auto& name = field(body, "name", &http::json::is_string, "a string");
    const auto& price = field(body, "price", &http::json::is_number, "a number");
    if (name.as_string().empty()) throw http::error(422, "field 'name' must not be empty");
    if (price.as_double() < 0) throw http::error(422, "field 'price' must not be negative");
    std::int64_t id = store.next_id++;
    http::json item{{"id", id}, {"name", name.as_string()}, {"price", price.as_double()}};
    store.items[id] = item;
    auto r = response::json(item, 201);
    r.header("Location", "/api/items/" + std::to_string(id));
    co_return r;
  });
  api.get("/items/<id:int>", [](request& req) -> task<response> {
    auto it = store.items.find(req.param<std::int64_t>("id"));
    if (it == store.items.end()) throw http::error(404, "no such item");
    co_return response::json(it->second);
  });

  app.static_files("/static", static_dir);
  try {
    app.run(options);
  } catch (const std::exception& e) {  // a bad address or trusted-proxy entry, a busy port
    std::fprintf(stderr, "webapp: %s\n", e.what());
    return 1;
  }
}
