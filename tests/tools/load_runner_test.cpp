// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
// run_load against an http::app served in-process: request counts equal what the server
// counted, pipelining, constant rate, the corrected tail behind a one-off 200 ms stall,
// timeouts, and an unreachable target.
#include "eddy/tools/load_runner.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>

#include "eddy/runtime/sleep.hpp"
#include "eddy/tools/load_plan.hpp"
#include "eddy/tools/load_report.hpp"
#include "http/server_fixture.hpp"

using namespace eddy::tools;

namespace {

std::atomic<std::uint64_t> served{0};
std::atomic<std::uint64_t> stall_at{0};  // request number that stalls 200 ms (0: none)

void routes(http::app& app) {
  app.get("/hello", [](request&) -> task<response> {
    ++served;
    co_return response::text("hello");
  });
  app.post("/echo", [](request& req) -> task<response> {
    ++served;
    co_return response::text(std::string(req.body()));
  });
  app.get("/missing", [](request&) -> task<response> {
    ++served;
    co_return response::text("no", 404);
  });
  app.get("/stall", [](request&) -> task<response> {
    if (++served == stall_at.load()) co_await eddy::sleep_for(200ms);
    co_return response::text("ok");
  });
  app.get("/never", [](request&) -> task<response> {
    ++served;
    co_await eddy::sleep_for(1s);  // longer than the client's timeout, short for the server's drain
    co_return response::text("late");
  });
}

class LoadRunner : public ::testing::Test {
 protected:
  void SetUp() override {
    served = 0;
    stall_at = 0;
  }
  load_options options(const std::string& path) const {
    load_options o;
    o.url = "http://127.0.0.1:" + std::to_string(server_.port()) + path;
    o.progress = false;
    return o;
  }
  test_server server_{routes};
};

TEST_F(LoadRunner, CountOfRequestsEqualsWhatTheServerCounted) {
  load_options o = options("/hello");
  o.requests = 5000;
  o.connections = 8;
  o.threads = 2;
  load_result r = run_load(o, make_load_plan(o));
  EXPECT_EQ(r.stats.requests, 5000u);
  EXPECT_EQ(served.load(), 5000u);
  EXPECT_EQ(r.stats.status[200], 5000u);
  EXPECT_EQ(r.stats.error_total(), 0u);
  EXPECT_EQ(r.stats.latency.count(), 5000u);
  EXPECT_GT(r.stats.bytes_in, 5000u * 5);
}

TEST_F(LoadRunner, PipelinedBatchesAreCountedExactly) {
  load_options o = options("/hello");
  o.requests = 4003;  // not a multiple of the depth: the last batch is shorter
  o.connections = 4;
  o.pipeline = 16;
  load_result r = run_load(o, make_load_plan(o));
  EXPECT_EQ(r.stats.requests, 4003u);
  EXPECT_EQ(served.load(), 4003u);
  EXPECT_EQ(r.stats.error_total(), 0u);
}

TEST_F(LoadRunner, DurationRunsCountEveryAnsweredRequestIncludingTheWarmup) {
  load_options o = options("/hello");
  o.duration = 700ms;
  o.warmup = 300ms;
  o.connections = 6;
  o.threads = 2;
  load_result r = run_load(o, make_load_plan(o));
  EXPECT_GT(r.stats.requests, 0u);
  EXPECT_GT(r.stats.warmup_requests, 0u);
  EXPECT_EQ(r.stats.requests + r.stats.warmup_requests, served.load());
  EXPECT_EQ(r.stats.error_total(), 0u);
  EXPECT_GE(r.elapsed_s, 0.7);
}

TEST_F(LoadRunner, BodiesAndNon2xxStatusesAreCounted) {
  load_options o = options("/echo");
  o.method = "POST";
  o.body = "0123456789";
  o.requests = 100;
  o.connections = 2;
  load_result r = run_load(o, make_load_plan(o));
  EXPECT_EQ(r.stats.status[200], 100u);
  EXPECT_EQ(r.stats.non_2xx(), 0u);
  load_options m = options("/missing");
  m.requests = 50;
  load_result missing = run_load(m, make_load_plan(m));
  EXPECT_EQ(missing.stats.status[404], 50u);
  EXPECT_EQ(missing.stats.non_2xx(), 50u);
}

TEST_F(LoadRunner, ConstantRateIsHeldWithinOnePercent) {
  load_options o = options("/hello");
  o.rate = 2000;
  o.duration = 3s;
  o.connections = 10;
  o.threads = 2;
  load_result r = run_load(o, make_load_plan(o));
  EXPECT_NEAR(static_cast<double>(r.stats.requests), 6000.0, 60.0);
  EXPECT_NEAR(r.requests_per_s(), 2000.0, 20.0);
  EXPECT_EQ(r.stats.requests, served.load());
  EXPECT_EQ(r.stats.uncorrected.count(), r.stats.requests);
}

TEST_F(LoadRunner, PipelinedConstantRateIsHeldAndCountedExactly) {
  // Each connection keeps up to 8 requests in flight and sends each when it is due.
  load_options o = options("/hello");
  o.rate = 2000;
  o.duration = 2s;
  o.connections = 2;
  o.threads = 2;
  o.pipeline = 8;
  load_result r = run_load(o, make_load_plan(o));
  EXPECT_NEAR(static_cast<double>(r.stats.requests), 4000.0, 40.0);
  EXPECT_EQ(r.stats.requests, served.load());
  EXPECT_EQ(r.stats.error_total(), 0u);
  EXPECT_EQ(r.stats.uncorrected.count(), r.stats.requests);
  EXPECT_EQ(r.stats.connects, 2u);
}

TEST_F(LoadRunner, PipelinedConstantRateStopsAfterExactlyNRequests) {
  load_options o = options("/hello");
  o.rate = 5000;
  o.requests = 1001;
  o.connections = 3;
  o.pipeline = 4;
  load_result r = run_load(o, make_load_plan(o));
  EXPECT_EQ(r.stats.requests, 1001u);
  EXPECT_EQ(served.load(), 1001u);
}

TEST_F(LoadRunner, AStallOfTwoHundredMillisecondsShowsInTheCorrectedTailOnly) {
  // One connection at 1000/s; request 500 stalls 200 ms. The ~200 requests due during the
  // stall wait behind it: measured from their intended send times they took from ~200 ms down
  // to ~0, while from their actual sends only the stalled one was slow.
  stall_at = 500;
  load_options o = options("/stall");
  o.rate = 1000;
  o.duration = 2s;
  o.connections = 1;
  load_result r = run_load(o, make_load_plan(o));
  auto at_least = [](const latency_histogram& h, std::uint64_t us) {
    std::uint64_t n = 0;
    for (const auto& b : h.distribution()) n += b.low >= us ? b.count : 0;
    return n;
  };
  EXPECT_GE(r.stats.latency.max(), 195'000u);
  EXPECT_GE(r.stats.uncorrected.max(), 195'000u);
  // From the actual send times only the stalled request was slow; a loaded machine (a
  // parallel test run) may add a stray scheduling delay or two, never a tail of hundreds.
  const auto slow_uncorrected = at_least(r.stats.uncorrected, 50'000);
  EXPECT_GE(slow_uncorrected, 1u);
  EXPECT_LE(slow_uncorrected, 5u);
  const auto slow = at_least(r.stats.latency, 50'000);
  EXPECT_GE(slow, 120u);
  EXPECT_LE(slow, 300u);
  EXPECT_GE(r.stats.latency.value_at_percentile(99), 100'000u);
  EXPECT_LT(r.stats.uncorrected.value_at_percentile(99), 50'000u);
}

TEST_F(LoadRunner, RequestsWithoutAResponseCountAsTimeouts) {
  load_options o = options("/never");
  o.requests = 3;
  o.connections = 1;
  o.timeout = 200ms;
  load_result r = run_load(o, make_load_plan(o));
  EXPECT_EQ(r.stats.errors[static_cast<std::size_t>(load_error::timeout)], 3u);
  EXPECT_EQ(r.stats.requests, 0u);
  EXPECT_EQ(served.load(), 3u);
}

TEST_F(LoadRunner, AnUnreachableTargetThrows) {
  // A port that was just free: bind, read the port, close.
  eddy::event_loop loop;
  std::uint16_t port = 0;
  {
    eddy::tcp_listener l(loop, eddy::address::parse("127.0.0.1", 0).value());
    port = l.local_address().port();
  }
  load_options o;
  o.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  o.duration = 5s;
  o.connections = 4;
  o.threads = 2;
  EXPECT_THROW(run_load(o, make_load_plan(o)), load_unreachable);
}

TEST_F(LoadRunner, ScenarioWeightsDecideTheMix) {
  const std::string path = "/tmp/eddy-load-scenario-" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream f(path);
    f << R"({"requests": [{"path": "/hello", "weight": 3}, {"path": "/missing", "weight": 1}]})";
  }
  load_options o = options("/");
  o.scenario = path;
  o.requests = 400;
  o.connections = 1;
  load_result r = run_load(o, make_load_plan(o));
  std::remove(path.c_str());
  EXPECT_EQ(r.stats.status[200], 300u);
  EXPECT_EQ(r.stats.status[404], 100u);
}

TEST_F(LoadRunner, ScenarioMixIsExactHoweverTheBudgetFallsOnThreadsAndConnections) {
  const std::string path = "/tmp/eddy-load-scenario-mix-" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream f(path);
    f << R"({"requests": [{"path": "/hello", "weight": 3}, {"path": "/missing", "weight": 1}]})";
  }
  struct shape {
    unsigned threads, connections, pipeline;
  };
  // 403 requests of the order A A B A: 100 rounds, then A A B.
  for (const shape sh : {shape{1, 3, 1}, shape{2, 5, 1}, shape{2, 4, 4}, shape{1, 7, 3}}) {
    load_options o = options("/");
    o.scenario = path;
    o.requests = 403;
    o.threads = sh.threads;
    o.connections = sh.connections;
    o.pipeline = sh.pipeline;
    load_result r = run_load(o, make_load_plan(o));
    EXPECT_EQ(r.stats.status[200], 302u) << sh.threads << " threads, " << sh.connections << " connections, pipeline " << sh.pipeline;
    EXPECT_EQ(r.stats.status[404], 101u) << sh.threads << " threads, " << sh.connections << " connections, pipeline " << sh.pipeline;
  }
  std::remove(path.c_str());
}

TEST(LoadPlan, BadInputGetsAClearError) {
  load_options o;
  o.url = "ftp://example.com/";
  EXPECT_THROW(make_load_plan(o), std::invalid_argument);
  o.url = "http://127.0.0.1:1/";
  o.headers = {"no colon here"};
  EXPECT_THROW(make_load_plan(o), std::invalid_argument);
  o.headers = {"X-A: b"};
  o.body = "@/nonexistent/file";
  EXPECT_THROW(make_load_plan(o), std::invalid_argument);
  o.body = "";
  o.method = "GE T";
  EXPECT_THROW(make_load_plan(o), std::invalid_argument);
  load_options c;
  c.connections = 1;
  c.threads = 2;
  EXPECT_THROW(check_load_options(c), std::invalid_argument);
  c.threads = 1;
  c.pipeline = 1025;
  EXPECT_THROW(check_load_options(c), std::invalid_argument);
}

TEST(LoadPlan, RequestsAreSerialisedWithHostAndContentLength) {
  load_options o;
  o.url = "http://example.com:8080/a?b=c";
  o.method = "POST";
  o.headers = {"X-Test:  yes "};
  o.body = "hi";
  const load_plan p = make_load_plan(o);
  ASSERT_EQ(p.requests.size(), 1u);
  EXPECT_EQ(p.host, "example.com");
  EXPECT_EQ(p.port, 8080);
  EXPECT_EQ(p.requests[0].bytes,
            "POST /a?b=c HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: eddy-load\r\nX-Test: yes\r\n"
            "Content-Length: 2\r\n\r\nhi");
  // The same request as the server tests' hand-written one, given the same User-Agent.
  EXPECT_EQ(serialize_load_request("GET", "test", "/x", {"User-Agent: t"}, ""), get("/x", "User-Agent: t\r\n"));
}

}  // namespace
