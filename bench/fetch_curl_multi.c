/* SPDX-License-Identifier: MIT */
/* curl-multi peer of bench/run_fetch_bench.sh: REQUESTS GETs of URL over CONNECTIONS easy
 * handles in one curl multi handle (connections reused from the multi's cache), bodies
 * discarded. Prints "ok=N failed=N wall=S cpu=S" like bench/fetch_bench.cpp. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double cpu_seconds(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static size_t discard(char *data, size_t size, size_t n, void *user) {
  (void)data;
  *(size_t *)user += size * n;
  return size * n;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s URL REQUESTS CONNECTIONS\n", argv[0]);
    return 2;
  }
  const char *url = argv[1];
  long requests = atol(argv[2]), connections = atol(argv[3]);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURLM *multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, connections);
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, connections);
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, connections);
  size_t bytes = 0;
  long started = 0, ok = 0, failed = 0;
  double cpu0 = cpu_seconds(), t0 = now();
  for (long i = 0; i < connections && started < requests; ++i, ++started) {
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &bytes);
    curl_multi_add_handle(multi, e);
  }
  int running = 1;
  while (ok + failed < requests) {
    curl_multi_perform(multi, &running);
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(multi, &left))) {
      if (m->msg != CURLMSG_DONE) continue;
      CURL *e = m->easy_handle;
      long status = 0;
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
      if (m->data.result == CURLE_OK && status == 200) ++ok; else ++failed;
      curl_multi_remove_handle(multi, e);
      if (started < requests) {
        ++started;
        curl_multi_add_handle(multi, e); /* same easy handle, same options: a new transfer */
      } else {
        curl_easy_cleanup(e);
      }
    }
    if (ok + failed < requests) curl_multi_poll(multi, NULL, 0, 1000, NULL);
  }
  double wall = now() - t0;
  printf("ok=%ld failed=%ld wall=%.4f cpu=%.4f\n", ok, failed, wall, cpu_seconds() - cpu0);
  curl_multi_cleanup(multi);
  curl_global_cleanup();
  return failed == 0 ? 0 : 1;
}
