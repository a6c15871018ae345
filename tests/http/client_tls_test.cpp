// SPDX-License-Identifier: MIT
// The client over TLS against the project's own HTTPS server (`http::app` with a test PKI).
#include "eddy/http/client.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "client_test_support.hpp"
#include "eddy/core/when_all.hpp"
#include "support/test_certs.hpp"
#include "support/test_loop.hpp"

using eddy::task;
using eddy::test::local_app;
namespace http = eddy::http;

namespace {

class ClientTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki = std::make_unique<eddy::test::test_pki>();
    server_cert = pki->issue("server");
  }
  static void TearDownTestSuite() { pki.reset(); }
  static inline std::unique_ptr<eddy::test::test_pki> pki;
  static inline eddy::test::cert_files server_cert;
};

void add_routes(http::app& app) {
  app.get("/hello", [](http::request&) -> task<http::response> { co_return http::response::text("hello"); });
}

}  // namespace

TEST_F(ClientTls, ReusesVerifiedTlsConnectionsToTheAppServer) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("tls");
    add_routes(app);
    local_app srv(app, {.tls_cert = server_cert.cert, .tls_key = server_cert.key});
    std::string base = "https" + srv.base().substr(4);
    {
      http::client c({.max_per_host = 4, .tls = {.ca_file = pki->ca().cert}});
      int ok = 0;
      for (int i = 0; i < 20; ++i) {
        auto r = co_await c.get(base + "/hello");
        if (!r) {
          ADD_FAILURE() << r.error().message();
          break;
        }
        auto t = co_await r->text();
        if (t && *t == "hello") ++ok;
      }
      EXPECT_EQ(ok, 20);
      EXPECT_EQ(c.pool().opened_total(), 1u);
      auto worker = [&]() -> task<void> {
        for (int i = 0; i < 25; ++i) {
          auto r = co_await c.get(base + "/hello");
          if (r && co_await r->text()) ++ok;
        }
      };
      co_await eddy::when_all(worker(), worker(), worker(), worker());
      EXPECT_EQ(ok, 120);
      EXPECT_LE(c.pool().opened_total(), 4u);
    }
    co_await srv.stop();
  }());
}

TEST_F(ClientTls, RejectsAServerCertificateForAnotherName) {
  eddy::test::run_real([]() -> task<void> {
    auto other = pki->issue("other", {.common_name = "other.test", .alt_names = {"DNS:other.test"}});
    http::app app("tls");
    add_routes(app);
    local_app srv(app, {.tls_cert = other.cert, .tls_key = other.key});
    {
      http::client c({.tls = {.ca_file = pki->ca().cert}});
      auto r = co_await c.get("https" + srv.base().substr(4) + "/hello");
      EXPECT_FALSE(r);
      EXPECT_TRUE(!r && eddy::is_tls_error(r.error())) << (r ? "" : r.error().message());
      EXPECT_EQ(c.pool().open(), 0u);
    }
    co_await srv.stop();
  }());
}
