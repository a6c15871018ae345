// SPDX-License-Identifier: MIT
#include "eddy/http/static_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <ctime>

#include "eddy/http/detail/byte_scan.hpp"
#include "eddy/http/error.hpp"

namespace eddy::http {

std::optional<std::string> resolve_static_path(std::string_view root, std::string_view relative,
                                               bool allow_directory) {
  if (relative.find('\0') != std::string_view::npos || relative.find('\\') != std::string_view::npos) return std::nullopt;
  while (!relative.empty() && relative.front() == '/') relative.remove_prefix(1);
  // Segment check: no '..' or '.' anywhere (the server already resolved dot segments; a
  // remaining one means something tried to smuggle it).
  std::string_view rest = relative;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    if (seg == ".." || seg == ".") return std::nullopt;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  char real_root[PATH_MAX];
  if (!::realpath(std::string(root).c_str(), real_root)) return std::nullopt;
  std::string candidate = std::string(real_root) + "/" + std::string(relative);
  char real[PATH_MAX];
  if (!::realpath(candidate.c_str(), real)) return std::nullopt;
  std::string_view r(real), base(real_root);
  // Symlinks are followed, but the target must stay under the root.
  if (r != base && (r.substr(0, base.size()) != base || r.size() <= base.size() || r[base.size()] != '/')) {
    return std::nullopt;
  }
  struct stat st {};
  if (::stat(real, &st) != 0) return std::nullopt;
  if (S_ISREG(st.st_mode) || (allow_directory && S_ISDIR(st.st_mode))) return std::string(real);
  return std::nullopt;
}

std::string_view content_type_for(std::string_view name) noexcept {
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string_view ext = name.substr(dot + 1);
  struct entry {
    std::string_view ext, type;
  };
  static constexpr entry table[] = {
      {"html", "text/html; charset=utf-8"}, {"htm", "text/html; charset=utf-8"},
      {"txt", "text/plain; charset=utf-8"}, {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"}, {"mjs", "text/javascript; charset=utf-8"},
      {"json", "application/json"}, {"xml", "application/xml"}, {"csv", "text/csv; charset=utf-8"},
      {"md", "text/markdown; charset=utf-8"}, {"png", "image/png"}, {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"}, {"gif", "image/gif"}, {"svg", "image/svg+xml"},
      {"webp", "image/webp"}, {"ico", "image/x-icon"}, {"pdf", "application/pdf"},
      {"wasm", "application/wasm"}, {"woff", "font/woff"}, {"woff2", "font/woff2"},
      {"mp4", "video/mp4"}, {"mp3", "audio/mpeg"}, {"zip", "application/zip"},
      {"gz", "application/gzip"}, {"tar", "application/x-tar"}};
  for (const auto& e : table)
    if (e.ext == ext) return e.type;
  return "application/octet-stream";
}

namespace {

std::string http_time(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

std::optional<std::time_t> parse_http_time(std::string_view s) {
  std::tm tm{};
  std::string copy(s);
  if (!strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return std::nullopt;
  return timegm(&tm);
}

// Whether the list of entity tags in `header` (or "*") names `etag`: weak comparison for
// If-None-Match, strong (a weak tag never matches) for If-Match and If-Range (RFC 9110 8.8.3.2).
bool etag_matches(std::string_view header, std::string_view etag, bool strong = false) {
  if (header == "*") return true;
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    const bool weak = tag.substr(0, 2) == "W/";
    if (weak) tag.remove_prefix(2);
    if (tag == etag && !(strong && weak)) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

// Whether a Range header may be honoured under `If-Range` (RFC 9110 13.1.5): an entity tag
// that matches strongly, or exactly the file's Last-Modified date. Anything else means the
// client's copy is stale: the whole file (200) is sent.
bool if_range_holds(std::string_view value, std::string_view etag, std::time_t mtime) {
  if (value.empty()) return false;
  if (value.front() == '"' || value.substr(0, 2) == "W/") {
    return value.find(',') == std::string_view::npos && etag_matches(value, etag, true);
  }
  const auto t = parse_http_time(value);
  return t && *t == mtime;
}

// A Range position (RFC 9110 14.1.2: 1*DIGIT): digits only, and a number past 2^64 - 1 is
// taken as 2^64 - 1, which is past the end of any file, rather than refused or wrapped: a
// last-byte-pos that large means "to the end", a first-byte-pos that large is unsatisfiable.
bool range_number(std::string_view digits, std::uint64_t& out) noexcept {
  std::uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
  }
  out = v;
  return !digits.empty();
}

}  // namespace

// Files up to this size are read into the response; larger ones are sent with sendfile.
constexpr std::uint64_t in_memory_limit = 64 * 1024;

response file_response(const request& req, const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw error(errno == EACCES ? 403 : 404);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw error(404);
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  std::string etag = "\"" + std::to_string(st.st_mtime) + "-" + std::to_string(size) + "\"";
  std::string last_modified = http_time(st.st_mtime);

  auto not_modified = [&] {
    ::close(fd);
    response r(304);
    r.headers().add("ETag", etag);
    r.headers().add("Last-Modified", last_modified);
    return r;
  };
  // Preconditions in RFC 9110 13.2.2's order: If-Match, else If-Unmodified-Since (412 when
  // the file changed), then If-None-Match, else If-Modified-Since (304 when it did not).
  auto precondition_failed = [&] {
    ::close(fd);
    return response(412);
  };
  if (auto im = req.header("If-Match")) {
    if (!etag_matches(*im, etag, true)) return precondition_failed();
  } else if (auto ius = req.header("If-Unmodified-Since")) {
    auto t = parse_http_time(*ius);
    if (t && st.st_mtime > *t) return precondition_failed();
  }
  if (auto inm = req.header("If-None-Match")) {
    if (etag_matches(*inm, etag)) return not_modified();
  } else if (auto ims = req.header("If-Modified-Since")) {
    auto t = parse_http_time(*ims);
    if (t && st.st_mtime <= *t) return not_modified();
  }

  std::uint64_t first = 0, last = size ? size - 1 : 0;
  int status = 200;
  const auto if_range = req.header("If-Range");
  if (auto range = req.header("Range");
      range && req.method() == method::get && (!if_range || if_range_holds(*if_range, etag, st.st_mtime))) {
    // One range only ("bytes=a-b", "bytes=a-", "bytes=-n"); anything else is ignored (200)
    // as RFC 9110 14.2 allows, except an unsatisfiable single range (416).
    std::string_view spec = *range;
    if (spec.size() >= 6 && detail::iequals_lower(spec.substr(0, 6), "bytes=") &&
        spec.find(',') == std::string_view::npos) {
      spec.remove_prefix(6);
      auto dash = spec.find('-');
      if (dash != std::string_view::npos) {
        std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
        std::uint64_t x = 0, y = 0;
        bool ok_a = a.empty() || range_number(a, x);
        bool ok_b = b.empty() || range_number(b, y);
        if (ok_a && ok_b && !(a.empty() && b.empty())) {
          bool satisfiable = true;
          if (a.empty()) {  // suffix: the last y bytes
            if (y == 0 || size == 0) satisfiable = false;
            else first = y >= size ? 0 : size - y;
          } else {
            if (x >= size) satisfiable = false;
            first = x;
            if (!b.empty()) {
              if (y < x) satisfiable = false;
              last = std::min(y, size - 1);
            }
          }
          if (!satisfiable) {
            ::close(fd);
            response r(416);
            r.headers().add("Content-Range", "bytes */" + std::to_string(size));
            return r;
          }
          status = 206;
        }
      }
    }
  }
  std::uint64_t length = size == 0 ? 0 : last - first + 1;
  response r;
  if (length > in_memory_limit) {
    // Large: the server sends it from the page cache (sendfile) as it writes.
    r = response::file(unique_fd(fd), first, length, content_type_for(path), status);
  } else {
    // Small: one read now, so that pipelined responses still go out in one write.
    std::string body;
    // Read for HEAD too: the response must carry the GET's Content-Length.
    body.resize(length);
    std::uint64_t done = 0;
    while (done < length) {
      ssize_t n = ::pread(fd, body.data() + done, length - done, static_cast<off_t>(first + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fd);
        throw error(500, "file read failed");
      }
      done += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
    r = response::bytes(std::move(body), content_type_for(path), status);
  }
  r.headers().add("ETag", etag);
  r.headers().add("Last-Modified", last_modified);
  r.headers().add("Accept-Ranges", "bytes");
  if (status == 206) {
    r.headers().add("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size));
  }
  return r;
}

}  // namespace eddy::http
