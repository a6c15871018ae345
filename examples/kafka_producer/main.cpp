// SPDX-License-Identifier: MIT
// Sends messages through librdkafka and awaits each delivery report. Without arguments it
// uses librdkafka's built-in mock cluster, so no broker is needed:
//   kafka_producer                 # mock cluster
//   kafka_producer localhost:9092  # a real broker
#include <cstdio>
#include <string>

#include <eddy/eddy.hpp>

#include "async_kafka_producer.hpp"

eddy::task<void> amain(std::string brokers) {
  std::map<std::string, std::string> config{{"linger.ms", "5"}};
  if (brokers.empty()) config["test.mock.num.brokers"] = "1";
  else config["bootstrap.servers"] = brokers;
  async_kafka_producer producer(config);

  std::vector<eddy::task<void>> sends;
  for (int i = 0; i < 10; ++i) sends.push_back(producer.send("greetings", "hello #" + std::to_string(i)));
  co_await eddy::when_all(std::move(sends));  // ten deliveries, awaited concurrently
  std::puts("10 messages delivered");
}

int main(int argc, char** argv) { eddy::run(amain(argc > 1 ? argv[1] : "")); }
