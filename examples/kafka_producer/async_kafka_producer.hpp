// SPDX-License-Identifier: MIT
// An awaitable Kafka producer over librdkafka: the C++ twin of the asyncio AsyncKafkaProducer
// (produce with a delivery callback resolving a future, poll driven by the event loop).
// Shared by examples/kafka_producer/main.cpp and tests/bridge/kafka_test.cpp.
#pragma once

#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include <eddy/bridge/from_callback.hpp>
#include <eddy/bridge/poll_every.hpp>
#include <eddy/bridge/watch_fd.hpp>
#include <eddy/core/task.hpp>
#include <eddy/runtime/io.hpp>
#include <eddy/runtime/sleep.hpp>
#include <eddy/runtime/spawn.hpp>

/// A delivery or configuration failure reported by librdkafka.
class kafka_error : public std::runtime_error {
 public:
  explicit kafka_error(rd_kafka_resp_err_t code)
      : std::runtime_error(rd_kafka_err2str(code)), code_(code) {}
  kafka_error(rd_kafka_resp_err_t code, const std::string& what)
      : std::runtime_error(what), code_(code) {}
  rd_kafka_resp_err_t code() const noexcept { return code_; }

 private:
  rd_kafka_resp_err_t code_;
};

/// `co_await producer.send(topic, message)` completes when the broker acknowledged the message
/// (or throws `kafka_error`). librdkafka's main queue signals a pipe when delivery reports are
/// waiting; the loop watches the pipe and calls `rd_kafka_poll(rk, 0)`, so delivery callbacks
/// run on the loop thread. A slow periodic poll backs it up. Create and use on one loop.
class async_kafka_producer {
 public:
  explicit async_kafka_producer(const std::map<std::string, std::string>& config) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (const auto& [k, v] : config) {
      if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        throw kafka_error(RD_KAFKA_RESP_ERR__INVALID_ARG, err);
      }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, &on_delivery);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);  // takes conf on success
    if (!rk_) {
      rd_kafka_conf_destroy(conf);
      throw kafka_error(RD_KAFKA_RESP_ERR__FAIL, err);
    }
    if (::pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0) {
      rd_kafka_destroy(rk_);
      throw std::system_error(errno, std::system_category(), "pipe2");
    }
    queue_ = rd_kafka_queue_get_main(rk_);
    rd_kafka_queue_io_event_enable(queue_, wake_[1], "1", 1);
    auto& loop = eddy::detail::this_loop();
    poller_ = eddy::spawn(loop, poll_on_wakeup());
    fallback_ = eddy::spawn(loop, eddy::poll_every(std::chrono::milliseconds(100),
                                                   [rk = rk_] { rd_kafka_poll(rk, 0); }));
  }
  async_kafka_producer(const async_kafka_producer&) = delete;
  async_kafka_producer& operator=(const async_kafka_producer&) = delete;
  ~async_kafka_producer() {
    poller_.cancel();
    fallback_.cancel();
    rd_kafka_queue_io_event_enable(queue_, -1, nullptr, 0);
    rd_kafka_queue_destroy(queue_);
    // Outstanding messages fail with _DESTROY through the delivery callback; their
    // awaiting tasks are gone or get the error.
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk_, 0);
    rd_kafka_destroy(rk_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }

  /// Produces `message` to `topic` and waits for its delivery report. Throws `kafka_error` if
  /// librdkafka refuses the message or the broker does not acknowledge it. Cancelling the
  /// waiting task stops the wait; the message may still be delivered.
  eddy::task<void> send(std::string topic, std::string message) {
    using done = eddy::completion<void(rd_kafka_resp_err_t)>;
    rd_kafka_resp_err_t err = co_await eddy::from_callback<void(rd_kafka_resp_err_t)>([&](done cb) {
      auto* owned = new done(std::move(cb));  // travels as the message's opaque
      rd_kafka_resp_err_t e = rd_kafka_producev(
          rk_, RD_KAFKA_V_TOPIC(topic.c_str()),
          RD_KAFKA_V_VALUE(message.data(), message.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(owned), RD_KAFKA_V_END);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        (*owned)(e);  // refused synchronously: completes without suspending
        delete owned;
      }
    });
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw kafka_error(err);
  }

  /// Waits until every produced message has been delivered or failed, polling from the loop
  /// (never blocking it). Throws `kafka_error(_TIMED_OUT)` after `timeout`.
  eddy::task<void> flush(std::chrono::milliseconds timeout) {
    const auto deadline = eddy::detail::this_loop().now() + timeout;
    while (rd_kafka_outq_len(rk_) > 0) {
      if (eddy::detail::this_loop().now() >= deadline) throw kafka_error(RD_KAFKA_RESP_ERR__TIMED_OUT);
      rd_kafka_poll(rk_, 0);
      co_await eddy::sleep_for(std::chrono::milliseconds(5));
    }
  }

  rd_kafka_t* handle() const noexcept { return rk_; }

 private:
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* msg, void*) {
    auto* cb = static_cast<eddy::completion<void(rd_kafka_resp_err_t)>*>(msg->_private);
    (*cb)(msg->err);
    delete cb;
  }

  eddy::task<void> poll_on_wakeup() {
    eddy::io_registration reg;
    if (auto r = reg.open(eddy::detail::this_loop(), wake_[0]); !r) {
      throw std::system_error(r.error(), "register kafka wake-up pipe");
    }
    for (;;) {
      auto ready = co_await eddy::watch_fd(reg, eddy::fd_interest::readable);
      if (!ready) throw eddy::cancelled_error();
      char buf[64];
      while (::read(wake_[0], buf, sizeof buf) > 0) {
      }
      rd_kafka_poll(rk_, 0);  // runs delivery callbacks here, on the loop thread
    }
  }

  rd_kafka_t* rk_ = nullptr;
  rd_kafka_queue_t* queue_ = nullptr;
  int wake_[2] = {-1, -1};
  eddy::join_handle<void> poller_;
  eddy::join_handle<void> fallback_;
};
