// SPDX-License-Identifier: MIT
// eddy-test-labels: integration
#include "eddy/net/tls_stream.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include <eddy/net/address.hpp>
#include <eddy/net/tcp_listener.hpp>
#include <eddy/net/tcp_stream.hpp>
#include <eddy/runtime/sleep.hpp>

#include "support/test_certs.hpp"
#include "support/test_loop.hpp"

extern char** environ;

using namespace eddy;
using namespace std::chrono_literals;

// Our TLS against OpenSSL's own command-line peers, over real TCP on 127.0.0.1.

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A shell command running in the background.
class process {
 public:
  explicit process(const std::string& command) {
    const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
    if (posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
      pid_ = -1;
    }
  }
  ~process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  /// Waits for the exit status (polling, so the loop keeps serving); -1 after `limit`.
  task<int> wait(std::chrono::milliseconds limit = 20s) {
    for (auto waited = 0ms; waited < limit; waited += 10ms) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        co_return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      co_await sleep_for(10ms);
    }
    co_return -1;
  }

 private:
  pid_t pid_ = -1;
};

/// Waits until `file` mentions "ACCEPT host:port" (openssl s_server) and returns the port.
task<int> wait_for_port(const std::string& file) {
  for (int i = 0; i < 1000; ++i) {
    std::string text = slurp(file);
    if (auto at = text.find("ACCEPT "); at != std::string::npos) {
      auto colon = text.find(':', at);
      auto end = text.find('\n', at);
      if (colon != std::string::npos && end != std::string::npos) {
        co_return std::stoi(text.substr(colon + 1, end - colon - 1));
      }
    }
    co_await sleep_for(10ms);
  }
  co_return 0;
}

template <class S>
task<std::string> read_line(tls_stream<S>& s) {
  std::string line;
  char c;
  while (line.empty() || line.back() != '\n') {
    auto n = co_await s.read_some(std::span<char>(&c, 1));
    if (!n || *n == 0) break;
    line.push_back(c);
  }
  co_return line;
}

template <class S>
task<result<void>> write_all(tls_stream<S>& s, std::string_view data) {
  while (!data.empty()) {
    auto n = co_await s.write_some(data);
    if (!n) co_return n.error();
    data.remove_prefix(*n);
  }
  co_return result<void>{};
}

class TlsInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki = new test::test_pki();
    server_cert = pki->issue("server");
    expired_cert = pki->issue("expired", {.valid_from = -3 * 86400, .valid_until = -86400});
  }
  static void TearDownTestSuite() { delete pki; }

  // Our server answers one line from `openssl s_client <flags>` and closes with close_notify.
  // Returns {server's negotiated version, ALPN, what s_client printed, its exit status}.
  struct served {
    std::string version, alpn, client_output;
    int exit_status = -1;
  };
  static served serve_s_client(const std::string& flags) {
    return test::run_real([&]() -> task<served> {
      served out;
      tcp_listener listener(address::ipv4_loopback(0));
      std::string outfile = pki->dir() + "/s_client.out";
      process client("printf 'hello\\n' | openssl s_client -connect 127.0.0.1:" +
                     std::to_string(listener.local_address().port()) + " -CAfile " +
                     pki->ca().cert + " -verify_return_error -quiet " + flags + " > " +
                     outfile + " 2>&1");
      auto conn = co_await listener.accept();
      EXPECT_TRUE(conn.has_value());
      if (!conn) co_return out;
      tls_stream<tcp_stream> tls(std::move(*conn),
                                 tls_context::server({.certificate_chain_file = server_cert.cert,
                                                      .private_key_file = server_cert.key,
                                                      .alpn = {"http/1.1"}}));
      auto hs = co_await tls.handshake();
      EXPECT_TRUE(hs.has_value()) << hs.error().message();
      if (hs) {
        out.version = std::string(tls.protocol_version());
        out.alpn = std::string(tls.alpn_selected());
        std::string line = co_await read_line(tls);
        EXPECT_EQ(line, "hello\n");
        auto w = co_await write_all(tls, "echo:" + line);
        EXPECT_TRUE(w.has_value());
        auto bye = co_await tls.shutdown();
        EXPECT_TRUE(bye.has_value()) << bye.error().message();
      }
      out.exit_status = co_await client.wait();
      out.client_output = slurp(outfile);
      co_return out;
    }());
  }

  inline static test::test_pki* pki = nullptr;
  inline static test::cert_files server_cert, expired_cert;
};

}  // namespace

TEST_F(TlsInterop, OpenSslClientTalksToOurServerOverTls13) {
  auto r = serve_s_client("-servername localhost -verify_hostname localhost -alpn h2,http/1.1");
  EXPECT_EQ(r.version, "TLSv1.3");
  EXPECT_EQ(r.alpn, "http/1.1");
  EXPECT_NE(r.client_output.find("echo:hello"), std::string::npos) << r.client_output;
  EXPECT_EQ(r.exit_status, 0) << r.client_output;
}

TEST_F(TlsInterop, OpenSslClientTalksToOurServerOverTls12) {
  auto r = serve_s_client("-tls1_2 -servername localhost -verify_hostname localhost");
  EXPECT_EQ(r.version, "TLSv1.2");
  EXPECT_NE(r.client_output.find("echo:hello"), std::string::npos) << r.client_output;
  EXPECT_EQ(r.exit_status, 0) << r.client_output;
}

TEST_F(TlsInterop, OurServerRefusesTls11) {
  test::run_real([]() -> task<void> {
    tcp_listener listener(address::ipv4_loopback(0));
    std::string outfile = pki->dir() + "/s_client_old.out";
    // Allow the old protocol on the client side (security level 0) so that the refusal is ours.
    process client("printf 'hello\\n' | openssl s_client -connect 127.0.0.1:" +
                   std::to_string(listener.local_address().port()) +
                   " -tls1_1 -cipher DEFAULT@SECLEVEL=0 -quiet > " + outfile + " 2>&1");
    auto conn = co_await listener.accept();
    EXPECT_TRUE(conn.has_value());
    if (!conn) co_return;
    tls_stream<tcp_stream> tls(std::move(*conn),
                               tls_context::server({.certificate_chain_file = server_cert.cert,
                                                    .private_key_file = server_cert.key}));
    auto hs = co_await tls.handshake();
    EXPECT_FALSE(hs.has_value());
    EXPECT_TRUE(is_tls_error(hs.error()) || hs.error() == errc::unexpected_eof);
    if (!hs) std::printf("our server says: %s\n", hs.error().message().c_str());
    EXPECT_NE(co_await client.wait(), 0);
  }());
}

TEST_F(TlsInterop, OurClientTalksToOpenSslServer) {
  test::run_real([]() -> task<void> {
    std::string outfile = pki->dir() + "/s_server.out";
    process server("openssl s_server -accept 127.0.0.1:0 -naccept 1 -rev -alpn http/1.1 -cert " +
                   server_cert.cert + " -key " + server_cert.key + " > " + outfile + " 2>&1");
    int port = co_await wait_for_port(outfile);
    EXPECT_GT(port, 0);
    auto conn = co_await tcp_stream::connect(address::ipv4_loopback(static_cast<uint16_t>(port)));
    EXPECT_TRUE(conn.has_value());
    if (!conn) co_return;
    tls_stream<tcp_stream> tls(std::move(*conn),
                               tls_context::client({.ca_file = pki->ca().cert,
                                                    .alpn = {"h2", "http/1.1"}}),
                               "localhost");
    auto hs = co_await tls.handshake();
    EXPECT_TRUE(hs.has_value()) << hs.error().message();
    if (!hs) co_return;
    EXPECT_EQ(tls.alpn_selected(), "http/1.1");
    EXPECT_EQ(tls.peer_certificate_subject(), "CN=localhost,O=eddy tests");
    auto w = co_await write_all(tls, "hello\n");
    EXPECT_TRUE(w.has_value());
    EXPECT_EQ(co_await read_line(tls), "olleh\n");
    auto bye = co_await tls.shutdown();
    EXPECT_TRUE(bye.has_value()) << bye.error().message();
    EXPECT_EQ(co_await server.wait(), 0) << slurp(outfile);
  }());
}

TEST_F(TlsInterop, OurClientSpeaksTls12ToAServerLimitedToIt) {
  test::run_real([]() -> task<void> {
    std::string outfile = pki->dir() + "/s_server12.out";
    process server("openssl s_server -accept 127.0.0.1:0 -naccept 1 -rev -tls1_2 -cert " +
                   server_cert.cert + " -key " + server_cert.key + " > " + outfile + " 2>&1");
    int port = co_await wait_for_port(outfile);
    auto conn = co_await tcp_stream::connect(address::ipv4_loopback(static_cast<uint16_t>(port)));
    EXPECT_TRUE(conn.has_value());
    if (!conn) co_return;
    tls_stream<tcp_stream> tls(std::move(*conn), tls_context::client({.ca_file = pki->ca().cert}),
                               "localhost");
    auto hs = co_await tls.handshake();
    EXPECT_TRUE(hs.has_value()) << hs.error().message();
    if (!hs) co_return;
    EXPECT_EQ(tls.protocol_version(), "TLSv1.2");
    auto w = co_await write_all(tls, "abc\n");
    EXPECT_TRUE(w.has_value());
    EXPECT_EQ(co_await read_line(tls), "cba\n");
    auto bye = co_await tls.shutdown();
    EXPECT_TRUE(bye.has_value());
    EXPECT_EQ(co_await server.wait(), 0) << slurp(outfile);
  }());
}

TEST_F(TlsInterop, OurClientRejectsAnExpiredCertificateFromOpenSslServer) {
  test::run_real([]() -> task<void> {
    std::string outfile = pki->dir() + "/s_server_expired.out";
    process server("openssl s_server -accept 127.0.0.1:0 -naccept 1 -rev -cert " + expired_cert.cert +
                   " -key " + expired_cert.key + " > " + outfile + " 2>&1");
    int port = co_await wait_for_port(outfile);
    auto conn = co_await tcp_stream::connect(address::ipv4_loopback(static_cast<uint16_t>(port)));
    EXPECT_TRUE(conn.has_value());
    if (!conn) co_return;
    tls_stream<tcp_stream> tls(std::move(*conn), tls_context::client({.ca_file = pki->ca().cert}),
                               "localhost");
    auto hs = co_await tls.handshake();
    EXPECT_FALSE(hs.has_value());
    EXPECT_EQ(hs.error().message(), "certificate verify failed: certificate has expired");
  }());
}

TEST_F(TlsInterop, OurClientRejectsTheWrongHostFromOpenSslServer) {
  test::run_real([]() -> task<void> {
    std::string outfile = pki->dir() + "/s_server_host.out";
    process server("openssl s_server -accept 127.0.0.1:0 -naccept 1 -rev -cert " + server_cert.cert +
                   " -key " + server_cert.key + " > " + outfile + " 2>&1");
    int port = co_await wait_for_port(outfile);
    auto conn = co_await tcp_stream::connect(address::ipv4_loopback(static_cast<uint16_t>(port)));
    EXPECT_TRUE(conn.has_value());
    if (!conn) co_return;
    tls_stream<tcp_stream> tls(std::move(*conn), tls_context::client({.ca_file = pki->ca().cert}),
                               "www.example.com");
    auto hs = co_await tls.handshake();
    EXPECT_FALSE(hs.has_value());
    EXPECT_EQ(hs.error().message(), "certificate verify failed: hostname mismatch");
  }());
}
