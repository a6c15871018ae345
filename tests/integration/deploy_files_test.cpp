// SPDX-License-Identifier: MIT
// eddy-test-labels: integration
// docker/ without a Docker engine: the Dockerfile builds and runs with the README's
// commands; compose.yaml and k8s/*.yaml parse (python3-yaml) and are consistent
// (tests/integration/deploy_files_check.py); the probes they declare are routes the webapp,
// started with the Deployment's environment, really answers; the image's HEALTHCHECK script
// succeeds only while the app serves.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "support/child_process.hpp"

namespace {

using namespace eddy::test;

fs::path source_dir() { return fs::path(EDDY_SOURCE_DIR); }
fs::path docker_dir() { return source_dir() / "docker"; }

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The command between <!-- NAME --> and <!-- /NAME --> in the README.
std::string readme_command(const std::string& name) {
  std::string readme = read(source_dir() / "README.md");
  std::regex block("<!-- " + name + " -->\\s*```\\s*\\n([^\\n]+)\\n```\\s*<!-- /" + name + " -->");
  std::smatch m;
  return std::regex_search(readme, m, block) ? std::string(m[1]) : std::string();
}

// The Dockerfile's instructions, continuation lines joined, comments dropped.
std::vector<std::string> instructions(const std::string& dockerfile) {
  std::vector<std::string> out;
  std::istringstream in(dockerfile);
  std::string line, current;
  while (std::getline(in, line)) {
    if (current.empty() && (line.empty() || line[0] == '#')) continue;
    if (!line.empty() && line.back() == '\\') {
      current += line.substr(0, line.size() - 1);
      continue;
    }
    current += line;
    out.push_back(current);
    current.clear();
  }
  return out;
}

std::vector<std::string> split_and(const std::string& command) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    auto at = command.find(" && ", start);
    parts.push_back(command.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + 4;
  }
}

std::optional<std::string> python_with_yaml() {
  for (const char* py : {"python3", "/usr/bin/python3"})
    if (have(std::string(py) + " -c 'import yaml'")) return py;
  return std::nullopt;
}

fs::path webapp_binary() { return build_dir() / "examples" / "webapp"; }

int healthcheck(int port, const std::string& path) {
  return sh("EDDY_PORT=" + std::to_string(port) + " " + quote((docker_dir() / "healthcheck.sh").string()) + " " +
            quote(path))
      .exit_code;
}

TEST(DeployFiles, DockerfileBuildStageRunsTheReadmeCommands) {
  const std::string test_command = readme_command("test-command");
  const std::string demo_command = readme_command("demo-command");
  ASSERT_FALSE(test_command.empty());
  ASSERT_FALSE(demo_command.empty());
  auto steps = instructions(read(docker_dir() / "Dockerfile"));
  ASSERT_FALSE(steps.empty());
  auto has = [&](const std::string& instruction) {
    return std::find(steps.begin(), steps.end(), instruction) != steps.end();
  };
  // The whole test command, verbatim, so the image exists only if the suite passes.
  EXPECT_TRUE(has("RUN " + test_command)) << test_command;
  // The demo command's build steps, verbatim; its last step runs the app, which is what the
  // runtime stage's ENTRYPOINT does with the same binary.
  auto demo = split_and(demo_command);
  ASSERT_GE(demo.size(), 2u);
  const std::string run_step = demo.back();
  demo.pop_back();
  std::string build_steps;
  for (const auto& s : demo) build_steps += (build_steps.empty() ? "" : " && ") + s;
  EXPECT_TRUE(has("RUN " + build_steps)) << build_steps;
  EXPECT_EQ(run_step, "build/release/examples/webapp");
  EXPECT_TRUE(has("COPY --from=build /src/" + run_step + " /usr/local/bin/webapp"));
  EXPECT_TRUE(has("ENTRYPOINT [\"webapp\"]"));
}

TEST(DeployFiles, DockerfileRuntimeStageIsSlimUnprivilegedAndHealthChecked) {
  auto steps = instructions(read(docker_dir() / "Dockerfile"));
  std::vector<std::string> from;
  for (const auto& s : steps)
    if (s.rfind("FROM ", 0) == 0) from.push_back(s);
  ASSERT_EQ(from.size(), 2u);
  EXPECT_EQ(from[0], "FROM debian:bookworm AS build");
  EXPECT_EQ(from[1], "FROM debian:bookworm-slim AS runtime");
  // Everything after the second FROM is the runtime image.
  auto runtime = std::find(steps.begin(), steps.end(), from[1]);
  bool user = false, healthcheck = false, script = false;
  for (auto it = runtime; it != steps.end(); ++it) {
    if (it->rfind("USER ", 0) == 0) user = it->find("root") == std::string::npos && *it != "USER 0";
    if (it->rfind("HEALTHCHECK ", 0) == 0) healthcheck = it->find("eddy-healthcheck") != std::string::npos;
    if (*it == "COPY --from=build /src/docker/healthcheck.sh /usr/local/bin/eddy-healthcheck") script = true;
    // No compiler, no -dev package in the runtime image.
    EXPECT_EQ(it->find("-dev"), std::string::npos) << *it;
    EXPECT_EQ(it->find("install-deps"), std::string::npos) << *it;
  }
  EXPECT_TRUE(user);
  EXPECT_TRUE(healthcheck);
  EXPECT_TRUE(script);
}

TEST(DeployFiles, HealthcheckScriptSucceedsOnlyWhileTheAppServes) {
  server_process app(webapp_binary(), {"--host", "127.0.0.1", "--port", "0"});
  ASSERT_TRUE(app.error().empty()) << app.error();
  EXPECT_EQ(healthcheck(app.port(), "/health"), 0);
  EXPECT_EQ(healthcheck(app.port(), "/no-such-route"), 1);
  const int port = app.port();
  EXPECT_EQ(app.terminate(10s), std::optional<int>(0));
  EXPECT_EQ(healthcheck(port, "/health"), 1);
}

TEST(DeployFiles, ComposeAndKubernetesFilesParseAndProbeRoutesTheWebappServes) {
  auto py = python_with_yaml();
  if (!py) GTEST_SKIP() << "python3-yaml is not installed";
  auto check = sh(*py + " " + quote((source_dir() / "tests/integration/deploy_files_check.py").string()) + " " +
                  quote(docker_dir().string()));
  ASSERT_EQ(check.exit_code, 0) << check.output;
  std::vector<std::string> probes;
  std::vector<std::pair<std::string, std::string>> env;
  std::istringstream lines(check.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("probe ", 0) == 0) probes.push_back(line.substr(6));
    if (line.rfind("env ", 0) == 0) {
      auto eq = line.find('=');
      env.emplace_back(line.substr(4, eq - 4), line.substr(eq + 1));
    }
  }
  ASSERT_EQ(probes.size(), 2u) << check.output;
  // The webapp with the Deployment's environment (flags pick a free loopback port): it must
  // accept every value, and answer every probe with 200.
  for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
  server_process app(webapp_binary(), {"--host", "127.0.0.1", "--port", "0"});
  for (const auto& [k, v] : env) ::unsetenv(k.c_str());
  ASSERT_TRUE(app.error().empty()) << app.error();
  EXPECT_NE(app.output().find("shutdown-delay-ms=3000(env EDDY_SHUTDOWN_DELAY_MS)"), std::string::npos) << app.output();
  for (const auto& path : probes) EXPECT_EQ(healthcheck(app.port(), path), 0) << path;
  ::kill(app.pid(), SIGKILL);  // its shutdown delay is the Deployment's 3 s: not needed here
}

TEST(DeployFiles, ComposeLoadServiceCommandRunsAgainstTheWebapp) {
  // compose.yaml's `load` runs `eddy load http://nginx:8080/plaintext -c 64 -d 30s` (the
  // checker holds it to exactly that); the same flags, aimed at a local webapp for 1 s.
  const fs::path eddy = build_dir() / "bin" / "eddy";
  if (!fs::exists(eddy)) GTEST_SKIP() << "eddy CLI not built: " << eddy;
  server_process app(webapp_binary(), {"--host", "127.0.0.1", "--port", "0"});
  ASSERT_TRUE(app.error().empty()) << app.error();
  auto run = sh(quote(eddy.string()) + " load " + app.url() + "/plaintext -c 64 -d 1s");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("64 connections"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("non-2xx: 0"), std::string::npos) << run.output;
  EXPECT_EQ(app.terminate(10s), std::optional<int>(0));
}

TEST(DeployFiles, CheckerRejectsAGracePeriodShorterThanTheDrain) {
  // The consistency check above must be able to fail: a copy of docker/ with a grace period
  // too short for preStop + shutdown delay + graceful timeout.
  auto py = python_with_yaml();
  if (!py) GTEST_SKIP() << "python3-yaml is not installed";
  fs::path tmp = fs::temp_directory_path() / ("eddy-deploy-check-" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp / "k8s");
  fs::copy_file(docker_dir() / "compose.yaml", tmp / "compose.yaml");
  for (const char* f : {"service.yaml", "hpa.yaml"}) fs::copy_file(docker_dir() / "k8s" / f, tmp / "k8s" / f);
  std::string deployment = read(docker_dir() / "k8s" / "deployment.yaml");
  auto at = deployment.find("terminationGracePeriodSeconds: ");
  ASSERT_NE(at, std::string::npos);
  deployment.replace(at, deployment.find('\n', at) - at, "terminationGracePeriodSeconds: 5");
  std::ofstream(tmp / "k8s" / "deployment.yaml") << deployment;
  auto check = sh(*py + " " + quote((source_dir() / "tests/integration/deploy_files_check.py").string()) + " " +
                  quote(tmp.string()));
  fs::remove_all(tmp);
  EXPECT_EQ(check.exit_code, 1) << check.output;
  EXPECT_NE(check.output.find("terminationGracePeriodSeconds 5"), std::string::npos) << check.output;
}

}  // namespace
