// SPDX-License-Identifier: MIT
#include "eddy/http/client_response.hpp"

#include <string>

#include "eddy/http/client_errc.hpp"
#include "eddy/http/detail/content_decoder.hpp"

namespace eddy::http {
namespace {

class client_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "eddy.http.client"; }
  std::string message(int v) const override {
    switch (static_cast<client_errc>(v)) {
      case client_errc::invalid_url: return "invalid URL";
      case client_errc::unsupported_scheme: return "unsupported URL scheme (http and https only)";
      case client_errc::connect_timeout: return "connect timeout";
      case client_errc::tls_handshake_timeout: return "TLS handshake timeout";
      case client_errc::ttfb_timeout: return "timeout waiting for the first response byte";
      case client_errc::read_idle_timeout: return "read idle timeout";
      case client_errc::total_timeout: return "total request timeout";
      case client_errc::too_many_redirects: return "too many redirects";
      case client_errc::body_too_large: return "response body larger than max_body_bytes";
      case client_errc::invalid_json: return "response body is not valid JSON";
      case client_errc::client_error_status: return "HTTP client error status (4xx)";
      case client_errc::server_error_status: return "HTTP server error status (5xx)";
      case client_errc::invalid_header: return "invalid request header";
      case client_errc::connection_closed: return "connection closed by the server before a response";
      case client_errc::decode_error: return "corrupt or truncated gzip/deflate response body";
      case client_errc::proxy_error: return "the proxy refused the CONNECT tunnel";
    }
    return "unknown HTTP client error";
  }
  std::error_condition default_error_condition(int v) const noexcept override {
    switch (static_cast<client_errc>(v)) {
      case client_errc::connect_timeout:
      case client_errc::tls_handshake_timeout:
      case client_errc::ttfb_timeout:
      case client_errc::read_idle_timeout:
      case client_errc::total_timeout:
        return std::errc::timed_out;
      default:
        return {v, *this};
    }
  }
};

// Decoded bytes handed out per `next()`: bounds the memory a small compressed piece can make
// one call use.
constexpr std::size_t decoded_piece = 64 * 1024;

}  // namespace

const std::error_category& client_category() noexcept {
  static const client_category_impl cat;
  return cat;
}

bool is_timeout(const std::error_code& ec) noexcept {
  return ec == std::errc::timed_out || ec == make_error_code(errc::timed_out);
}

result<void> client_response::raise_for_status() const noexcept {
  if (status_ >= 500) return make_error_code(client_errc::server_error_status);
  if (status_ >= 400) return make_error_code(client_errc::client_error_status);
  return {};
}

client_response::body_reader::body_reader() = default;
client_response::body_reader::~body_reader() = default;

task<body_chunk> client_response::body_reader::next() {
  if (done_ || error_) co_return body_chunk{{}, error_};
  auto fail = [this](std::error_code ec) {
    error_ = ec;
    lease_ = {};  // mid-body: the connection cannot be reused
    return body_chunk{{}, ec};
  };
  for (;;) {
    auto* c = lease_.get();
    if (!c) co_return fail(errc::not_connected);
    if (decoder_ && decoder_->pending()) {
      // The compressed piece handed over still points into the connection's buffer, which is
      // not touched until every piece has been decoded.
      if (!decoded_) decoded_ = std::make_unique<char[]>(decoded_piece);
      auto n = decoder_->read(std::span<char>(decoded_.get(), decoded_piece));
      if (!n) co_return fail(n.error());
      if (*n > 0) co_return body_chunk{std::string_view(decoded_.get(), *n), {}};
      // zlib always progresses while input is left; stalling means the data is unusable.
      if (decoder_->pending()) co_return fail(make_error_code(client_errc::decode_error));
      continue;
    }
    if (next_piece_ < pieces_.size()) {
      auto piece = pieces_[next_piece_++];
      if (piece.length == 0) continue;  // an empty chunk would read as the end of the body
      received_ += piece.length;
      if (decoder_) {
        decoder_->input(piece.in(c->buf.data()));
        continue;
      }
      co_return body_chunk{piece.in(c->buf.data()), {}};
    }
    if (finished_) {
      // A compressed body must end with its stream: anything else was cut short.
      if (decoder_ && !decoder_->finished()) co_return fail(make_error_code(client_errc::decode_error));
      done_ = true;
      // Unsolicited bytes after the body make the connection unusable for the next request.
      lease_.give_back(keep_alive_ && c->start == c->end && !c->eof);
      co_return body_chunk{};
    }
    pieces_.clear();
    next_piece_ = 0;
    if (c->start < c->end) {
      auto st = c->response_parser.feed(c->buf.data(), c->start, c->end);
      c->start += st.consumed;
      if (st.what == parser::event::error) co_return fail(errc::protocol_error);
      auto got = c->response_parser.body_pieces();
      pieces_.assign(got.begin(), got.end());
      if (st.what == parser::event::message_end) finished_ = true;
      continue;
    }
    if (c->eof) {
      auto st = c->response_parser.finish();
      if (st.what != parser::event::message_end) co_return fail(errc::unexpected_eof);
      keep_alive_ = false;
      finished_ = true;
      continue;
    }
    // Every byte before `end` was consumed and its pieces handed out: start over at 0.
    c->start = c->end = 0;
    auto r = co_await detail::read_more(*c, detail::deadline_after(read_idle_), client_errc::read_idle_timeout,
                                        total_deadline_);
    if (!r) {
      // TLS peers that close without close_notify end close-delimited bodies that way.
      if (r.error() == errc::unexpected_eof && !c->response_parser.head().content_length &&
          !c->response_parser.head().chunked) {
        c->eof = true;
        continue;
      }
      co_return fail(r.error());
    }
  }
}

task<result<std::string>> client_response::text() {
  std::string out;
  if (body_->done_ && !body_->error_) co_return out;  // HEAD, 204, 304, or already read
  auto too_large = [this] {
    body_->error_ = make_error_code(client_errc::body_too_large);
    body_->lease_ = {};
    return make_error_code(client_errc::body_too_large);
  };
  if (content_length_ && *content_length_ > max_body_bytes_) co_return too_large();
  if (content_length_ && !body_->decoder_) out.reserve(static_cast<std::size_t>(*content_length_));
  body_chunk ch;
  while ((ch = co_await body_->next())) {
    // Counted after decoding: a few KiB of gzip can inflate to gigabytes.
    if (out.size() + ch.bytes.size() > max_body_bytes_) co_return too_large();
    out.append(ch.bytes);
  }
  if (ch.error) co_return ch.error;
  co_return out;
}

task<result<std::vector<char>>> client_response::bytes() {
  auto t = co_await text();
  if (!t) co_return t.error();
  co_return std::vector<char>(t->begin(), t->end());
}

task<result<json>> client_response::json() {
  auto t = co_await text();
  if (!t) co_return t.error();
  try {
    co_return http::json::parse(*t);
  } catch (const json_parse_error&) {
    co_return make_error_code(client_errc::invalid_json);
  }
}

}  // namespace eddy::http
