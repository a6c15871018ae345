// SPDX-License-Identifier: MIT
// A TLS echo server: `tls_echo cert.pem key.pem [port]`, then try it with
//   openssl s_client -connect 127.0.0.1:8443 -quiet -verify_return_error -CAfile ca.pem
#include <cstdio>
#include <string>

#include <eddy/eddy.hpp>
#include <eddy/net/address.hpp>
#include <eddy/net/tcp_listener.hpp>
#include <eddy/net/tcp_stream.hpp>
#include <eddy/net/tls_stream.hpp>

eddy::task<void> echo(eddy::tcp_stream tcp, eddy::tls_context ctx) {
  eddy::tls_stream<eddy::tcp_stream> tls(std::move(tcp), ctx);
  if (auto hs = co_await tls.handshake(); !hs) {
    std::printf("handshake failed: %s\n", hs.error().message().c_str());
    co_return;
  }
  char buf[16 * 1024];
  for (;;) {
    auto n = co_await tls.read_some(buf);
    if (!n || *n == 0) break;  // an error, or the client's close_notify
    for (std::size_t done = 0; done < *n;) {
      auto w = co_await tls.write_some(std::span<const char>(buf + done, *n - done));
      if (!w) co_return;
      done += *w;
    }
  }
  (void)co_await tls.shutdown();  // our close_notify
}

eddy::task<void> serve(eddy::tls_context ctx, std::uint16_t port) {
  eddy::tcp_listener listener(eddy::address::ipv4_loopback(port));
  std::printf("TLS echo on 127.0.0.1:%u\n", listener.local_address().port());
  std::fflush(stdout);
  for (;;) {
    auto conn = co_await listener.accept();
    if (!conn) break;
    eddy::spawn(echo(std::move(*conn), ctx));  // the handle is dropped: runs detached
  }
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s cert.pem key.pem [port]\n", argv[0]);
    return 2;
  }
  try {
    auto ctx = eddy::tls_context::server({.certificate_chain_file = argv[1],
                                          .private_key_file = argv[2],
                                          .alpn = {"echo"}});
    auto port = static_cast<std::uint16_t>(argc > 3 ? std::stoi(argv[3]) : 8443);
    eddy::run(serve(std::move(ctx), port));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tls_echo: %s\n", e.what());
    return 1;
  }
}
