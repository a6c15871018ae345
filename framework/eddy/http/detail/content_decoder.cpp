// SPDX-License-Identifier: MIT
#include "eddy/http/detail/content_decoder.hpp"

#include <zlib.h>

#include <new>

#include "eddy/http/client_errc.hpp"
#include "eddy/http/headers.hpp"

namespace eddy::http::detail {

struct content_decoder::state {
  z_stream z{};
  coding kind;
  bool started = false;    // inflateInit2 done (deflate waits for two bytes to pick the format)
  bool ended = false;      // Z_STREAM_END seen and no new member begun
  bool out_full = false;   // the last read filled its buffer: zlib may hold more output
  bool any_input = false;
  std::string_view in;
  unsigned char head[2];   // the first bytes of a deflate body, while the format is unknown
  std::size_t head_len = 0;
  ~state() {
    if (started) inflateEnd(&z);
  }
};

std::optional<content_decoder::coding> content_decoder::parse(std::string_view v) noexcept {
  v = trim_ows(v);
  if (iequals(v, "gzip") || iequals(v, "x-gzip")) return coding::gzip;
  if (iequals(v, "deflate")) return coding::deflate;
  return std::nullopt;
}

content_decoder::content_decoder(coding c) : s_(std::make_unique<state>()) {
  s_->kind = c;
  if (c == coding::gzip) {
    // 16 + MAX_WBITS: a gzip wrapper only (a zlib or raw stream labelled gzip is corrupt).
    if (inflateInit2(&s_->z, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
    s_->started = true;
  }
}

content_decoder::~content_decoder() = default;

void content_decoder::input(std::string_view compressed) noexcept {
  s_->in = compressed;
  if (!compressed.empty()) s_->any_input = true;
}

bool content_decoder::pending() const noexcept { return !s_->in.empty() || s_->out_full; }

bool content_decoder::finished() const noexcept {
  // An empty body labelled gzip (some servers do so for 204s and empty files) is not corrupt.
  return !s_->any_input || (s_->ended && s_->head_len == 0);
}

result<std::size_t> content_decoder::read(std::span<char> out) noexcept {
  state& s = *s_;
  const auto corrupt = make_error_code(client_errc::decode_error);
  std::size_t produced = 0;
  if (!s.started) {
    // "deflate" should be the zlib format (RFC 9110 8.4.1.2) but servers also send raw
    // deflate; the zlib header (CMF, FLG with CM = 8 and a multiple-of-31 check) tells them
    // apart.
    while (s.head_len < 2 && !s.in.empty()) {
      s.head[s.head_len++] = static_cast<unsigned char>(s.in.front());
      s.in.remove_prefix(1);
    }
    if (s.head_len < 2) return std::size_t{0};
    const bool zlib_format = (s.head[0] & 0x0f) == 8 && ((s.head[0] << 8) | s.head[1]) % 31 == 0;
    if (inflateInit2(&s.z, zlib_format ? MAX_WBITS : -MAX_WBITS) != Z_OK) return corrupt;
    s.started = true;
    // Feed the two bytes held back before the rest.
    s.z.next_in = s.head;
    s.z.avail_in = 2;
    s.z.next_out = reinterpret_cast<Bytef*>(out.data());
    s.z.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&s.z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) return corrupt;
    if (s.z.avail_in != 0) return corrupt;  // two header bytes always fit
    s.head_len = 0;
    if (rc == Z_STREAM_END) s.ended = true;
    produced = out.size() - s.z.avail_out;
  }
  while (produced < out.size()) {
    if (s.ended) {
      if (s.in.empty()) break;
      // Bytes after the end: another gzip member, or garbage after a deflate stream.
      if (s.kind != coding::gzip) return corrupt;
      if (inflateReset(&s.z) != Z_OK) return corrupt;
      s.ended = false;
    }
    s.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.in.data()));
    s.z.avail_in = static_cast<uInt>(std::min<std::size_t>(s.in.size(), 1u << 30));
    s.z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    s.z.avail_out = static_cast<uInt>(out.size() - produced);
    const uInt before_in = s.z.avail_in;
    const uInt before_out = s.z.avail_out;
    int rc = inflate(&s.z, Z_NO_FLUSH);
    s.in.remove_prefix(before_in - s.z.avail_in);
    produced += before_out - s.z.avail_out;
    if (rc == Z_STREAM_END) {
      s.ended = true;
      continue;
    }
    if (rc == Z_BUF_ERROR) break;  // no progress possible: needs more input
    if (rc != Z_OK) return corrupt;
    if (s.z.avail_out != 0 && s.in.empty()) break;
  }
  s.out_full = produced == out.size();
  return produced;
}

}  // namespace eddy::http::detail
