// SPDX-License-Identifier: MIT
// eddy-test-labels: integration
// `eddy echo` against real peers: socat, nc, Python's socket module, and eddy's own client.
#include <eddy/net/tcp_stream.hpp>

#include <gtest/gtest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <eddy/runtime/sleep.hpp>
#include <eddy/runtime/task_group.hpp>
#include <eddy/stream/buffered_reader.hpp>

#include "support/test_loop.hpp"

using eddy::address;
using eddy::task;
using eddy::tcp_stream;
using namespace std::chrono_literals;

namespace {

std::string eddy_binary() {
  // The test binary lives in <build>/tests, the tool in <build>/bin.
  auto self = std::filesystem::read_symlink("/proc/self/exe");
  return (self.parent_path().parent_path() / "bin" / "eddy").string();
}

bool have(const char* tool) {
  std::string cmd = std::string("command -v ") + tool + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// A running `eddy echo`; killed (SIGKILL) if the test did not stop it.
class echo_server {
 public:
  explicit echo_server(std::vector<std::string> args) {
    int out[2];
    EXPECT_EQ(::pipe(out), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      std::vector<std::string> all{eddy_binary(), "echo", "--port", "0"};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    // First line: "eddy echo: listening on 127.0.0.1:PORT (...)".
    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    auto colon = line.find("127.0.0.1:");
    if (colon != std::string::npos) port_ = static_cast<std::uint16_t>(std::stoi(line.substr(colon + 10)));
  }
  ~echo_server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  address at() const { return address::ipv4_loopback(port_); }
  // Sends `sig` and waits for the exit status (-1 if it did not exit within `limit`).
  int stop(int sig, std::chrono::milliseconds limit = 10s) {
    ::kill(pid_, sig);
    return wait(limit);
  }
  int wait(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }
  // Resident set size in KiB.
  long rss_kib() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string key;
    while (status >> key) {
      if (key == "VmRSS:") {
        long kib = 0;
        status >> kib;
        return kib;
      }
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

std::string run_shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

int connect_blocking(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

task<std::string> roundtrip(address at, std::string msg) {
  auto c = co_await tcp_stream::connect(at);
  if (!c) co_return "<connect: " + c.error().message() + ">";
  if (!co_await c->write(msg)) co_return "<write>";
  eddy::buffered_reader r(*c);
  auto got = co_await r.read_exactly(msg.size());
  co_return got ? *got : "<read: " + got.error().message() + ">";
}

void raise_fd_limit() {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
}

}  // namespace

class EchoServer : public ::testing::TestWithParam<const char*> {};

TEST_P(EchoServer, AnswersSocatNcAndPythonClients) {
  echo_server server({"--workers", "2", "--udp", "--mode", GetParam()});
  ASSERT_NE(server.port(), 0);
  const std::string port = std::to_string(server.port());
  if (have("socat")) {
    EXPECT_EQ(run_shell("printf 'via socat\\n' | socat -t2 - TCP:127.0.0.1:" + port), "via socat\n");
    EXPECT_EQ(run_shell("printf 'udp socat' | socat -t1 - UDP:127.0.0.1:" + port), "udp socat");
  }
  if (have("nc")) {
    EXPECT_EQ(run_shell("printf 'via nc\\n' | timeout 5 nc -N 127.0.0.1 " + port + " 2>/dev/null || "
                        "printf 'via nc\\n' | timeout 5 nc -q 1 127.0.0.1 " + port),
              "via nc\n");
  }
  if (have("python3")) {
    const std::string py = R"(
import socket, sys
port = int(sys.argv[1])
data = bytes(range(256)) * 8192  # 2 MiB
s = socket.create_connection(('127.0.0.1', port))
s.sendall(data); s.shutdown(socket.SHUT_WR)
got = bytearray()
while True:
    chunk = s.recv(65536)
    if not chunk: break
    got += chunk
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(5)
u.sendto(b'udp python', ('127.0.0.1', port))
reply, _ = u.recvfrom(100)
print('ok' if got == data and reply == b'udp python' else 'mismatch %d' % len(got))
)";
    EXPECT_EQ(run_shell("python3 -c \"$(cat <<'PYEOF'\n" + py + "\nPYEOF\n)\" " + port), "ok\n");
  }
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

TEST_P(EchoServer, ServesAThousandConcurrentClients) {
  echo_server server({"--workers", "2", "--mode", GetParam()});
  ASSERT_NE(server.port(), 0);
  int ok = eddy::test::run_real([](address at) -> task<int> {
    int good = 0;
    eddy::task_group g;
    for (int i = 0; i < 1000; ++i) {
      g.spawn([](address a, int n, int& count) -> task<> {
        std::string msg = "client " + std::to_string(n) + std::string(n % 100, '.');
        if (co_await roundtrip(a, msg) == msg) ++count;
      }(at, i, good));
    }
    co_await g.join();
    co_return good;
  }(server.at()));
  EXPECT_EQ(ok, 1000);
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

TEST_P(EchoServer, SlowReaderDoesNotGrowServerMemory) {
  echo_server server({"--workers", "1", "--mode", GetParam()});
  ASSERT_NE(server.port(), 0);
  const long before = server.rss_kib();
  int fd = connect_blocking(server.port());
  ASSERT_GE(fd, 0);
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  // Send without ever reading until the pipe is full in both directions for a while.
  std::string chunk(64 * 1024, 'x');
  std::size_t sent = 0;
  auto quiet_since = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - quiet_since < 500ms && sent < (256u << 20)) {
    ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      quiet_since = std::chrono::steady_clock::now();
    } else {
      std::this_thread::sleep_for(5ms);
    }
  }
  const long after = server.rss_kib();
  std::printf("slow reader: sent %zu KiB before blocking; server RSS %ld -> %ld KiB\n", sent / 1024,
              before, after);
  EXPECT_LT(sent, 256u << 20) << "the server never pushed back";
  EXPECT_LT(after - before, 8 * 1024) << "server buffered what the client did not read";
  ::close(fd);
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

TEST_P(EchoServer, HoldsTenThousandIdleConnectionsCheaply) {
  raise_fd_limit();
  echo_server server({"--workers", "1", "--mode", GetParam()});
  ASSERT_NE(server.port(), 0);
  std::this_thread::sleep_for(100ms);
  const long before = server.rss_kib();
  constexpr int count = 10000;
  std::vector<int> fds;
  fds.reserve(count);
  for (int i = 0; i < count; ++i) {
    int fd = connect_blocking(server.port());
    if (fd < 0) break;
    fds.push_back(fd);
  }
  ASSERT_EQ(fds.size(), static_cast<std::size_t>(count));
  // Every connection works: one byte through each of a sample, then let the server settle.
  for (int i = 0; i < count; i += 97) {
    char c = 'a';
    EXPECT_EQ(::send(fds[i], &c, 1, 0), 1);
    EXPECT_EQ(::recv(fds[i], &c, 1, 0), 1);
  }
  std::this_thread::sleep_for(300ms);
  const long after = server.rss_kib();
  const double per_connection = static_cast<double>(after - before) * 1024 / count;
  std::printf("%d idle connections (%s): server RSS %ld -> %ld KiB, %.0f bytes each\n", count,
              GetParam(), before, after, per_connection);
  EXPECT_LE(per_connection, 2048.0);
  for (int fd : fds) ::close(fd);
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

TEST_P(EchoServer, ShutsDownGracefullyAndASecondSignalForcesExit) {
  echo_server server({"--workers", "2", "--mode", GetParam(), "--shutdown-grace", "10"});
  ASSERT_NE(server.port(), 0);
  int fd = connect_blocking(server.port());
  ASSERT_GE(fd, 0);
  char buf[8] = "first";
  // A round trip proves the server accepted the connection (queued ones are reset at close).
  EXPECT_EQ(::send(fd, buf, 5, 0), 5);
  EXPECT_EQ(::recv(fd, buf, sizeof(buf), 0), 5);
  ::kill(server.pid(), SIGTERM);
  std::this_thread::sleep_for(200ms);
  // Accepting stopped, the open connection is still served.
  EXPECT_LT(connect_blocking(server.port()), 0);
  std::memcpy(buf, "still", 5);
  EXPECT_EQ(::send(fd, buf, 5, 0), 5);
  EXPECT_EQ(::recv(fd, buf, sizeof(buf), 0), 5);
  EXPECT_EQ(server.wait(200ms), -1) << "exited while a connection was open";
  ::shutdown(fd, SHUT_WR);  // the client finishes: the server may exit now
  EXPECT_EQ(::recv(fd, buf, sizeof(buf), 0), 0);
  EXPECT_EQ(server.wait(5s), 0);
  ::close(fd);

  echo_server stubborn({"--workers", "1", "--mode", GetParam(), "--shutdown-grace", "60"});
  int held = connect_blocking(stubborn.port());
  ASSERT_GE(held, 0);
  EXPECT_EQ(::send(held, buf, 1, 0), 1);
  EXPECT_EQ(::recv(held, buf, 1, 0), 1);
  ::kill(stubborn.pid(), SIGINT);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(stubborn.stop(SIGINT, 2s), 128 + SIGINT);
  ::close(held);
}

TEST_P(EchoServer, ClosesIdleConnectionsAndEnforcesMaxConnections) {
  echo_server server({"--workers", "1", "--mode", GetParam(), "--idle-timeout", "1", "--max-connections", "2"});
  ASSERT_NE(server.port(), 0);
  int a = connect_blocking(server.port());
  int b = connect_blocking(server.port());
  std::this_thread::sleep_for(100ms);
  int c = connect_blocking(server.port());
  char buf[4];
  EXPECT_EQ(::recv(c, buf, sizeof(buf), 0), 0) << "third connection should be closed at once";
  // a and b send nothing: the idle timeout closes them (no wall-clock bound asserted tightly).
  timeval tv{5, 0};
  ::setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  EXPECT_EQ(::recv(a, buf, sizeof(buf), 0), 0);
  for (int fd : {a, b, c}) ::close(fd);
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

TEST_P(EchoServer, KeepsAConnectionThatStaysActivePastTheIdleTimeoutThenClosesIt) {
  echo_server server({"--workers", "1", "--mode", GetParam(), "--idle-timeout", "1"});
  ASSERT_NE(server.port(), 0);
  int fd = connect_blocking(server.port());
  ASSERT_GE(fd, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  // One byte every 250 ms for 2.5 s: each idle check finds recent traffic and looks again
  // later, so every echo arrives although the connection is older than the timeout.
  const auto start = std::chrono::steady_clock::now();
  int echoed = 0;
  for (char c = 'a'; std::chrono::steady_clock::now() - start < 2500ms; ++c) {
    char back = 0;
    ASSERT_EQ(::send(fd, &c, 1, MSG_NOSIGNAL), 1);
    ASSERT_EQ(::recv(fd, &back, 1, 0), 1) << "closed after " << echoed << " echoes";
    EXPECT_EQ(back, c);
    ++echoed;
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_GE(echoed, 5);
  // Then silence: the idle timeout closes it.
  char buf[4];
  EXPECT_EQ(::recv(fd, buf, sizeof(buf), 0), 0);
  ::close(fd);
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

TEST(EchoCommand, RejectsBadOptionsWithAMessage) {
  const std::string bin = eddy_binary();
  EXPECT_NE(std::system((bin + " echo --mode sideways >/dev/null 2>&1").c_str()), 0);
  EXPECT_NE(std::system((bin + " echo --port 70000 >/dev/null 2>&1").c_str()), 0);
  EXPECT_NE(std::system((bin + " echo --host no-such-host.invalid --port 0 >/dev/null 2>&1").c_str()), 0);
  EXPECT_EQ(std::system((bin + " echo --help >/dev/null 2>&1").c_str()), 0);
  EXPECT_EQ(std::system((bin + " --help >/dev/null 2>&1").c_str()), 0);
}

INSTANTIATE_TEST_SUITE_P(Modes, EchoServer, ::testing::Values("streams", "protocol"),
                         [](const auto& info) { return std::string(info.param); });
