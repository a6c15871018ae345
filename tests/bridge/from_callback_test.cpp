// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
#include "eddy/bridge/from_callback.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "eddy/core/awaitable_traits.hpp"
#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

namespace {
// A callback-style "library": calls `cb(x * 2)` on a new thread.
void double_later(int x, std::function<void(int)> cb) {
  std::thread([x, cb = std::move(cb)] { cb(x * 2); }).detach();
}
std::vector<std::string> reports;  // loop thread only
void capture_reports() {
  reports.clear();
  detail::this_loop().set_exception_handler([](std::exception_ptr e, std::string_view) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      reports.emplace_back(ex.what());
    }
  });
}
}  // namespace

TEST(FromCallback, CallbackOnAForeignThreadResumesOnTheLoopThread) {
  auto body = []() -> task<void> {
    const auto loop_thread = std::this_thread::get_id();
    int v = co_await from_callback<void(int)>([](auto cb) { double_later(21, cb); });
    EXPECT_EQ(v, 42);
    EXPECT_EQ(std::this_thread::get_id(), loop_thread);
  };
  test::run_real(body());
}

TEST(FromCallback, SynchronousCallbackInsideInitiateCompletesWithoutReentry) {
  auto body = []() -> task<void> {
    bool inside = false;
    auto v = co_await from_callback<void(std::string, int)>([&](auto cb) {
      inside = true;
      cb("sync", 1);
      inside = false;
    });
    EXPECT_FALSE(inside);
    EXPECT_EQ(std::get<0>(v), "sync");
    EXPECT_EQ(std::get<1>(v), 1);
    co_await from_callback<void()>([](auto cb) { cb(); });
  };
  test::run_virtual(body());
}

TEST(FromCallback, ASecondCallIsIgnoredAndReported) {
  auto body = []() -> task<void> {
    capture_reports();
    std::optional<completion<void(int)>> saved;
    int v = co_await from_callback<void(int)>([&](auto cb) {
      saved.emplace(cb);
      cb(1);
    });
    (*saved)(2);  // twice, on the loop thread
    std::thread t([&] { (*saved)(3); });  // three times, from a foreign thread
    t.join();
    EXPECT_EQ(v, 1);
    for (int i = 0; i < 50 && reports.size() < 2; ++i) co_await sleep_for(1ms);
    EXPECT_EQ(reports.size(), 2u);
    if (reports.empty()) co_return;
    EXPECT_NE(reports[0].find("more than once"), std::string::npos);
  };
  test::run_real(body());
}

TEST(FromCallback, ACallbackDroppedUncalledResumesWithAnError) {
  auto body = []() -> task<void> {
    bool caught = false;
    try {
      co_await from_callback<void(int)>([](auto cb) {
        std::thread([cb] { (void)cb; }).detach();  // the library loses the callback
      });
    } catch (const invalid_state_error& e) {
      caught = std::string_view(e.what()).find("without being called") != std::string_view::npos;
    }
    EXPECT_TRUE(caught);
  };
  test::run_real(body());
}

TEST(FromCallback, ATaskDestroyedWhileWaitingReportsTheMissingCall) {
  std::vector<std::string> seen;
  std::optional<completion<void(int)>> kept;
  {
    event_loop loop;
    loop.set_exception_handler([&](std::exception_ptr e, std::string_view) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        seen.emplace_back(ex.what());
      }
    });
    auto waiting = [&]() -> task<void> {
      (void)co_await from_callback<void(int)>([&](auto cb) { kept.emplace(cb); });
    };
    auto h = waiting();
    auto coro = h.release();
    detail::current_loop_guard on_loop(loop);
    coro.resume();   // parks in from_callback
    coro.destroy();  // the frame goes away without cancellation
  }
  (*kept)(1);  // late: ignored, no crash
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NE(seen[0].find("never called"), std::string::npos);
}

TEST(FromCallback, CancellationRunsOnCancelAndIgnoresTheLateCallback) {
  auto body = []() -> task<void> {
    std::optional<completion<void(int)>> kept;
    bool aborted = false;
    auto h = spawn(as_task(from_callback<void(int)>([&](auto cb) { kept.emplace(cb); },
                                                    {.on_cancel = [&] { aborted = true; }})));
    co_await yield();
    h.cancel();
    bool cancelled = false;
    try {
      (void)co_await h;
    } catch (const cancelled_error&) {
      cancelled = true;
    }
    EXPECT_TRUE(cancelled);
    EXPECT_TRUE(aborted);
    (*kept)(5);  // late: ignored
    co_await yield();
  };
  test::run_virtual(body());
}

TEST(FromCallback, InitiateThatThrowsPropagates) {
  auto body = []() -> task<void> {
    bool caught = false;
    try {
      co_await from_callback<void(int)>([](auto) { throw std::runtime_error("refused"); });
    } catch (const std::runtime_error&) {
      caught = true;
    }
    EXPECT_TRUE(caught);
  };
  test::run_virtual(body());
}

TEST(FromCallback, CancellationRacingAForeignCallbackThousandTimes) {
  auto body = []() -> task<void> {
    int values = 0, cancels = 0;
    for (int i = 0; i < 1000; ++i) {
      std::thread worker;
      auto h = spawn(as_task(from_callback<void(std::unique_ptr<int>)>([&worker, i](auto cb) {
        worker = std::thread([cb, i] { cb(std::make_unique<int>(i)); });
      })));
      co_await yield();
      if (i % 3) h.cancel();
      try {
        auto& v = co_await h;
        EXPECT_EQ(*v, i);
        ++values;
      } catch (const cancelled_error&) {
        ++cancels;
      }
      worker.join();
    }
    EXPECT_EQ(values + cancels, 1000);
  };
  test::run_real(body());
}

namespace {
// A library with its own thread that fires queued callbacks there (librdkafka's, c-ares').
class callback_thread {
 public:
  callback_thread() : thread_([this] { work(); }) {}
  ~callback_thread() {
    {
      std::lock_guard lock(m_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void call_later(std::function<void()> fn) {
    {
      std::lock_guard lock(m_);
      q_.push_back(std::move(fn));
    }
    cv_.notify_one();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return stop_ || !q_.empty(); });
        if (q_.empty()) return;
        fn = std::move(q_.front());
        q_.erase(q_.begin());
      }
      fn();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> q_;
  bool stop_ = false;
  std::thread thread_;
};
}  // namespace

TEST(FromCallback, EightForeignThreadsTimesTenThousandCallbacks) {
  constexpr int threads = 8;
  constexpr int per_thread = 10'000;
  auto body = []() -> task<void> {
    std::vector<std::unique_ptr<callback_thread>> libs;
    for (int t = 0; t < threads; ++t) libs.push_back(std::make_unique<callback_thread>());
    long long sum = 0;  // loop thread only
    std::vector<join_handle<void>> tasks;
    for (int t = 0; t < threads; ++t) {
      tasks.push_back(spawn([](callback_thread& lib, long long& s) -> task<void> {
        for (int i = 0; i < per_thread; ++i) {
          s += co_await from_callback<void(int)>([&lib, i](auto cb) { lib.call_later([cb, i] { cb(i); }); });
        }
      }(*libs[t], sum)));
    }
    for (auto& h : tasks) co_await h;
    EXPECT_EQ(sum, threads * (static_cast<long long>(per_thread) * (per_thread - 1) / 2));
  };
  test::run_real(body());
}
