// SPDX-License-Identifier: MIT
#include "eddy/net/tls_stream.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <system_error>

#include <eddy/core/when_all.hpp>
#include <eddy/runtime/sleep.hpp>
#include <eddy/runtime/spawn.hpp>
#include <eddy/stream/byte_stream.hpp>
#include <eddy/stream/write_all.hpp>

#include "net/tls_test_stream.hpp"
#include "support/test_certs.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;
using test::fd_stream;

static_assert(byte_stream<tls_stream<fd_stream>>, "tls_stream is a byte stream itself");
static_assert(gathering_stream<tls_stream<fd_stream>>, "and packs gathered writes");

namespace {

class Tls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki = new test::test_pki();
    server_cert = pki->issue("server");
    expired_cert = pki->issue("expired", {.valid_from = -3 * 86400, .valid_until = -86400});
    other_host_cert =
        pki->issue("other", {.common_name = "other.example", .alt_names = {"DNS:other.example"}});
    self_signed_cert = pki->self_signed("self");
    client_cert = pki->issue("client", {.common_name = "alice", .alt_names = {},
                                        .usage = "clientAuth"});
  }
  static void TearDownTestSuite() { delete pki; }

  static tls_context server_ctx(const test::cert_files& cert, tls_server_options o = {}) {
    o.certificate_chain_file = cert.cert;
    o.private_key_file = cert.key;
    return tls_context::server(o);
  }
  static tls_context client_ctx(tls_client_options o = {}) {
    if (o.ca_file.empty()) o.ca_file = pki->ca().cert;
    return tls_context::client(o);
  }

  inline static test::test_pki* pki = nullptr;
  inline static test::cert_files server_cert, expired_cert, other_host_cert, self_signed_cert,
      client_cert;
};

// Streams over the two ends of a socketpair, created on the running loop.
struct tls_pair {
  tls_stream<fd_stream> server;
  tls_stream<fd_stream> client;
};
tls_pair make_pair(const tls_context& s, const tls_context& c, std::string_view name) {
  auto [a, b] = test::socket_pair();
  return {tls_stream<fd_stream>(fd_stream(a), s), tls_stream<fd_stream>(fd_stream(b), c, name)};
}

// Runs both handshakes; returns {server result, client result}.
task<std::pair<result<void>, result<void>>> handshake_both(tls_pair& p) {
  auto [s, c] = co_await when_all(p.server.handshake(), p.client.handshake());
  co_return std::pair{s, c};
}

task<std::string> read_all(tls_stream<fd_stream>& s) {
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = co_await s.read_some(buf);
    EXPECT_TRUE(n.has_value()) << n.error().message();
    if (!n || *n == 0) co_return out;
    out.append(buf, *n);
  }
}

task<result<void>> send_all(tls_stream<fd_stream>& s, std::string_view data) {
  while (!data.empty()) {
    auto n = co_await s.write_some(data);
    if (!n) co_return n.error();
    data.remove_prefix(*n);
  }
  co_return result<void>{};
}

// The client's handshake error against a server using `cert`.
std::error_code client_error(const tls_context& server, const tls_context& client,
                             std::string_view name) {
  return test::run_real([&]() -> task<std::error_code> {
    auto p = make_pair(server, client, name);
    auto [s, c] = co_await handshake_both(p);
    EXPECT_FALSE(s.has_value()) << "the server must not complete a rejected handshake";
    co_return c.error();
  }());
}

}  // namespace

TEST_F(Tls, HandshakeThenEchoOverASocketPair) {
  test::run_real([]() -> task<void> {
    auto p = make_pair(server_ctx(server_cert), client_ctx(), "localhost");
    auto [s, c] = co_await handshake_both(p);
    EXPECT_TRUE(s.has_value()) << s.error().message();
    EXPECT_TRUE(c.has_value()) << c.error().message();
    EXPECT_TRUE(p.client.established());
    EXPECT_EQ(p.client.protocol_version(), "TLSv1.3");
    EXPECT_EQ(p.client.peer_certificate_subject(), "CN=localhost,O=eddy tests");
    EXPECT_EQ(p.server.peer_certificate_subject(), "");

    auto echo = [&]() -> task<void> {
      char buf[64];
      auto n = co_await p.server.read_some(buf);
      EXPECT_TRUE(n.has_value());
      if (!n) co_return;
      auto w = co_await send_all(p.server, "echo:" + std::string(buf, *n));
      EXPECT_TRUE(w.has_value());
    };
    auto ask = [&]() -> task<std::string> {
      auto w = co_await send_all(p.client, "hello");
      EXPECT_TRUE(w.has_value());
      char buf[64];
      auto n = co_await p.client.read_some(buf);
      EXPECT_TRUE(n.has_value());
      co_return n ? std::string(buf, *n) : std::string();
    };
    auto [unused, answer] = co_await when_all(echo(), ask());
    EXPECT_EQ(answer, "echo:hello");
  }());
}

TEST_F(Tls, AlpnPicksTheServersPreference) {
  test::run_real([]() -> task<void> {
    auto p = make_pair(server_ctx(server_cert, {.alpn = {"h2", "http/1.1"}}),
                       client_ctx({.alpn = {"http/1.1", "h2"}}), "localhost");
    auto [s, c] = co_await handshake_both(p);
    EXPECT_TRUE(s && c);
    EXPECT_EQ(p.server.alpn_selected(), "h2");
    EXPECT_EQ(p.client.alpn_selected(), "h2");
  }());
}

TEST_F(Tls, AlpnWithoutACommonProtocolStillConnectsWithoutOne) {
  test::run_real([]() -> task<void> {
    auto p = make_pair(server_ctx(server_cert, {.alpn = {"h2"}}),
                       client_ctx({.alpn = {"spdy/3"}}), "localhost");
    auto [s, c] = co_await handshake_both(p);
    EXPECT_TRUE(s && c);
    EXPECT_EQ(p.client.alpn_selected(), "");
  }());
}

TEST_F(Tls, CloseNotifyEndsTheStreamCleanly) {
  test::run_real([]() -> task<void> {
    auto p = make_pair(server_ctx(server_cert), client_ctx(), "localhost");
    auto [s, c] = co_await handshake_both(p);
    EXPECT_TRUE(s && c);
    auto send = [&]() -> task<void> {
      auto w = co_await send_all(p.server, "last words");
      EXPECT_TRUE(w.has_value());
      auto r = co_await p.server.shutdown();
      EXPECT_TRUE(r.has_value()) << r.error().message();
      auto again = co_await p.server.write_some(std::string_view("more"));
      EXPECT_FALSE(again.has_value());
    };
    auto [unused, got] = co_await when_all(send(), read_all(p.client));
    EXPECT_EQ(got, "last words");
    // The client answers with its own close_notify; the server then sees a clean end too.
    auto r = co_await p.client.shutdown();
    EXPECT_TRUE(r.has_value());
    char buf[16];
    auto n = co_await p.server.read_some(buf);
    EXPECT_TRUE(n.has_value() && *n == 0) << n.error().message();
  }());
}

TEST_F(Tls, ClientSendsTheHostNameBySniButNotAnIpAddress) {
  test::run_real([]() -> task<void> {
    auto by_name = make_pair(server_ctx(server_cert), client_ctx(), "localhost");
    auto [s1, c1] = co_await handshake_both(by_name);
    EXPECT_TRUE(s1 && c1);
    EXPECT_EQ(by_name.server.server_name(), "localhost");
    EXPECT_EQ(by_name.client.server_name(), "localhost");
    auto by_ip = make_pair(server_ctx(server_cert), client_ctx(), "127.0.0.1");
    auto [s2, c2] = co_await handshake_both(by_ip);
    EXPECT_TRUE(s2 && c2);
    EXPECT_EQ(by_ip.server.server_name(), "");
  }());
}

TEST_F(Tls, GatheredWritesArriveInOrderThroughTheStreamLayer) {
  test::run_real([]() -> task<void> {
    auto p = make_pair(server_ctx(server_cert), client_ctx(), "localhost");
    auto [s, c] = co_await handshake_both(p);
    EXPECT_TRUE(s && c);
    std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
    std::string body(100000, 'b');
    for (std::size_t i = 0; i < body.size(); i += 101) body[i] = static_cast<char>('0' + i % 10);
    std::string tail = "!";
    std::span<const char> parts[] = {head, body, tail, std::span<const char>()};
    auto send = [&]() -> task<void> {
      auto w = co_await write_all(p.server, std::span<const std::span<const char>>(parts));
      EXPECT_TRUE(w.has_value());
      auto r = co_await p.server.shutdown();
      EXPECT_TRUE(r.has_value());
    };
    auto [unused, got] = co_await when_all(send(), read_all(p.client));
    EXPECT_TRUE(got == head + body + tail) << got.size();
  }());
}

TEST_F(Tls, TransportEndWithoutCloseNotifyIsUnexpectedEof) {
  test::run_real([]() -> task<void> {
    auto p = make_pair(server_ctx(server_cert), client_ctx(), "localhost");
    auto [s, c] = co_await handshake_both(p);
    EXPECT_TRUE(s && c);
    p.server.next_layer().close();
    char buf[16];
    auto n = co_await p.client.read_some(buf);
    EXPECT_FALSE(n.has_value());
    EXPECT_EQ(n.error(), errc::unexpected_eof);
  }());
}

TEST_F(Tls, LargeTransfersFlowBothWaysAtOnce) {
  test::run_real([]() -> task<void> {
    auto p = make_pair(server_ctx(server_cert), client_ctx(), "localhost");
    auto [s, c] = co_await handshake_both(p);
    EXPECT_TRUE(s && c);
    std::string up(3 * 1024 * 1024 + 7, 'u'), down(2 * 1024 * 1024 + 3, 'd');
    for (std::size_t i = 0; i < up.size(); i += 997) up[i] = static_cast<char>('a' + i % 26);
    auto send_and_close = [](tls_stream<fd_stream>& side, const std::string& data) -> task<void> {
      auto w = co_await send_all(side, data);
      EXPECT_TRUE(w.has_value());
      auto r = co_await side.shutdown();
      EXPECT_TRUE(r.has_value());
    };
    // Each side reads and writes concurrently: the socket buffers are far smaller than the
    // data, so doing one after the other would deadlock.
    auto [a, b, at_server, at_client] =
        co_await when_all(send_and_close(p.client, up), send_and_close(p.server, down),
                          read_all(p.server), read_all(p.client));
    EXPECT_TRUE(at_server == up);
    EXPECT_TRUE(at_client == down);
  }());
}

TEST_F(Tls, ExpiredCertificateIsRejectedWithAClearError) {
  auto ec = client_error(server_ctx(expired_cert), client_ctx(), "localhost");
  EXPECT_TRUE(is_tls_error(ec));
  EXPECT_EQ(ec.message(), "certificate verify failed: certificate has expired");
}

TEST_F(Tls, SelfSignedCertificateIsRejectedWithAClearError) {
  auto ec = client_error(server_ctx(self_signed_cert), client_ctx(), "localhost");
  EXPECT_TRUE(is_tls_error(ec));
  EXPECT_NE(ec.message().find("certificate verify failed: self"), std::string::npos)
      << ec.message();
  EXPECT_NE(ec.message().find("signed certificate"), std::string::npos) << ec.message();
}

TEST_F(Tls, CertificateForAnotherHostIsRejected) {
  auto ec = client_error(server_ctx(other_host_cert), client_ctx(), "localhost");
  EXPECT_TRUE(is_tls_error(ec));
  EXPECT_EQ(ec.message(), "certificate verify failed: hostname mismatch");
}

TEST_F(Tls, CertificateForAnotherIpAddressIsRejected) {
  auto ec = client_error(server_ctx(server_cert), client_ctx(), "127.0.0.2");
  EXPECT_TRUE(is_tls_error(ec));
  EXPECT_EQ(ec.message(), "certificate verify failed: IP address mismatch");
}

TEST_F(Tls, IpAddressInTheCertificateIsAccepted) {
  test::run_real([]() -> task<void> {
    auto p = make_pair(server_ctx(server_cert), client_ctx(), "127.0.0.1");
    auto [s, c] = co_await handshake_both(p);
    EXPECT_TRUE(s.has_value());
    EXPECT_TRUE(c.has_value()) << c.error().message();
  }());
}

TEST_F(Tls, CertificateFromAnUnknownCaIsRejected) {
  // Only the system store: our test CA is unknown there.
  auto client = tls_context::client();
  auto ec = client_error(server_ctx(server_cert), client, "localhost");
  EXPECT_TRUE(is_tls_error(ec));
  EXPECT_EQ(ec.message(), "certificate verify failed: unable to get local issuer certificate");
}

TEST_F(Tls, InsecureSkipVerifyAcceptsAnyCertificate) {
  test::run_real([]() -> task<void> {
    auto p = make_pair(server_ctx(self_signed_cert),
                       tls_context::client({.insecure_skip_verify = true}), "");
    auto [s, c] = co_await handshake_both(p);
    EXPECT_TRUE(s.has_value());
    EXPECT_TRUE(c.has_value()) << c.error().message();
  }());
}

TEST_F(Tls, VerifyingClientNeedsAServerName) {
  test::run_real([]() -> task<void> {
    auto p = make_pair(server_ctx(server_cert), client_ctx(), "");
    auto r = co_await p.client.handshake();
    EXPECT_TRUE(is_tls_error(r.error()));
    EXPECT_NE(r.error().message().find("server name is needed"), std::string::npos);
  }());
}

TEST_F(Tls, ServerRequiringClientCertificatesAcceptsOneFromItsCa) {
  test::run_real([]() -> task<void> {
    auto p = make_pair(server_ctx(server_cert, {.client_ca_file = pki->ca().cert}),
                       client_ctx({.certificate_chain_file = client_cert.cert,
                                   .private_key_file = client_cert.key}),
                       "localhost");
    auto [s, c] = co_await handshake_both(p);
    EXPECT_TRUE(s.has_value()) << s.error().message();
    EXPECT_TRUE(c.has_value()) << c.error().message();
    EXPECT_EQ(p.server.peer_certificate_subject(), "CN=alice,O=eddy tests");
    // TLS 1.3 verifies the client certificate after the client's handshake finished; the
    // first exchange proves the session is usable for both.
    auto w = co_await send_all(p.client, "x");
    EXPECT_TRUE(w.has_value());
    char b[4];
    auto n = co_await p.server.read_some(b);
    EXPECT_TRUE(n.has_value() && *n == 1);
  }());
}

TEST_F(Tls, ServerRequiringClientCertificatesRejectsAClientWithout) {
  test::run_real([]() -> task<void> {
    auto p = make_pair(server_ctx(server_cert, {.client_ca_file = pki->ca().cert}),
                       client_ctx(), "localhost");
    auto [s, c] = co_await handshake_both(p);
    EXPECT_FALSE(s.has_value());
    EXPECT_TRUE(is_tls_error(s.error()));
    EXPECT_NE(s.error().message().find("certificate"), std::string::npos) << s.error().message();
    // TLS 1.3: the client's handshake ends before the server decides; it learns at its first
    // read, from the server's alert.
    if (c) {
      char b[4];
      auto n = co_await p.client.read_some(b);
      EXPECT_FALSE(n.has_value());
      EXPECT_TRUE(is_tls_error(n.error())) << n.error().message();
      EXPECT_NE(n.error().message().find("certificate required"), std::string::npos)
          << n.error().message();
    }
  }());
}

TEST_F(Tls, HandshakeTimesOutWhenThePeerStaysSilent) {
  test::run_virtual([]() -> task<void> {
    auto [a, b] = test::socket_pair();
    fd_stream silent(a);
    tls_stream<fd_stream> client(fd_stream(b), client_ctx({.handshake_timeout = 2s}),
                                 "localhost");
    auto start = detail::this_loop().now();
    auto r = co_await client.handshake();
    EXPECT_EQ(r.error(), errc::timed_out);
    EXPECT_EQ(detail::this_loop().now() - start, 2s);
    char buf[4];
    auto n = co_await client.read_some(buf);
    EXPECT_EQ(n.error(), errc::not_connected);
  }());
}

TEST_F(Tls, CancellingTheHandshakeReportsOperationCanceled) {
  test::run_virtual([]() -> task<void> {
    auto [a, b] = test::socket_pair();
    fd_stream silent(a);
    tls_stream<fd_stream> client(fd_stream(b), client_ctx(), "localhost");
    auto body = [&]() -> task<result<void>> { co_return co_await client.handshake(); };
    auto h = spawn(body());
    co_await sleep_for(10ms);
    h.cancel();
    auto r = co_await h;
    EXPECT_EQ(r.error(), errc::operation_canceled);
  }());
}

TEST_F(Tls, GarbageFromThePeerIsATlsErrorNotACrash) {
  test::run_real([]() -> task<void> {
    auto [a, b] = test::socket_pair();
    fd_stream peer(a);
    tls_stream<fd_stream> client(fd_stream(b), client_ctx(), "localhost");
    auto reply = [&]() -> task<void> {
      char buf[4096];
      auto hello = co_await peer.read_some(buf);  // the ClientHello
      EXPECT_TRUE(hello.has_value());
      std::string_view junk = "HTTP/1.1 400 Bad Request\r\n\r\n";
      auto w = co_await peer.write_some(junk);
      EXPECT_TRUE(w.has_value());
    };
    auto [unused, r] = co_await when_all(reply(), client.handshake());
    EXPECT_FALSE(r.has_value());
    EXPECT_TRUE(is_tls_error(r.error()));
    EXPECT_NE(r.error().message(), "TLS error");
  }());
}

TEST_F(Tls, CorruptRecordsAfterTheHandshakeAreATlsError) {
  test::run_real([]() -> task<void> {
    auto p = make_pair(server_ctx(server_cert), client_ctx(), "localhost");
    auto [s, c] = co_await handshake_both(p);
    EXPECT_TRUE(s && c);
    // An application-data record header followed by bytes that fail authentication.
    std::string forged("\x17\x03\x03\x00\x20", 5);
    forged += std::string(32, '\x5a');
    auto w = co_await p.server.next_layer().write_some(forged);
    EXPECT_TRUE(w.has_value());
    char buf[64];
    auto n = co_await p.client.read_some(buf);
    EXPECT_FALSE(n.has_value());
    EXPECT_TRUE(is_tls_error(n.error()));
    EXPECT_EQ(n.error().message(), "decryption failed or bad record mac");
    // The session is dead: later calls fail cleanly instead of touching OpenSSL again.
    auto again = co_await p.client.read_some(buf);
    EXPECT_EQ(again.error(), errc::not_connected);
    EXPECT_EQ((co_await p.client.shutdown()).error(), errc::not_connected);
  }());
}

TEST_F(Tls, PeerClosingDuringTheHandshakeIsUnexpectedEof) {
  test::run_real([]() -> task<void> {
    auto [a, b] = test::socket_pair();
    fd_stream peer(a);
    tls_stream<fd_stream> client(fd_stream(b), client_ctx(), "localhost");
    auto hang_up = [&]() -> task<void> {
      char buf[4096];
      auto hello = co_await peer.read_some(buf);
      EXPECT_TRUE(hello.has_value());
      peer.close();
    };
    auto [unused, r] = co_await when_all(hang_up(), client.handshake());
    EXPECT_EQ(r.error(), errc::unexpected_eof);
  }());
}

TEST_F(Tls, ReadAndWriteBeforeTheHandshakeAreNotConnected) {
  test::run_real([]() -> task<void> {
    auto p = make_pair(server_ctx(server_cert), client_ctx(), "localhost");
    char buf[4];
    EXPECT_EQ((co_await p.client.read_some(buf)).error(), errc::not_connected);
    EXPECT_EQ((co_await p.client.write_some(std::string_view("x"))).error(), errc::not_connected);
    EXPECT_EQ((co_await p.client.shutdown()).error(), errc::not_connected);
  }());
}

TEST(TlsContext, MissingFilesThrowWithTheFileAndOpenSslsReason) {
  try {
    (void)tls_context::server({.certificate_chain_file = "/nonexistent/cert.pem",
                               .private_key_file = "/nonexistent/key.pem"});
    ADD_FAILURE() << "expected an exception";
  } catch (const std::system_error& e) {
    EXPECT_TRUE(is_tls_error(e.code()));
    std::string what = e.what();
    EXPECT_NE(what.find("/nonexistent/cert.pem"), std::string::npos) << what;
    EXPECT_NE(what.find("No such file"), std::string::npos) << what;
  }
  EXPECT_THROW((void)tls_context::client({.ca_file = "/nonexistent/ca.pem"}), std::system_error);
  EXPECT_THROW((void)tls_context::server({}), std::system_error);
}

TEST_F(Tls, KeyThatDoesNotMatchTheCertificateIsRefused) {
  try {
    (void)tls_context::server({.certificate_chain_file = server_cert.cert,
                               .private_key_file = client_cert.key});
    ADD_FAILURE() << "expected an exception";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("key values mismatch"), std::string::npos) << e.what();
  }
}

TEST(TlsContext, AlpnNamesMustBeOneTo255Bytes) {
  EXPECT_THROW((void)tls_context::client({.alpn = {""}}), std::system_error);
  EXPECT_THROW((void)tls_context::client({.alpn = {std::string(256, 'a')}}), std::system_error);
}

TEST(TlsError, EachReasonHasItsOwnCodeThatMapsToTheTlsErrorCondition) {
  auto a = make_tls_error("reason a");
  auto b = make_tls_error("reason b");
  EXPECT_NE(a, b);
  EXPECT_EQ(a, make_tls_error("reason a"));
  EXPECT_EQ(a.message(), "reason a");
  EXPECT_EQ(a.default_error_condition(), make_error_code(errc::tls_error).default_error_condition());
  EXPECT_TRUE(is_tls_error(a));
  EXPECT_TRUE(is_tls_error(make_error_code(errc::tls_error)));
  EXPECT_FALSE(is_tls_error(make_error_code(errc::timed_out)));
}
