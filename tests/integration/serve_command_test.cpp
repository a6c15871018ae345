// SPDX-License-Identifier: MIT
// eddy-test-labels: integration
// `eddy serve DIR` against curl: files, HEAD, Range, directory redirect and listing (escaped),
// traversal attempts, and a clean stop on SIGTERM.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/child_process.hpp"

using namespace eddy::test;

namespace {

class ServeCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have("curl --version")) GTEST_SKIP() << "curl is not installed";
    char tmpl[] = "/tmp/eddy-serve-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    fs::create_directory(root_ / "sub");
    std::ofstream(root_ / "hello.txt") << "hello from serve\n";
    std::ofstream(root_ / "<script>.txt") << "x";
    std::ofstream(root_ / "sub" / "inner.txt") << "inner";
    // A file outside the root that traversal attempts must never reach.
    std::ofstream(root_.parent_path() / (root_.filename().string() + "-secret")) << "secret";
    server_.emplace(build_dir() / "bin" / "eddy",
                    std::vector<std::string>{"serve", root_.string(), "--host", "127.0.0.1", "--port", "0",
                                             "--workers", "1"});
    ASSERT_TRUE(server_->error().empty()) << server_->error();
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->terminate(std::chrono::milliseconds(5000)), 0) << server_->output();
    }
    std::error_code ec;
    fs::remove_all(root_, ec);
    fs::remove(root_.parent_path() / (root_.filename().string() + "-secret"), ec);
  }
  std::string url(const std::string& path) const { return server_->url() + path; }

  fs::path root_;
  std::optional<server_process> server_;
};

TEST_F(ServeCommand, ServesFilesWithHeadAndRange) {
  auto body = sh("curl -sf " + quote(url("/hello.txt")));
  EXPECT_EQ(body.exit_code, 0);
  EXPECT_EQ(body.output, "hello from serve\n");
  auto head = sh("curl -sfI " + quote(url("/hello.txt")));
  EXPECT_NE(head.output.find("Content-Length: 17"), std::string::npos) << head.output;
  auto range = sh("curl -sf -r 6-9 " + quote(url("/hello.txt")));
  EXPECT_EQ(range.output, "from");
}

TEST_F(ServeCommand, RedirectsDirectoriesAndListsThemEscaped) {
  auto redirect = sh("curl -s -o /dev/null -w '%{http_code} %{redirect_url}' " + quote(url("/sub")));
  EXPECT_EQ(redirect.output, "301 " + url("/sub/"));
  auto listing = sh("curl -sf " + quote(url("/")));
  EXPECT_NE(listing.output.find("&lt;script&gt;.txt"), std::string::npos) << listing.output;
  EXPECT_EQ(listing.output.find("<script>"), std::string::npos);
  EXPECT_NE(listing.output.find("href=\"sub/\""), std::string::npos);
  EXPECT_EQ(sh("curl -sf " + quote(url("/sub/inner.txt"))).output, "inner");
}

TEST_F(ServeCommand, TraversalNeverLeavesTheRoot) {
  const std::string secret = "/../" + root_.filename().string() + "-secret";
  for (const std::string& path : {secret, std::string("/%2e%2e/") + root_.filename().string() + "-secret",
                                  std::string("/..%2f") + root_.filename().string() + "-secret",
                                  std::string("/%252e%252e/etc/passwd"), std::string("/hello.txt%00")}) {
    auto r = sh("curl -s --path-as-is -o /dev/null -w '%{http_code}' " + quote(url(path)));
    EXPECT_NE(r.output, "200") << path;
  }
}

}  // namespace
