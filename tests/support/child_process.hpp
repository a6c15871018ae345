// SPDX-License-Identifier: MIT
#pragma once
// Helpers for integration tests that run eddy's own programs and real clients as child
// processes: a shell runner with a time limit and a server process wrapper.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <cstdint>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace eddy::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct command_result {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

/// Runs `command` through the shell with a 60 s limit (coreutils `timeout`: exit code 124).
inline command_result sh(const std::string& command) {
  command_result r;
  FILE* p = ::popen(("timeout 60 sh -c " + quote(command) + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline bool have(const std::string& command) { return sh(command + " >/dev/null 2>&1").exit_code == 0; }

/// A Python interpreter that can import aiohttp (Debian's python3-aiohttp lives under
/// /usr/bin/python3, which a pyenv shim on PATH may hide).
inline std::optional<std::string> python_with_aiohttp() {
  for (const char* py : {"python3", "/usr/bin/python3"})
    if (have(std::string(py) + " -c 'import aiohttp'")) return py;
  return std::nullopt;
}

/// An eddy server (the web app, `eddy serve`) as a child process whose stdout is a pipe. It
/// is started with `args` (which should ask for port 0) and its startup line
/// "eddy: app=NAME event=started url=http://127.0.0.1:PORT ..." tells the port.
class server_process {
 public:
  server_process(const fs::path& exe, std::vector<std::string> args) {
    if (!fs::exists(exe)) {
      error_ = "binary not built: " + exe.string();
      return;
    }
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      error_ = "pipe failed";
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
      const std::string path = exe.string();
      std::vector<char*> argv{const_cast<char*>(path.c_str())};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(path.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
    static const std::regex started(R"(event=started url=http://127\.0\.0\.1:(\d+))");
    auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until) {
      std::smatch m;
      if (std::regex_search(output_, m, started)) {
        port_ = std::stoi(m[1]);
        return;
      }
      if (!read_some(until)) break;
    }
    error_ = "no startup line; output so far: " + output_;
  }
  ~server_process() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  const std::string& error() const noexcept { return error_; }
  /// The child's process id (for signals other than `terminate`'s SIGTERM).
  pid_t pid() const noexcept { return pid_; }
  int port() const noexcept { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& output() const noexcept { return output_; }

  /// Sends SIGTERM and waits up to `wait`; the exit code, or nullopt if it did not exit (or
  /// was killed by a signal).
  std::optional<int> terminate(std::chrono::milliseconds wait) {
    if (reaped_) return exit_code_;
    ::kill(pid_, SIGTERM);
    return wait_exit(wait);
  }

  /// Waits up to `wait` for the process to exit, without signalling it; the exit code as for
  /// `terminate`.
  std::optional<int> wait_exit(std::chrono::milliseconds wait) {
    if (reaped_) return exit_code_;
    auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        reaped_ = true;
        while (read_some(std::chrono::steady_clock::now() + 200ms)) {
        }
        if (WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
        return exit_code_;
      }
      read_some(std::chrono::steady_clock::now() + 20ms);
    }
    return std::nullopt;
  }

 private:
  bool read_some(std::chrono::steady_clock::time_point until) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    pollfd p{out_, POLLIN, 0};
    if (left <= 0ms || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    ssize_t n = ::read(out_, buf, sizeof buf);
    if (n <= 0) return false;
    output_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  int port_ = 0;
  bool reaped_ = false;
  std::optional<int> exit_code_;
  std::string output_;
  std::string error_;
};

/// A TCP port on 127.0.0.1 that was free a moment ago (bound, read, closed), for servers that
/// cannot report the port they bound.
inline std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// How many lines of `text` contain `needle` (access logs: one line per request).
inline std::size_t count_lines_with(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

/// The directory holding this test binary's build tree siblings (`examples/`, `bin/`).
inline fs::path build_dir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return self.parent_path().parent_path();
}

}  // namespace eddy::test
