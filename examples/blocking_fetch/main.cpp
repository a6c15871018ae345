// SPDX-License-Identifier: MIT
// A blocking HTTP library (libcurl's easy API) awaited through `to_thread`: the C++ twin of
// `loop.run_in_executor(None, requests.get, url)`. The URLs are fetched concurrently on the
// thread pool while a ticker shows that the loop keeps serving timers.
//   blocking_fetch http://127.0.0.1:8000/a http://127.0.0.1:8000/b
#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <eddy/eddy.hpp>

using namespace std::chrono_literals;

struct fetched {
  long status = 0;
  std::string body;
};

// Plain blocking code: it knows nothing about eddy.
fetched fetch_blocking(const std::string& url) {
  CURL* curl = curl_easy_init();
  if (!curl) throw std::runtime_error("curl_easy_init failed");
  fetched out;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // required with threads
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out.body);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char* p, size_t n, size_t m, void* s) {
    static_cast<std::string*>(s)->append(p, n * m);
    return n * m;
  });
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out.status);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) throw std::runtime_error(url + ": " + curl_easy_strerror(rc));
  return out;
}

eddy::task<void> amain(std::vector<std::string> urls) {
  int ticks = 0;
  auto ticker = eddy::spawn([](int& t) -> eddy::task<void> {
    for (;;) {
      co_await eddy::sleep_for(10ms);
      ++t;
    }
  }(ticks));
  const auto start = std::chrono::steady_clock::now();
  std::vector<eddy::task<fetched>> fetches;
  for (auto& u : urls) fetches.push_back(eddy::as_task(eddy::to_thread(fetch_blocking, u)));
  auto results = co_await eddy::when_all_settled(std::move(fetches));
  for (std::size_t i = 0; i < urls.size(); ++i) {
    if (results[i]) std::printf("%s -> %ld, %zu bytes\n", urls[i].c_str(), results[i].value().status,
                                results[i].value().body.size());
    else std::printf("%s -> failed\n", urls[i].c_str());
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::printf("%zu fetches in %lld ms; the loop ticked %d times meanwhile\n", urls.size(),
              static_cast<long long>(ms.count()), ticks);
  ticker.cancel();
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: blocking_fetch url...\n");
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  eddy::run(amain(std::vector<std::string>(argv + 1, argv + argc)));
  curl_global_cleanup();
}
