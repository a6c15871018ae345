// SPDX-License-Identifier: MIT
// HTTP requests through the whole server connection logic (http/detail/connection.hpp) over
// the in-memory stream: parsing (llhttp), pipelining, 100-continue, chunked bodies, limits,
// path normalization, routing, the handlers' use of params, query, form, multipart, cookies
// and JSON, streamed responses, errors, HEAD, HTTP/1.0.
// Input: byte 0 picks the read chunk size (0: everything at once; n: n bytes per read), the
// rest is what the client sends before closing.
// Properties: the exchange ends (no hang: virtual time, the input ends); everything the
// server wrote parses as a sequence of HTTP/1.1 responses (checked when no request used HEAD,
// whose responses a parser cannot delimit without knowing the method).
#include "eddy/http/detail/connection.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "eddy/http/app.hpp"
#include "eddy/http/parser.hpp"
#include "eddy/http/response_stream.hpp"
#include "eddy/runtime/run.hpp"
#include "fuzz/fuzz_check.hpp"
#include "support/memory_stream.hpp"

namespace {

namespace http = eddy::http;
using eddy::task;
using http::request;
using http::response;

// A directory for the static route, made once per process and removed at exit.
struct static_dir {
  std::filesystem::path path;
  static_dir() {
    char tmpl[] = "/tmp/eddy-fuzz-static-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
    std::filesystem::create_directories(path / "sub");
    std::ofstream(path / "hello.txt") << "hello, static\n";
    std::ofstream(path / "sub" / "index.html") << "<p>index</p>\n";
  }
  ~static_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

http::app& the_app() {
  static static_dir dir;
  static http::app app("fuzz");
  static bool ready = [] {
    app.get("/", [](request&) -> task<response> { co_return response::text("root\n"); });
    app.get("/users/<id:int>", [](request& req) -> task<response> {
      co_return response::text(std::to_string(req.param<long long>("id")));
    });
    app.get("/files/<rest:path>", [](request& req) -> task<response> {
      co_return response::text(std::string(req.param<std::string_view>("rest")));
    });
    app.route(http::router::any_method, "/echo", [](request& req) -> task<response> {
      std::string out(req.method_name());
      out += ' ';
      out += req.target();
      out += '\n';
      for (std::size_t i = 0; i < req.header_count(); ++i) {
        auto [n, v] = req.header_at(i);
        out.append(n).append(": ").append(v).append("\n");
      }
      out += req.body();
      co_return response::text(std::move(out));
    });
    app.post("/json", [](request& req) -> task<response> { co_return response::json(req.json()); });
    app.post("/form", [](request& req) -> task<response> {
      co_return response::text(req.form("a").value_or("-") + req.query("q").value_or("-"));
    });
    app.post("/upload", [](request& req) -> task<response> {
      std::string out;
      for (const auto& p : req.multipart()) out.append(p.name).append("=").append(p.filename).append("\n");
      co_return response::text(std::move(out));
    });
    app.get("/cookie", [](request& req) -> task<response> {
      co_return response::text(std::string(req.cookie("session").value_or("none")));
    });
    app.get("/redirect", [](request& req) -> task<response> {
      co_return response::redirect(req.query("to").value_or("/"));
    });
    app.get("/header", [](request& req) -> task<response> {
      response r = response::text("h");
      r.header("X-Echo", req.query("v").value_or(""));
      co_return r;
    });
    app.get("/stream", [](request& req) -> task<response> {
      auto& out = req.stream(200);
      for (auto& v : req.query_all("part")) co_await out.write(v);
      co_return out.finish();
    });
    app.get("/teapot", [](request&) -> task<response> { throw http::error(418, "short and stout"); });
    app.get("/boom", [](request&) -> task<response> { throw std::runtime_error("handler bug"); });
    app.static_files("/static", dir.path.string());
    app.freeze();
    return true;
  }();
  (void)ready;
  return app;
}

task<std::string> exchange(std::string input, eddy::test::memory_stream_options options) {
  auto stream = eddy::test::memory_stream::from_input(std::move(input), std::move(options));
  http::detail::server_state state;
  state.application = &the_app();
  state.options.limits = {.max_target_bytes = 512, .max_head_bytes = 2048, .max_header_count = 20,
                          .max_body_bytes = 4096};
  state.options.server_name = "";
  {
    http::detail::connection<eddy::test::memory_stream> c(stream, state, "fuzz:1");
    co_await c.run();
  }
  co_return std::string(stream.output());
}

// Everything the server wrote must be well-formed responses, one after another.
void check_responses(std::string_view out) {
  http::parser p(http::parser::kind::response, http::parser_limits{.max_head_bytes = 1 << 20,
                                                                     .max_header_count = 1000,
                                                                     .max_body_bytes = ~std::uint64_t{0}});
  std::size_t at = 0;
  while (at < out.size()) {
    auto st = p.feed(out.data(), at, out.size());
    if (st.what == http::parser::event::error) {
      std::fprintf(stderr, "server output does not parse (%.*s) at %zu:\n%.*s\n",
                   static_cast<int>(p.error_reason().size()), p.error_reason().data(), at,
                   static_cast<int>(out.size()), out.data());
    }
    EDDY_FUZZ_CHECK(st.what != http::parser::event::error);
    if (st.consumed == 0 && st.what == http::parser::event::need_more) break;
    at += st.consumed;
  }
  // A close-delimited (HTTP/1.0 streamed) body ends here; anything else must be complete.
  auto end = p.finish();
  EDDY_FUZZ_CHECK(end.what != http::parser::event::error);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  eddy::test::memory_stream_options options;
  if (data[0] % 16 != 0) options.read_chunks = {static_cast<std::size_t>(data[0] % 16)};
  std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  bool has_head = input.find("HEAD") != std::string::npos;
  std::string out = eddy::run(exchange(std::move(input), std::move(options)),
                              {.cancel_on_sigint = false, .loop = {.virtual_time = true}});
  if (std::getenv("EDDY_FUZZ_DUMP")) std::fwrite(out.data(), 1, out.size(), stderr);
  if (!has_head) check_responses(out);
  return 0;
}
