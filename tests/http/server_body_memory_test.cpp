// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
// The worker-wide bound on request bodies held in memory (`serve_options::max_body_memory`):
// many slow uploads, each within the per-request limit, must not add up to all memory (found
// by a black-box probe: 10 stalled 16 MiB uploads held 160 MB, without end).
#include "eddy/http/app.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "http/server_fixture.hpp"

namespace {

std::string post_head(std::size_t length) {
  return "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
}

// Waits until the server has read what was sent (no reply comes to a partial body).
void settle() { std::this_thread::sleep_for(150ms); }

TEST(ServerBodyMemory, ABodyPastTheWorkersBudgetIs503AndTheOthersComplete) {
  auto options = standard_options();  // 64 KiB per body
  options.max_body_memory = 80 * 1024;
  test_server server(standard_routes, options);

  client a(server.port());
  ASSERT_TRUE(a.send(post_head(60000) + std::string(50000, 'a')));
  settle();
  // 50,000 + 50,000 bytes is past the 80 KiB budget: the second upload is refused.
  client b(server.port());
  ASSERT_TRUE(b.send(post_head(60000) + std::string(50000, 'b')));
  auto refused = b.read_response();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->header("connection").value_or(""), "close");
  EXPECT_TRUE(b.closed_within());

  // The first completes, and once it is answered its bytes no longer count.
  ASSERT_TRUE(a.send(std::string(10000, 'a')));
  auto done = a.read_response();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, 200);
  EXPECT_EQ(done->body, std::string(60000, 'a'));
  for (int i = 0; i < 3; ++i) {
    client c(server.port());
    auto r = c.roundtrip(post_head(60000) + std::string(60000, 'c'));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.size(), 60000u);
  }
}

TEST(ServerBodyMemory, AClientThatLeavesMidBodyGivesItsShareBack) {
  auto options = standard_options();
  options.max_body_memory = 80 * 1024;
  test_server server(standard_routes, options);
  for (int i = 0; i < 4; ++i) {  // 4 x 50,000 bytes: past the budget unless each is returned
    client gone(server.port());
    ASSERT_TRUE(gone.send(post_head(60000) + std::string(50000, 'g')));
    settle();
  }
  settle();
  client c(server.port());
  auto r = c.roundtrip(post_head(60000) + std::string(60000, 'c'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(ServerBodyMemory, ZeroMeansNoBudget) {
  auto options = standard_options();
  options.max_body_memory = 0;
  test_server server(standard_routes, options);
  client a(server.port());
  ASSERT_TRUE(a.send(post_head(60000) + std::string(50000, 'a')));
  settle();
  client b(server.port());
  auto r = b.roundtrip(post_head(60000) + std::string(60000, 'b'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto after = b.roundtrip(get("/hello"));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

}  // namespace
