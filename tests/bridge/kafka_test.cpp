// SPDX-License-Identifier: MIT
// eddy-test-labels: integration
// Not labelled `threads` although librdkafka starts threads: they are created with C11
// thrd_create, which ThreadSanitizer does not intercept, so TSan crashes inside librdkafka.
// librdkafka (its mock cluster: no broker needed) wrapped with from_callback + watch_fd.
#include "../examples/kafka_producer/async_kafka_producer.hpp"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka_mock.h>

#include <eddy/core/when_all.hpp>

#include <string>
#include <vector>

#include "support/test_loop.hpp"

using namespace std::chrono_literals;

namespace {
std::map<std::string, std::string> mock_config() {
  return {{"test.mock.num.brokers", "1"}, {"linger.ms", "1"},
          {"message.send.max.retries", "0"}, {"message.timeout.ms", "10000"},
          {"log_level", "0"}};
}
}  // namespace

TEST(KafkaProducer, AThousandConcurrentSendsAreAllDelivered) {
  auto body = []() -> eddy::task<void> {
    async_kafka_producer producer(mock_config());
    std::vector<eddy::task<void>> sends;
    for (int i = 0; i < 1000; ++i) sends.push_back(producer.send("events", "message " + std::to_string(i)));
    auto outcomes = co_await eddy::when_all_settled(std::move(sends));
    int ok = 0;
    for (auto& o : outcomes) ok += o.has_value() ? 1 : 0;
    EXPECT_EQ(ok, 1000);
    co_await producer.flush(5s);
    EXPECT_EQ(rd_kafka_outq_len(producer.handle()), 0);
  };
  eddy::test::run_real(body());
}

TEST(KafkaProducer, ABrokerErrorIsThrownFromSend) {
  auto body = []() -> eddy::task<void> {
    async_kafka_producer producer(mock_config());
    co_await producer.send("errors", "warm-up: topic metadata is known now");
    rd_kafka_mock_cluster_t* cluster = rd_kafka_handle_mock_cluster(producer.handle());
    EXPECT_NE(cluster, nullptr);
    if (!cluster) co_return;
    rd_kafka_mock_push_request_errors(cluster, 0 /* Produce */, 1, RD_KAFKA_RESP_ERR_INVALID_RECORD);
    rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
    try {
      co_await producer.send("errors", "rejected by the broker");
    } catch (const kafka_error& e) {
      code = e.code();
    }
    EXPECT_EQ(code, RD_KAFKA_RESP_ERR_INVALID_RECORD);
    co_await producer.send("errors", "the next one goes through");
  };
  eddy::test::run_real(body());
}

TEST(KafkaProducer, AMessageRefusedLocallyThrowsWithoutWaiting) {
  auto body = []() -> eddy::task<void> {
    auto config = mock_config();
    config["message.max.bytes"] = "1000";
    async_kafka_producer producer(config);
    rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
    try {
      co_await producer.send("big", std::string(5000, 'x'));
    } catch (const kafka_error& e) {
      code = e.code();
    }
    EXPECT_EQ(code, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  };
  eddy::test::run_real(body());
}

TEST(KafkaProducer, ClosingWithMessagesInFlightFailsTheirSendsCleanly) {
  auto body = []() -> eddy::task<void> {
    std::vector<eddy::join_handle<void>> sends;
    {
      async_kafka_producer producer(mock_config());
      for (int i = 0; i < 50; ++i) sends.push_back(eddy::spawn(producer.send("closing", "m")));
      co_await eddy::yield();  // every send has produced its message; none delivered yet
    }  // destroyed: queued messages are purged and their delivery reports fail
    int failed = 0, delivered = 0;
    for (auto& h : sends) {
      try {
        co_await h;
        ++delivered;
      } catch (const kafka_error&) {
        ++failed;
      }
    }
    EXPECT_EQ(failed + delivered, 50);
    EXPECT_GT(failed, 0);
  };
  eddy::test::run_real(body());
}

TEST(KafkaProducer, BadConfigurationThrows) {
  auto body = []() -> eddy::task<void> {
    const std::map<std::string, std::string> bad{{"no.such.property", "1"}};
    EXPECT_THROW({ async_kafka_producer p(bad); }, kafka_error);
    co_return;
  };
  eddy::test::run_real(body());
}
