// SPDX-License-Identifier: MIT
// Cancelling a task when the user answers "y". Python's input() blocks the whole event loop;
// here stdin is read without blocking it, so the task keeps running while we wait for an
// answer. At EOF on stdin we stop asking and just wait for the task.
#include <eddy/eddy.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <system_error>

#include "../common/story.hpp"

namespace cancel_task_example {

/// Reads lines from a descriptor on the running loop. Makes it non-blocking for its lifetime
/// and restores the original flags afterwards (stdin is shared with the shell).
class line_reader {
 public:
  /// `fd` < 0 reads as an empty input.
  explicit line_reader(int fd) : fd_(fd), flags_(fd < 0 ? -1 : ::fcntl(fd, F_GETFL)) {
    if (fd < 0) {
      eof_ = true;
      return;
    }
    if (flags_ == -1) throw std::system_error(errno, std::system_category(), "fcntl(F_GETFL)");
    if (::fcntl(fd, F_SETFL, flags_ | O_NONBLOCK) == -1) {
      throw std::system_error(errno, std::system_category(), "fcntl(F_SETFL)");
    }
    // Pipes, terminals and sockets are watched by the reactor. Regular files and /dev/null
    // cannot be (epoll refuses them), but reading those never blocks, so plain reads do.
    (void)registration_.open(*eddy::event_loop::current(), fd);
  }
  line_reader(const line_reader&) = delete;
  line_reader& operator=(const line_reader&) = delete;
  ~line_reader() {
    registration_.reset();  // deregister before handing the descriptor back
    if (fd_ >= 0) ::fcntl(fd_, F_SETFL, flags_);
  }

  /// The next line without its newline, or nullopt at end of input. Throws
  /// `cancelled_error` if the reading task is cancelled, `std::system_error` on read errors.
  eddy::task<std::optional<std::string>> read_line() {
    for (;;) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        co_return line;
      }
      if (eof_) {
        if (buffer_.empty()) co_return std::nullopt;
        co_return std::exchange(buffer_, {});  // a last line without a newline
      }
      char chunk[256];
      auto read_some = [&]() -> eddy::result<std::size_t> {
        ssize_t n;
        do n = ::read(fd_, chunk, sizeof chunk);
        while (n < 0 && errno == EINTR);
        if (n < 0) return std::error_code(errno, std::system_category());
        return static_cast<std::size_t>(n);
      };
      std::optional<eddy::result<std::size_t>> n;
      if (registration_.is_open()) {
        n.emplace(co_await eddy::io_operation(registration_, eddy::io_direction::read, read_some));
      } else {
        n.emplace(read_some());
      }
      if (!*n) {
        if (n->error() == eddy::errc::operation_canceled) throw eddy::cancelled_error();
        throw std::system_error(n->error(), "reading the answer");
      }
      if (**n == 0) eof_ = true;
      buffer_.append(chunk, **n);
    }
  }

  /// True if the descriptor is a terminal (the user sees what they type).
  bool interactive() const { return fd_ >= 0 && ::isatty(fd_) == 1; }

 private:
  int fd_;
  int flags_;
  eddy::io_registration registration_;
  std::string buffer_;
  bool eof_ = false;
};

eddy::task<std::string> create_string_after(std::string msg, double delay) {
  co_await eddy::sleep_for(story::delay(delay));
  co_return story::now() + " " + msg;
}

eddy::task<void> amain(int input_fd) {
  line_reader input(input_fd);
  story::display("*****Start of main*****");
  auto task = eddy::spawn(create_string_after("Bonjour", 10));

  while (true) {
    if (task.done()) {
      std::string result = task.result();
      story::display(result);
      break;
    }
    std::fputs("Task not complete yet. Do you want to cancel it? ", stdout);
    std::fflush(stdout);
    std::optional<std::string> cancel = co_await input.read_line();
    // Piped answers are echoed so the transcript reads like a session; Ctrl-D ends the line.
    if (!cancel || !input.interactive()) story::say(cancel.value_or(""));
    if (!cancel) {
      story::display("No more answers (stdin is closed), so I'll wait for the task.");
      story::display(co_await task);
      break;
    }
    if (*cancel == "y") {
      story::display("OK I'll cancel the task and we'll all just move on in life.");
      task.cancel();
      break;
    }
    story::display("OK I'll wait another second and do something useful...");
    co_await eddy::sleep_for(story::delay(1));
  }

  story::display("*****End of main*****");
}

void main(int input_fd) {
  // A closed stdin (`<&-`) reads as empty; checked before the loop opens descriptors that
  // could take its number.
  if (::fcntl(input_fd, F_GETFD) == -1) input_fd = -1;
  eddy::run(amain(input_fd));
}

}  // namespace cancel_task_example

#ifndef EDDY_TOUR
int main(int argc, char** argv) {
  return story::main(argc, argv, [] { cancel_task_example::main(STDIN_FILENO); });
}
#endif
