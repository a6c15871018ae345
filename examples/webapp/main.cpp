// SPDX-License-Identifier: MIT
// The demo web app: the routes other tests and benchmarks rely on (see README "Web apps").
#include <eddy/eddy.hpp>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <map>
#include <string>

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"eddy demo web app"};
  http::serve_options options;
  options.port = 8000;
  std::string static_dir = "examples/webapp/static";
  cli.add_option("--host", options.host, "address to listen on")->capture_default_str();
  cli.add_option("--port", options.port, "port to listen on (0 = any free port)")->capture_default_str();
  cli.add_option("--workers", options.workers, "worker threads (0 = one per core)")->capture_default_str();
  cli.add_option("--static", static_dir, "directory served under /static")->capture_default_str();
  cli.add_flag("--access-log", options.access_log, "log one line per request");
  cli.add_option("--tls-cert", options.tls_cert, "PEM certificate chain: serve HTTPS");
  cli.add_option("--tls-key", options.tls_key, "PEM private key for --tls-cert");
  CLI11_PARSE(cli, argc, argv);
#ifdef EDDY_WEBAPP_STATIC_DIR
  if (!std::filesystem::is_directory(static_dir) && static_dir == "examples/webapp/static") {
    static_dir = EDDY_WEBAPP_STATIC_DIR;  // run from outside the source tree
  }
#endif

  http::app app("webapp");

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
  app.run(options);
}
