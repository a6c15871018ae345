// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
// Large files go out with sendfile (`response::file`), byte-exact, with ranges, HEAD and
// pipelining; small ones are read into the response.
#include "eddy/http/static_files.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>

#include "http/server_fixture.hpp"
#include "support/test_certs.hpp"

namespace {

std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  unsigned x = seed;
  for (auto& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 16);
  }
  return s;
}

class FileBody : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(fs::temp_directory_path() / ("eddy-file-body-" + std::to_string(::getpid())));
    fs::create_directories(*root_);
    big_ = new std::string(pattern(3 * 1024 * 1024 + 17, 7));
    std::ofstream(*root_ / "big.bin", std::ios::binary) << *big_;
    std::ofstream(*root_ / "small.txt", std::ios::binary) << "small file\n";
  }
  static void TearDownTestSuite() {
    fs::remove_all(*root_);
    delete root_;
    delete big_;
  }

  test_server server{[](http::app& app) {
    app.static_files("/files", root_->string());
    // A handler sending part of a file it opened itself.
    app.get("/part", [](request&) -> task<response> {
      eddy::unique_fd fd(::open((*root_ / "big.bin").c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) throw http::error(500, "open failed");
      co_return response::file(std::move(fd), 1000, 5000, "application/x-test");
    });
  }};

  static fs::path* root_;
  static std::string* big_;
};
fs::path* FileBody::root_ = nullptr;
std::string* FileBody::big_ = nullptr;

TEST_F(FileBody, ALargeFileArrivesByteExact) {
  client c(server.port(), 10s);
  auto r = c.roundtrip(get("/files/big.bin"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-length").value_or(""), std::to_string(big_->size()));
  EXPECT_EQ(r->header("accept-ranges").value_or(""), "bytes");
  EXPECT_TRUE(r->header("etag"));
  EXPECT_TRUE(r->body == *big_) << "body differs (" << r->body.size() << " bytes)";
  // The connection is reusable after a file body.
  auto small = c.roundtrip(get("/files/small.txt"));
  ASSERT_TRUE(small);
  EXPECT_EQ(small->body, "small file\n");
}

TEST_F(FileBody, RangesOfALargeFileAreSentFromTheirOffset) {
  client c(server.port(), 10s);
  auto r = c.roundtrip(get("/files/big.bin", "Range: bytes=1000000-2999999\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->header("content-range").value_or(""),
            "bytes 1000000-2999999/" + std::to_string(big_->size()));
  EXPECT_TRUE(r->body == big_->substr(1000000, 2000000));
  auto tail = c.roundtrip(get("/files/big.bin", "Range: bytes=-100000\r\n"));
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->status, 206);
  EXPECT_TRUE(tail->body == big_->substr(big_->size() - 100000));
}

TEST_F(FileBody, HeadOfALargeFileHasItsLengthAndNoBody) {
  client c(server.port());
  auto r = c.roundtrip("HEAD /files/big.bin HTTP/1.1\r\nHost: t\r\n\r\n", true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-length").value_or(""), std::to_string(big_->size()));
  auto next = c.roundtrip(get("/files/small.txt"));
  ASSERT_TRUE(next) << "bytes after a HEAD response: " << c.pending().size();
  EXPECT_EQ(next->body, "small file\n");
}

TEST_F(FileBody, PipelinedFileResponsesStayInOrder) {
  client c(server.port(), 10s);
  ASSERT_TRUE(c.send(get("/files/small.txt") + get("/files/big.bin") + get("/part") + get("/files/small.txt")));
  auto a = c.read_response();
  auto b = c.read_response();
  auto p = c.read_response();
  auto d = c.read_response();
  ASSERT_TRUE(a && b && p && d);
  EXPECT_EQ(a->body, "small file\n");
  EXPECT_TRUE(b->body == *big_);
  EXPECT_EQ(p->header("content-type").value_or(""), "application/x-test");
  EXPECT_TRUE(p->body == big_->substr(1000, 5000));
  EXPECT_EQ(d->body, "small file\n");
}

TEST_F(FileBody, AClientThatLeavesMidFileDoesNotStopTheServer) {
  {
    client c(server.port());
    ASSERT_TRUE(c.send(get("/files/big.bin")));
  }  // gone before reading
  client next(server.port());
  auto r = next.roundtrip(get("/files/small.txt"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "small file\n");
}

TEST_F(FileBody, OverTlsALargeFileIsReadAndWrittenInPieces) {
  eddy::test::test_pki pki;
  auto cert = pki.issue("server");
  http::serve_options o;
  o.tls_cert = cert.cert;
  o.tls_key = cert.key;
  test_server tls{[](http::app& app) { app.static_files("/files", root_->string()); }, o};
  fs::path out = *root_ / "downloaded.bin";
  std::string cmd = "curl -sS --fail --cacert " + pki.ca().cert + " -o " + out.string() +
                    " https://127.0.0.1:" + std::to_string(tls.port()) + "/files/big.bin";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(out, std::ios::binary);
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got.size(), big_->size());
  EXPECT_TRUE(got == *big_);
}

}  // namespace
