// SPDX-License-Identifier: MIT
// gzip/deflate response bodies: decoded in text() and in the streaming body, capped after
// decoding (zip bombs), corrupt data reported. The compressed bodies are made here with zlib.
#include "eddy/http/client.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "client_test_support.hpp"
#include "support/test_loop.hpp"

using eddy::task;
using eddy::tcp_stream;
using eddy::test::local_app;
using eddy::test::raw_server;
using eddy::test::read_request;
using eddy::test::send;
using eddy::test::text_of;
namespace http = eddy::http;
using http::client_errc;

namespace {

// windowBits: 31 gzip, 15 zlib ("deflate" as RFC 9110 means it), -15 raw deflate.
std::string compress(std::string_view in, int window_bits) {
  z_stream z{};
  deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string sample(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; s.size() < n; ++i) s += "line " + std::to_string(i) + " of the sample text\n";
  s.resize(n);
  return s;
}

http::response encoded(std::string body, std::string_view coding) {
  auto r = http::response::bytes(std::move(body), "text/plain");
  r.header("Content-Encoding", std::string(coding));
  return r;
}

void add_encoded_routes(http::app& app) {
  app.get("/gzip", [](http::request&) -> task<http::response> { co_return encoded(compress(sample(100000), 31), "gzip"); });
  app.get("/deflate", [](http::request&) -> task<http::response> { co_return encoded(compress(sample(5000), 15), "deflate"); });
  app.get("/raw-deflate", [](http::request&) -> task<http::response> {
    co_return encoded(compress(sample(5000), -15), "deflate");
  });
  app.get("/two-members", [](http::request&) -> task<http::response> {
    co_return encoded(compress("first|", 31) + compress("second", 31), "gzip");
  });
  app.get("/big", [](http::request&) -> task<http::response> { co_return encoded(compress(sample(4 << 20), 31), "gzip"); });
  // 64 MiB of zeros: about 64 KiB on the wire.
  app.get("/bomb", [](http::request&) -> task<http::response> {
    co_return encoded(compress(std::string(64 << 20, '\0'), 31), "gzip");
  });
  app.get("/corrupt", [](http::request&) -> task<http::response> {
    std::string z = compress(sample(5000), 31);
    z[z.size() / 2] ^= 0x55;
    z[z.size() / 2 + 1] ^= 0x55;
    co_return encoded(z, "gzip");
  });
  app.get("/truncated", [](http::request&) -> task<http::response> {
    std::string z = compress(sample(50000), 31);
    z.resize(z.size() / 2);
    co_return encoded(z, "gzip");
  });
  app.get("/brotli", [](http::request&) -> task<http::response> { co_return encoded("not really br", "br"); });
  app.get("/accept", [](http::request& req) -> task<http::response> {
    co_return http::response::text(std::string(req.header("Accept-Encoding").value_or("-")));
  });
}

// The body of a GET, or "<error: ...>".
task<std::string> fetch(http::client& c, std::string u, http::request_options o = {}) {
  auto r = co_await c.get(u, std::move(o));
  co_return co_await text_of(r);
}

// The error of reading a GET's body whole (empty on success).
task<std::error_code> body_error(http::client& c, std::string u) {
  auto r = co_await c.get(u);
  if (!r) co_return r.error();
  auto t = co_await r->text();
  co_return t ? std::error_code{} : t.error();
}

}  // namespace

TEST(ClientDecoding, AsksForGzipAndDeflateByDefaultAndDecodesEach) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_encoded_routes(app);
    local_app srv(app);
    {
      http::client c;
      std::string accept = co_await fetch(c, srv.base() + "/accept");
      EXPECT_EQ(accept, "gzip, deflate");
      auto g = co_await c.get(srv.base() + "/gzip");
      EXPECT_TRUE(g);
      if (g) {
        EXPECT_EQ(g->headers().get("Content-Encoding").value_or(""), "gzip");
        EXPECT_LT(g->content_length().value_or(0), 100000u);
        std::string body = co_await text_of(g);
        EXPECT_TRUE(body == sample(100000)) << body.substr(0, 80);
      }
      std::string d = co_await fetch(c, srv.base() + "/deflate");
      EXPECT_EQ(d, sample(5000));
      std::string raw = co_await fetch(c, srv.base() + "/raw-deflate");
      EXPECT_EQ(raw, sample(5000));
      std::string two = co_await fetch(c, srv.base() + "/two-members");
      EXPECT_EQ(two, "first|second");
      // A coding the client did not ask for is passed through as received.
      std::string br = co_await fetch(c, srv.base() + "/brotli");
      EXPECT_EQ(br, "not really br");
      // The connection is reused after decoded bodies.
      EXPECT_EQ(c.pool().opened_total(), 1u);
    }
    co_await srv.stop();
  }());
}

TEST(ClientDecoding, CanBeTurnedOffPerClientOrPerRequest) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_encoded_routes(app);
    local_app srv(app);
    {
      http::client off({.decompress = false});
      std::string accept = co_await fetch(off, srv.base() + "/accept");
      EXPECT_EQ(accept, "-");
      std::string g = co_await fetch(off, srv.base() + "/deflate");
      EXPECT_EQ(g, compress(sample(5000), 15));
      http::client on;
      http::request_options o{.decompress = false};
      std::string raw = co_await fetch(on, srv.base() + "/deflate", std::move(o));
      EXPECT_EQ(raw, compress(sample(5000), 15));
      // A caller's own Accept-Encoding is sent as is.
      http::request_options own{.headers = {{"Accept-Encoding", "identity"}}};
      std::string id = co_await fetch(on, srv.base() + "/accept", std::move(own));
      EXPECT_EQ(id, "identity");
    }
    co_await srv.stop();
  }());
}

TEST(ClientDecoding, StreamsADecodedBodyInBoundedPieces) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_encoded_routes(app);
    local_app srv(app);
    {
      http::client c;
      auto r = co_await c.get(srv.base() + "/big");
      EXPECT_TRUE(r);
      if (r) {
        EXPECT_TRUE(r->body().decoding());
        std::string got;
        std::size_t biggest = 0;
        while (auto ch = co_await r->body().next()) {
          biggest = std::max(biggest, ch.bytes.size());
          got.append(ch.bytes);
        }
        EXPECT_EQ(got.size(), std::size_t{4} << 20);
        EXPECT_TRUE(got == sample(4 << 20));
        EXPECT_LE(biggest, 64u * 1024);
        EXPECT_EQ(r->body().received(), r->content_length().value_or(0));
      }
    }
    co_await srv.stop();
  }());
}

TEST(ClientDecoding, AZipBombStopsAtMaxBodyBytesAfterDecoding) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_encoded_routes(app);
    local_app srv(app);
    {
      http::client c({.max_body_bytes = 1 << 20});
      auto r = co_await c.get(srv.base() + "/bomb");
      EXPECT_TRUE(r);
      if (r) {
        EXPECT_LT(r->content_length().value_or(0), std::uint64_t{1} << 20);  // small on the wire
        auto t = co_await r->text();
        EXPECT_EQ(t.error(), client_errc::body_too_large);
      }
    }
    co_await srv.stop();
  }());
}

TEST(ClientDecoding, CorruptOrTruncatedDataIsADecodeError) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_encoded_routes(app);
    local_app srv(app);
    {
      http::client c;
      auto bad = co_await body_error(c, srv.base() + "/corrupt");
      EXPECT_EQ(bad, client_errc::decode_error);
      auto cut = co_await body_error(c, srv.base() + "/truncated");
      EXPECT_EQ(cut, client_errc::decode_error);
      // Afterwards the client still works (the broken connections were not pooled).
      std::string ok = co_await fetch(c, srv.base() + "/deflate");
      EXPECT_EQ(ok, sample(5000));
    }
    co_await srv.stop();
  }());
}

TEST(ClientDecoding, DecodesAChunkedGzipBodySplitIntoTinyChunks) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv([](tcp_stream s, int) -> task<void> {
      co_await read_request(s);
      std::string z = compress(sample(20000), 31);
      std::string out = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n";
      // Three-byte chunks: the decoder sees the stream in tiny pieces.
      static constexpr char hex[] = "0123456789abcdef";
      for (std::size_t i = 0; i < z.size(); i += 3) {
        auto piece = z.substr(i, 3);
        out += hex[piece.size()];
        out += "\r\n" + piece + "\r\n";
      }
      out += "0\r\n\r\n";
      co_await send(s, out);
      co_await read_request(s);
    });
    {
      http::client c;
      std::string got = co_await fetch(c, srv.base() + "/");
      EXPECT_TRUE(got == sample(20000)) << got.substr(0, 80);
    }
    co_await srv.stop();
  }());
}

TEST(ClientDecoding, AnEmptyBodyLabelledGzipIsEmpty) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv([](tcp_stream s, int) -> task<void> {
      co_await read_request(s);
      co_await send(s, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n");
      co_await read_request(s);
    });
    {
      http::client c;
      std::string got = co_await fetch(c, srv.base() + "/");
      EXPECT_EQ(got, "");
    }
    co_await srv.stop();
  }());
}
