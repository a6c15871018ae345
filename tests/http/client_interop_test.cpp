// SPDX-License-Identifier: MIT
// eddy-test-labels: integration
// The client against real peers on 127.0.0.1: Python's http.server (HTTP/1.0, one connection
// per request, redirects for directories), aiohttp's server (compression, cookies on a
// redirect, Expect: 100-continue, chunked streams) and `openssl s_server -www` (TLS,
// close-delimited).
#include "eddy/http/client.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "eddy/net/tls_context.hpp"
#include "support/child_process.hpp"
#include "eddy/runtime/sleep.hpp"
#include "support/test_certs.hpp"
#include "support/test_loop.hpp"

extern char** environ;

using namespace std::chrono_literals;
using eddy::task;
namespace http = eddy::http;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A shell command running in the background; killed when destroyed.
class process {
 public:
  explicit process(const std::string& command) {
    const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
    if (posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) pid_ = -1;
  }
  ~process() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  process(const process&) = delete;
  process& operator=(const process&) = delete;

 private:
  pid_t pid_ = -1;
};

/// Waits until `file` holds `marker` followed by a port number (up to a non-digit).
task<int> wait_for_port(const std::string& file, const std::string& marker) {
  for (int i = 0; i < 1000; ++i) {
    std::string text = slurp(file);
    if (auto at = text.find(marker); at != std::string::npos) {
      auto p = at + marker.size();
      auto e = text.find_first_not_of("0123456789", p);
      if (e != std::string::npos && e > p) co_return std::stoi(text.substr(p, e - p));
    }
    co_await eddy::sleep_for(10ms);
  }
  co_return 0;
}

task<std::string> text_of(eddy::result<http::client_response>& r) {
  if (!r) co_return "<error: " + r.error().message() + ">";
  auto t = co_await r->text();
  if (!t) co_return "<error: " + t.error().message() + ">";
  co_return *t;
}

class ClientInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki = std::make_unique<eddy::test::test_pki>();
    server_cert = pki->issue("server");
  }
  static void TearDownTestSuite() { pki.reset(); }
  static inline std::unique_ptr<eddy::test::test_pki> pki;
  static inline eddy::test::cert_files server_cert;
};

}  // namespace

TEST_F(ClientInterop, FetchesFilesDirectoriesAndMissingPathsFromPythonHttpServer) {
  eddy::test::run_real([]() -> task<void> {
    std::string dir = pki->dir() + "/www";
    std::filesystem::create_directories(dir + "/sub");
    std::ofstream(dir + "/cat.txt") << "meow";
    std::ofstream(dir + "/sub/index.html") << "<p>sub</p>";
    std::string out = pki->dir() + "/py.out";
    process py("exec python3 -u -m http.server 0 --bind 127.0.0.1 --directory " + dir + " > " + out + " 2>&1");
    int port = co_await wait_for_port(out, "port ");
    EXPECT_GT(port, 0) << slurp(out);
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    http::client c;
    auto a = co_await c.get(base + "/cat.txt");
    EXPECT_EQ(a ? a->version_minor() : -1, 0);
    { auto got = co_await text_of(a); EXPECT_EQ(got, "meow"); }
    auto b = co_await c.get(base + "/sub");  // 301 to /sub/
    EXPECT_TRUE(b);
    if (b) {
      EXPECT_EQ(b->history().size(), 1u);
      EXPECT_EQ(b->url().path(), "/sub/");
    }
    { auto got = co_await text_of(b); EXPECT_EQ(got, "<p>sub</p>"); }
    auto missing = co_await c.get(base + "/nope");
    EXPECT_EQ(missing ? missing->status() : 0, 404);
    auto h = co_await c.head(base + "/cat.txt");
    EXPECT_EQ(h ? h->content_length().value_or(0) : 0, 4u);
    EXPECT_EQ(c.pool().idle(), 0u);  // HTTP/1.0: no connection is kept for reuse
  }());
}

TEST_F(ClientInterop, VerifiesOpensslServerCertificatesAgainstACustomCa) {
  eddy::test::run_real([]() -> task<void> {
    std::string out = pki->dir() + "/s_server_www.out";
    process server("exec openssl s_server -accept 127.0.0.1:0 -www -cert " + server_cert.cert +
                   " -key " + server_cert.key + " > " + out + " 2>&1");
    int port = co_await wait_for_port(out, "ACCEPT 127.0.0.1:");
    EXPECT_GT(port, 0) << slurp(out);
    std::string u = "https://localhost:" + std::to_string(port) + "/";
    {
      http::client trusted({.tls = {.ca_file = pki->ca().cert}});
      auto r = co_await trusted.get(u);
      EXPECT_TRUE(r) << r.error().message();
      EXPECT_EQ(r ? r->status() : 0, 200);
      auto body = co_await text_of(r);
      EXPECT_NE(body.find("Ciphers"), std::string::npos) << body;
    }
    {
      http::client system_only;  // the test CA is not in the system store
      auto r = co_await system_only.get(u);
      EXPECT_FALSE(r);
      EXPECT_TRUE(eddy::is_tls_error(r.error())) << r.error().message();
      EXPECT_NE(r.error().message().find("certificate verify failed"), std::string::npos)
          << r.error().message();
    }
    {
      // The certificate names localhost and 127.0.0.1 only.
      http::client trusted({.tls = {.ca_file = pki->ca().cert}});
      auto r = co_await trusted.get("https://127.0.0.2:" + std::to_string(port) + "/");
      EXPECT_FALSE(r);
      EXPECT_TRUE(!r && (eddy::is_tls_error(r.error()) || r.error() == std::errc::connection_refused))
          << r.error().message();
    }
    {
      http::client insecure({.tls = {.insecure_skip_verify = true}});
      auto r = co_await insecure.get(u);
      EXPECT_EQ(r ? r->status() : 0, 200) << (r ? "" : r.error().message());
    }
  }());
}

namespace {

constexpr const char* aiohttp_server = R"(
import asyncio
from aiohttp import web

async def gz(req):
    r = web.Response(text="meow " * 2000)
    r.enable_compression()
    return r

async def login(req):
    r = web.HTTPFound("/whoami")
    r.set_cookie("sid", "py42")
    raise r

async def whoami(req):
    return web.Response(text=req.cookies.get("sid", "-"))

async def upload(req):
    data = await req.read()
    return web.Response(text=f"{len(data)} {req.headers.get('Expect', '-')}")

async def stream(req):
    resp = web.StreamResponse()
    await resp.prepare(req)
    for i in range(100):
        await resp.write(b"x" * 1000)
    await resp.write_eof()
    return resp

async def main():
    app = web.Application()
    app.router.add_get("/gz", gz)
    app.router.add_get("/login", login)
    app.router.add_get("/whoami", whoami)
    app.router.add_post("/upload", upload)
    app.router.add_get("/stream", stream)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print("port %d." % site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
)";

}  // namespace

TEST_F(ClientInterop, TalksToAiohttpServerAboutCompressionCookiesUploadsAndStreams) {
  auto py = eddy::test::python_with_aiohttp();
  if (!py) GTEST_SKIP() << "python3-aiohttp is not installed";
  std::string script = pki->dir() + "/aiohttp_server.py";
  std::ofstream(script) << aiohttp_server;
  std::string out = pki->dir() + "/aiohttp.out";
  process server("exec " + *py + " -u " + script + " > " + out + " 2>&1");
  eddy::test::run_real([&]() -> task<void> {
    int port = co_await wait_for_port(out, "port ");
    EXPECT_GT(port, 0) << slurp(out);
    if (port <= 0) co_return;
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    http::client c({.cookies = true, .expect_continue_min_bytes = 1024});
    auto g = co_await c.get(base + "/gz");
    std::string coding = g ? std::string(g->headers().get("Content-Encoding").value_or("-")) : "-";
    EXPECT_TRUE(coding == "gzip" || coding == "deflate") << coding;
    std::string meow = co_await text_of(g);
    EXPECT_TRUE(meow.size() == 10000 && meow.substr(0, 5) == "meow ") << meow.substr(0, 40);
    auto who = co_await c.get(base + "/login");
    std::string sid = co_await text_of(who);
    EXPECT_EQ(sid, "py42");
    http::request_options up{.body = std::string(200000, 'u')};
    auto u = co_await c.post(base + "/upload", std::move(up));
    std::string uploaded = co_await text_of(u);
    EXPECT_EQ(uploaded, "200000 100-continue");
    auto s = co_await c.get(base + "/stream");
    std::string streamed = co_await text_of(s);
    EXPECT_EQ(streamed, std::string(100000, 'x'));
    EXPECT_EQ(c.pool().opened_total(), 1u);  // keep-alive throughout
  }());
}
