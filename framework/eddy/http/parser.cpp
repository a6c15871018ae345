// SPDX-License-Identifier: MIT
#include "eddy/http/parser.hpp"

#include <llhttp.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>
#include <cstring>
#include <string_view>
#include <limits>
#include <new>

#include "eddy/http/detail/byte_scan.hpp"
#include "eddy/http/url_codec.hpp"

namespace eddy::http {
namespace {

using detail::iequals_lower;

// The bytes of a Host field value (RFC 3986 3.2.2 reg-name, IP-literal and IPv4address,
// with a port): unreserved, sub-delims, '%', ':', '[' and ']'.
bool is_host_value(std::string_view v) noexcept {
  static constexpr auto allowed = [] {
    std::array<unsigned char, 256> t{};
    for (unsigned char c = '0'; c <= '9'; ++c) t[c] = 1;
    for (unsigned char c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = 1;
    for (unsigned char c : std::string_view("-._~!$&'()*+,;=%:[]")) t[c] = 1;
    return t;
  }();
  // Clients send one Host over and over: the last valid value of this thread is known good.
  thread_local char last[32];
  thread_local std::size_t last_size = sizeof last + 1;
  if (v.size() == last_size && detail::equal_bytes(last, v.data(), v.size())) return true;
  const auto at = [&v](std::size_t i) { return allowed[static_cast<unsigned char>(v[i])]; };
  unsigned ok = 1;
  std::size_t i = 0;
  for (; i + 4 <= v.size(); i += 4) ok &= at(i) & at(i + 1) & at(i + 2) & at(i + 3);
  for (; i < v.size(); ++i) ok &= at(i);
  if (ok == 0) return false;
  // The shape: an IP literal in brackets, or a name or IPv4 address without brackets or
  // colons, then an optional ":" port of digits only (RFC 3986 3.2.3).
  std::string_view rest = v;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return false;
    rest.remove_prefix(close + 1);
  } else {
    const auto colon = rest.find(':');
    if (rest.substr(0, colon).find_first_of("[]") != std::string_view::npos) return false;
    rest.remove_prefix(colon == std::string_view::npos ? rest.size() : colon);
  }
  if (!rest.empty()) {
    if (rest.front() != ':') return false;
    for (char c : rest.substr(1))
      if (c < '0' || c > '9') return false;
  }
  if (v.size() <= sizeof last) {
    if (!v.empty()) std::memcpy(last, v.data(), v.size());
    last_size = v.size();
  }
  return true;
}

method map_method(std::uint8_t m) noexcept {
  switch (m) {
    case HTTP_GET: return method::get;
    case HTTP_HEAD: return method::head;
    case HTTP_POST: return method::post;
    case HTTP_PUT: return method::put;
    case HTTP_DELETE: return method::del;
    case HTTP_CONNECT: return method::connect;
    case HTTP_OPTIONS: return method::options;
    case HTTP_TRACE: return method::trace;
    case HTTP_PATCH: return method::patch;
    default: return method::other;
  }
}

}  // namespace

struct parser::impl {
  llhttp_t llhttp;
  parser* owner;
  enum class pause { none, head, message_end, extension } paused = pause::none;
  bool field_open = false;
  // A field line's name has begun (trailers and skipped fields too): a value without one is
  // an empty field name, which llhttp lets through (": v").
  bool name_seen = false;
  // The head is complete: fields from here on are a chunked body's trailers. llhttp still
  // checks their syntax, but they are not recorded: the server drops a body's bytes from its
  // buffer as it copies them out, so spans into the trailers would not stay valid (found by
  // fuzzing: a trailer split across reads made a span of 4 GiB), and nothing reads them.
  bool in_trailers = false;
  // A Transfer-Encoding field named a coding other than chunked (gzip, ...): the framing may
  // still be valid, but the body cannot be decoded (501, RFC 9112 6.1).
  bool foreign_coding = false;
  // The last feed() returned `head` for a chunked message: what follows is its body.
  bool chunked_body = false;
  // The state of a chunked body, made at the first one on the connection and kept (8 bytes
  // per idle connection instead of 80: most never send one). Bytes of the body that are not
  // data (chunk-size lines, extensions, trailers) are counted against a budget, since
  // llhttp bounds none of them: 20 MB of extension, of leading zeros in a chunk size or of
  // one trailer field were all read (found by a black-box probe).
  struct chunk_state {
    // The bytes of the feed() in progress.
    const char* input_begin = nullptr;
    const char* input_end = nullptr;
    std::uint64_t framing_bytes = 0;
    std::uint64_t chunks = 0;
    // The framing bytes before the trailer section (unset: no trailer field yet).
    std::uint64_t framing_before_trailers = UINT64_MAX;
    // Where the trailer field's name ended, in this feed() (null once its value began or
    // the feed ended), and whether an LF came after it in an earlier feed: an empty first
    // line folded onto the next ("A:\r\n b") shows only there, llhttp reporting "b".
    const char* trailer_name_end = nullptr;
    std::uint32_t trailer_fields = 0;
    bool in_last_chunk = false;  // the zero-size chunk was seen: the trailer section
    // A trailer value's piece is open (a next piece continues it only across a feed()
    // boundary: anything else is obsolete line folding), and whether it ran to the end of
    // the input.
    bool trailer_value_open = false;
    bool trailer_value_at_end = false;
    bool trailer_in_gap = false;  // between a trailer field's name and its value
    bool trailer_gap_lf = false;
    // An unquoted chunk extension value ended at a ';' (see on_chunk_extension_value).
    bool extension_then_semicolon = false;
  };
  std::unique_ptr<chunk_state> chunk;

  // Set at the head of a chunked message (not per message: requests without a body, the
  // usual case, do not pay for it). False if out of memory.
  bool start_chunked_body() noexcept {
    if (!chunk) chunk.reset(new (std::nothrow) chunk_state);
    if (!chunk) return false;
    *chunk = chunk_state{};
    return true;
  }

  static parser& self(llhttp_t* p) { return *static_cast<impl*>(p->data)->owner; }
  static impl& me(llhttp_t* p) { return *static_cast<impl*>(p->data); }

  static int fail(parser& s, int status, std::string_view reason) {
    s.error_status_ = status;
    s.error_reason_ = reason;
    return HPE_USER;
  }

  // Offsets of a piece relative to the caller's buffer; checks the head-size limit.
  static bool within_head_limit(parser& s, const char* at, std::size_t len) {
    auto offset = static_cast<std::size_t>(at - s.base_);
    if (!s.head_started_) {
      s.head_started_ = true;
      s.head_start_ = offset;
    }
    return offset + len - s.head_start_ <= s.limits_.max_head_bytes;
  }

  static bool track(parser& s, const char* at, std::size_t len, buffer_span& out, bool extend) {
    if (!within_head_limit(s, at, len)) return false;
    auto offset = static_cast<std::size_t>(at - s.base_);
    if (extend && out.length != 0) {
      // Pieces of one token are adjacent in the buffer even across feed() calls.
      out.length = static_cast<std::uint32_t>(offset + len - out.offset);
    } else {
      out.offset = static_cast<std::uint32_t>(offset);
      out.length = static_cast<std::uint32_t>(len);
    }
    return true;
  }

  static int head_too_large(parser& s) {
    return fail(s, s.kind_ == kind::request ? 431 : 502, "header section too large");
  }

  static int on_message_begin(llhttp_t* p) {
    parser& s = self(p);
    auto headers = std::move(s.head_.headers);
    headers.clear();  // keeps its capacity: no allocation per message once warm
    s.head_ = message_head{};
    s.head_.headers = std::move(headers);
    s.head_started_ = false;
    s.body_received_ = 0;
    s.body_limit_ = s.limits_.max_body_bytes;
    s.idle_ = false;
    me(p).field_open = false;
    me(p).name_seen = false;
    me(p).foreign_coding = false;
    me(p).in_trailers = false;
    return 0;
  }
  static int on_method(llhttp_t* p, const char* at, std::size_t len) {
    parser& s = self(p);
    return track(s, at, len, s.head_.method_token, true) ? 0 : head_too_large(s);
  }
  static int on_url(llhttp_t* p, const char* at, std::size_t len) {
    parser& s = self(p);
    if (!track(s, at, len, s.head_.target, true)) {
      // The head's limit was reached inside the target: a target over its own, smaller limit
      // is the reason to give (414, as nginx does for a request line past its buffers).
      const buffer_span& t = s.head_.target;
      const std::size_t target = t.length != 0 ? static_cast<std::size_t>(at + len - (s.base_ + t.offset)) : len;
      return target > s.limits_.max_target_bytes ? fail(s, 414, "request target too long") : head_too_large(s);
    }
    if (s.head_.target.length > s.limits_.max_target_bytes) return fail(s, 414, "request target too long");
    return 0;
  }
  static int on_status(llhttp_t* p, const char* at, std::size_t len) {
    parser& s = self(p);
    return track(s, at, len, s.head_.reason, true) ? 0 : head_too_large(s);
  }
  static int empty_field_name(parser& s) {
    return fail(s, s.kind_ == kind::request ? 400 : 502, "empty header field name");
  }
  [[gnu::noinline, gnu::cold]] static int on_trailer_field(parser& s, impl& i, const char* at, std::size_t len) {
    if (i.chunk->in_last_chunk && i.chunk->framing_before_trailers == UINT64_MAX) {
      // The trailer section starts here: what came before it in this feed is framing too
      // (the last chunk carries no data, so every body piece is before `at`).
      std::uint64_t data = 0;
      for (const buffer_span& piece : s.pieces_) data += piece.length;
      i.chunk->framing_before_trailers = i.chunk->framing_bytes + static_cast<std::uint64_t>(at - i.chunk->input_begin) - data;
    }
    i.chunk->trailer_name_end = at + len;
    i.chunk->trailer_in_gap = true;
    i.chunk->trailer_gap_lf = false;
    return 0;
  }
  static int on_header_field(llhttp_t* p, const char* at, std::size_t len) {
    parser& s = self(p);
    if (len != 0) me(p).name_seen = true;
    if (me(p).in_trailers) [[unlikely]] return on_trailer_field(s, me(p), at, len);
    if (s.skip_fields_) return within_head_limit(s, at, len) ? 0 : head_too_large(s);
    impl& i = me(p);
    if (!i.field_open) {
      if (s.head_.headers.size() >= s.limits_.max_header_count) {
        return fail(s, s.kind_ == kind::request ? 431 : 502, "too many header fields");
      }
      s.head_.headers.emplace_back();
      i.field_open = true;
    }
    return track(s, at, len, s.head_.headers.back().name, true) ? 0 : head_too_large(s);
  }
  static int obs_fold(parser& s) {
    return fail(s, s.kind_ == kind::request ? 400 : 502, "obsolete line folding in a header field");
  }
  // Trailer values are not kept as spans (see in_trailers), so a folded line shows as a
  // second piece of one value that does not start where a feed() began after the first ran
  // to the end of its input.
  [[gnu::noinline, gnu::cold]] static int on_trailer_value(parser& s, impl& i, const char* at, std::size_t len) {
    if (len == 0) {
      // Where a feed() began inside a value and its first byte ended it (a CR).
      if (i.chunk->trailer_value_open) i.chunk->trailer_value_at_end = at == i.chunk->input_end;
      return 0;
    }
    if (i.chunk->trailer_value_open && !s.skip_fields_ && !(i.chunk->trailer_value_at_end && at == i.chunk->input_begin)) {
      return obs_fold(s);
    }
    if (i.chunk->trailer_in_gap && !s.skip_fields_) {
      const char* from = i.chunk->trailer_name_end ? i.chunk->trailer_name_end : i.chunk->input_begin;
      if (i.chunk->trailer_gap_lf || std::memchr(from, '\n', static_cast<std::size_t>(at - from))) return obs_fold(s);
    }
    i.chunk->trailer_in_gap = false;
    i.chunk->trailer_value_open = true;
    i.chunk->trailer_value_at_end = at + len == i.chunk->input_end;
    return 0;
  }
  static int on_header_value(llhttp_t* p, const char* at, std::size_t len) {
    parser& s = self(p);
    impl& i = me(p);
    if (!i.name_seen) return empty_field_name(s);
    if (i.in_trailers) [[unlikely]] return on_trailer_value(s, i, at, len);
    if (s.skip_fields_) return within_head_limit(s, at, len) ? 0 : head_too_large(s);
    buffer_span& value = s.head_.headers.back().value;
    // llhttp passes obsolete line folding (a CRLF followed by whitespace) through as a value
    // that goes on after the line break it skipped: the one case where a value's pieces are
    // not adjacent (llhttp refuses CR, LF, NUL and other controls inside a value). RFC 9112
    // 5.2 lets a server reject it; we do, because the CRLF would otherwise be inside the
    // value's span and reach handlers and anything that copies the value into a response.
    if (value.length != 0 && static_cast<std::size_t>(at - s.base_) != std::size_t{value.offset} + value.length) {
      return obs_fold(s);
    }
    if (value.length == 0 && len != 0) {
      // An empty first line folded onto the next ("A:\r\n b") comes as the value "b": the
      // line break is between the name and the value. ": " (the usual gap) cannot hold one.
      const buffer_span& name = s.head_.headers.back().name;
      const char* name_end = s.base_ + name.offset + name.length;
      if (at - name_end > 2) [[unlikely]] return after_wide_gap(s, name_end, at, len);
    }
    return track(s, at, len, value, true) ? 0 : head_too_large(s);
  }
  // Out of line, so that the usual path makes no call of its own.
  [[gnu::noinline]] static int after_wide_gap(parser& s, const char* name_end, const char* at, std::size_t len) {
    if (std::memchr(name_end, '\n', static_cast<std::size_t>(at - name_end))) return obs_fold(s);
    return track(s, at, len, s.head_.headers.back().value, true) ? 0 : head_too_large(s);
  }
  static int on_header_value_complete(llhttp_t* p) {
    parser& s = self(p);
    // The next on_header_field starts a new field (llhttp reports every value's end, empty
    // ones too: one callback less per field than on_header_field_complete).
    me(p).field_open = false;
    if (!me(p).name_seen) return empty_field_name(s);
    me(p).name_seen = false;
    if (me(p).in_trailers) {
      me(p).chunk->trailer_value_open = false;
      me(p).chunk->trailer_in_gap = false;
      me(p).chunk->trailer_gap_lf = false;
      // The trailer section has the head's limit on fields (its bytes are in the framing
      // budget, checked by feed()).
      if (++me(p).chunk->trailer_fields > s.limits_.max_header_count) {
        return fail(s, s.kind_ == kind::request ? 431 : 502, "too many trailer fields");
      }
      return 0;
    }
    if (s.skip_fields_) return 0;
    header_span& h = s.head_.headers.back();
    // Optional whitespace after the value is not part of it (RFC 9110 5.5).
    while (h.value.length > 0) {
      char c = s.base_[h.value.offset + h.value.length - 1];
      if (c != ' ' && c != '\t') break;
      --h.value.length;
    }
    std::string_view name = h.name.in(s.base_);
    // Only Host (4), Expect (6) and Transfer-Encoding (17) matter here: most fields are
    // passed over on their length alone.
    if (name.size() != 4 && name.size() != 6 && name.size() != 17) return 0;
    if (name.size() == 4 && iequals_lower(name, "host")) {
      if (s.kind_ == kind::request) {
        if (s.head_.has_host) return fail(s, 400, "duplicate Host header");
        // An invalid Host value is a 400 too (RFC 9112 3.2): uri-host [":" port], so the
        // characters of a reg-name, an IP literal's brackets and the colon, and nothing
        // else (no space, '/', '@', '?', quote, backslash or non-ASCII byte).
        if (!is_host_value(h.value.in(s.base_))) return fail(s, 400, "invalid Host header");
      }
      s.head_.has_host = true;
    } else if (name.size() == 17 && iequals_lower(name, "transfer-encoding")) {
      std::string_view codings = h.value.in(s.base_);
      bool any = false;
      while (!codings.empty()) {
        auto comma = codings.find(',');
        std::string_view c = codings.substr(0, comma);
        while (!c.empty() && (c.front() == ' ' || c.front() == '\t')) c.remove_prefix(1);
        while (!c.empty() && (c.back() == ' ' || c.back() == '\t')) c.remove_suffix(1);
        any |= !c.empty();
        if (!c.empty() && !iequals_lower(c, "chunked")) me(p).foreign_coding = true;
        if (comma == std::string_view::npos) break;
        codings.remove_prefix(comma + 1);
      }
      // A Transfer-Encoding that names no coding frames nothing: llhttp would read the
      // message as bodiless and the body as the next request (RFC 9112 6.3: unrecoverable).
      if (!any) return fail(s, s.kind_ == kind::request ? 400 : 502, "empty Transfer-Encoding");
    } else if (name.size() == 6 && iequals_lower(name, "expect") && s.kind_ == kind::request) {
      if (!iequals_lower(h.value.in(s.base_), "100-continue")) return fail(s, 417, "unsupported expectation");
      s.head_.expect_continue = true;
    }
    return 0;
  }
  static int on_headers_complete(llhttp_t* p) {
    parser& s = self(p);
    message_head& h = s.head_;
    me(p).in_trailers = true;
    // (The public fields of llhttp_t, read in place: the getters are calls into llhttp's
    // api.c, once per request each.)
    h.version_major = p->http_major;
    h.version_minor = p->http_minor;
    h.keep_alive = llhttp_should_keep_alive(p) != 0;
    h.chunked = (p->flags & F_CHUNKED) != 0;
    if (p->flags & F_CONTENT_LENGTH) h.content_length = p->content_length;
    h.upgrade = p->upgrade != 0;
    if (h.version_major != 1) return fail(s, 505, "HTTP version not supported");
    if (s.kind_ == kind::request) {
      // HTTP/1.0 has no Transfer-Encoding: its framing is faulty whatever else the head says
      // (RFC 9112 6.1), and a proxy in front may have framed it differently.
      if (h.version_minor == 0 && (p->flags & F_TRANSFER_ENCODING)) {
        return fail(s, 400, "Transfer-Encoding in an HTTP/1.0 request");
      }
      h.method = map_method(p->method);
      if (h.method == method::connect) return fail(s, 501, "CONNECT is not supported");
      if (h.version_minor >= 1 && !h.has_host) return fail(s, 400, "missing Host header");
      // A fragment is not part of a request target (RFC 9112 3.2; RFC 9110 4.2.5).
      const target_shape shape = shape_of_target(h.target.in(s.base_));
      if (shape.fragment) return fail(s, 400, "fragment in request target");
      h.query_at = static_cast<std::uint32_t>(shape.query_at);
      h.normal_path = shape.normal_path;
      // Chunked last (else llhttp has already refused the framing) but another coding too.
      if (h.chunked && me(p).foreign_coding) return fail(s, 501, "unsupported transfer coding");
      if (s.body_limit_hook_ && (h.chunked || (h.content_length && *h.content_length > 0))) {
        s.body_limit_ = s.body_limit_hook_(s.body_limit_ctx_, h, s.base_);
      }
      if (h.content_length && *h.content_length > s.body_limit_) {
        return fail(s, 413, "request body too large");
      }
      // Upgrade (e.g. websocket) is not offered: answer as plain HTTP and keep parsing the
      // connection as HTTP/1.1 (RFC 9110 7.8 lets a server ignore Upgrade).
      if (h.upgrade) {
        p->upgrade = 0;
        h.upgrade = false;
      }
    } else {
      h.status = p->status_code;
      // The status code is exactly three digits (RFC 9112 4); llhttp takes one or two as well
      // ("HTTP/1.1 20 OK"; found by fuzzing).
      if (h.status < 100 || h.status > 999) return fail(s, 502, "invalid status code");
      if (s.expect_no_body_ || (h.status >= 100 && h.status < 200) || h.status == 204 ||
          h.status == 304) {
        // No body: the message completes at once and stops at message_end.
        return 1;
      }
      if (h.content_length && *h.content_length > s.limits_.max_body_bytes) {
        return fail(s, 502, "response body too large");
      }
    }
    // Stop after the head only when a body follows, so the caller can decide (100-continue,
    // streaming) before reading it; a bodiless message goes straight to message_end.
    const bool body_follows = h.chunked || (h.content_length && *h.content_length > 0) ||
                              (s.kind_ == kind::response && !h.content_length);
    if (!body_follows) return 0;
    me(p).paused = pause::head;
    return HPE_PAUSED;
  }
  static int on_body(llhttp_t* p, const char* at, std::size_t len) {
    parser& s = self(p);
    s.body_received_ += len;
    if (s.body_received_ > s.body_limit_) {
      return fail(s, s.kind_ == kind::request ? 413 : 502, "body too large");
    }
    s.pieces_.push_back({static_cast<std::uint32_t>(at - s.base_), static_cast<std::uint32_t>(len)});
    return 0;
  }
  // Line ends in framing (the head, chunk-size lines, trailers) are CRLF and nothing else:
  // llhttp (8.1) takes any byte after a CR for the LF ("0\r[\n" ended a chunked body) and a
  // bare LF for the empty line that ends the trailers, where another parser in front of us
  // may not: request smuggling material (found by fuzzing chunked bodies). Checked across
  // feed() calls; body bytes are exactly the pieces reported for this range and are skipped.
  static bool line_ends_ok(parser& s, const char* begin, std::size_t len) {
    const char* end = begin + len;
    const char* at = begin;
    // The stretches between body pieces (all of it without a body).
    for (const buffer_span& piece : s.pieces_) {
      const char* stop = s.base_ + piece.offset;
      assert(at <= stop && stop + piece.length <= end);  // pieces are in order, within the range
      if (!detail::crlf_only(at, static_cast<std::size_t>(stop - at), s.after_cr_)) return false;
      at = stop + piece.length;
    }
    return detail::crlf_only(at, static_cast<std::size_t>(end - at), s.after_cr_);
  }
  static int on_chunk_header(llhttp_t* p) {
    impl& i = me(p);
    ++i.chunk->chunks;
    if (p->content_length == 0) i.chunk->in_last_chunk = true;
    return 0;
  }
  // llhttp 8.1 takes the ';' after an unquoted extension value ("5;a=b;c=d") as the end of
  // the extensions and then refuses the next one ("Invalid character in chunk size"): RFC
  // 9112 7.1.1 allows any number. The value's end is seen here, at the ';' (its last piece
  // stops before the byte that ended it, inside the input); feed() then puts llhttp back
  // into the extension list.
  static int on_chunk_extension_value(llhttp_t* p, const char* at, std::size_t len) {
    impl& i = me(p);
    i.chunk->extension_then_semicolon = at + len < i.chunk->input_end && at[len] == ';';
    return 0;
  }
  static int on_chunk_extension_value_complete(llhttp_t* p) {
    impl& i = me(p);
    if (!i.chunk->extension_then_semicolon) return 0;
    i.chunk->extension_then_semicolon = false;
    i.paused = pause::extension;
    return HPE_PAUSED;
  }
  // The framing of a chunked body (every byte of it that is not data) against its budget:
  // the head's limit for extensions and trailers, plus what chunk-size lines and CRLFs need.
  static bool framing_within_budget(parser& s, std::size_t consumed) {
    impl& i = *s.impl_;
    std::uint64_t data = 0;
    for (const buffer_span& piece : s.pieces_) data += piece.length;
    i.chunk->framing_bytes += consumed - data;
    if (i.chunk->trailer_in_gap) {
      // A trailer field's value has not begun: a line break after its name is seen by the
      // value when it comes (on_header_value).
      const char* from = i.chunk->trailer_name_end ? i.chunk->trailer_name_end : i.chunk->input_begin;
      i.chunk->trailer_gap_lf |= std::memchr(from, '\n', static_cast<std::size_t>(i.chunk->input_begin + consumed - from)) != nullptr;
      i.chunk->trailer_name_end = nullptr;
    }
    // Chunk lines: 16 hex digits (more are an overflow), CRLF, CRLF; their extensions share
    // the head's limit. The trailer section has that limit of its own.
    constexpr std::uint64_t per_chunk = 24;
    const std::uint64_t before = std::min(i.chunk->framing_bytes, i.chunk->framing_before_trailers);
    if (before > s.limits_.max_head_bytes + per_chunk * i.chunk->chunks) {
      fail(s, s.kind_ == kind::request ? 400 : 502, "chunk extensions too long");
      return false;
    }
    if (i.chunk->framing_bytes - before > s.limits_.max_head_bytes) {
      fail(s, s.kind_ == kind::request ? 431 : 502, "trailer section too large");
      return false;
    }
    return true;
  }
  static int on_message_complete(llhttp_t* p) {
    parser& s = self(p);
    s.idle_ = true;
    me(p).paused = pause::message_end;
    return HPE_PAUSED;
  }
};

parser::parser(kind k, parser_limits limits)
    : impl_(std::make_unique<impl>()), kind_(k), limits_(limits) {
  impl& i = *impl_;
  i.owner = this;
  // The callbacks are the same for every parser: one shared, immutable settings table
  // instead of ~150 bytes in every connection.
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t st;
    llhttp_settings_init(&st);
    st.on_message_begin = &impl::on_message_begin;
    st.on_method = &impl::on_method;
    st.on_url = &impl::on_url;
    st.on_status = &impl::on_status;
    st.on_header_field = &impl::on_header_field;
    st.on_header_value = &impl::on_header_value;
    st.on_header_value_complete = &impl::on_header_value_complete;
    st.on_headers_complete = &impl::on_headers_complete;
    st.on_body = &impl::on_body;
    st.on_chunk_header = &impl::on_chunk_header;
    st.on_chunk_extension_value = &impl::on_chunk_extension_value;
    st.on_chunk_extension_value_complete = &impl::on_chunk_extension_value_complete;
    st.on_message_complete = &impl::on_message_complete;
    return st;
  }();
  llhttp_init(&i.llhttp, k == kind::request ? HTTP_REQUEST : HTTP_RESPONSE, &settings);
  i.llhttp.data = &i;
  // Strict: every lenient flag stays off (llhttp's default); they are what smuggling uses.
  head_.headers.reserve(4);  // grows to what the peer sends; kept across messages
  pieces_.reserve(8);
}

parser::~parser() = default;

parser::parser(parser&& o) noexcept
    : impl_(std::move(o.impl_)),
      kind_(o.kind_),
      limits_(o.limits_),
      head_(std::move(o.head_)),
      pieces_(std::move(o.pieces_)),
      base_(o.base_),
      head_start_(o.head_start_),
      head_started_(o.head_started_),
      idle_(o.idle_),
      expect_no_body_(o.expect_no_body_),
      skip_fields_(o.skip_fields_),
      after_cr_(o.after_cr_),
      body_received_(o.body_received_),
      body_limit_(o.body_limit_),
      body_limit_hook_(o.body_limit_hook_),
      body_limit_ctx_(o.body_limit_ctx_),
      error_status_(o.error_status_),
      error_reason_(o.error_reason_) {
  if (impl_) impl_->owner = this;
}

parser& parser::operator=(parser&& o) noexcept {
  if (this != &o) {
    this->~parser();
    new (this) parser(std::move(o));
  }
  return *this;
}

namespace {
// True if `bytes` (where llhttp stopped matching a method) go on as a method token (RFC 9110
// 5.6.2 tchars) up to a space or the end of what arrived: a method this server does not know,
// not garbage. Judged on the bytes at hand so that the answer does not depend on how the
// request was split into reads.
bool starts_with_method_token(const char* bytes, std::size_t n) noexcept {
  static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  std::size_t i = 0;
  for (; i < n && bytes[i] != ' '; ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (!std::isalnum(c) && extra.find(static_cast<char>(c)) == std::string_view::npos) return false;
  }
  return i > 0;
}
}  // namespace

parser::step parser::feed(const char* base, std::size_t from, std::size_t to) {
  base_ = base;
  pieces_.clear();
  impl& i = *impl_;
  if (error_status_ != 0) return {event::error, 0};
  i.paused = impl::pause::none;
  // A connection that has read nothing yet may have no buffer: llhttp computes `data + len`,
  // undefined for a null pointer even with len 0 (UBSan, found by fuzzing), so an empty range
  // gets a real address. Zero bytes may still complete a paused message: llhttp is run anyway.
  static constexpr char no_input = 0;
  const char* begin = base ? base + from : &no_input;
  const char* const end = begin + (to - from);
  const bool chunked_body = i.chunked_body;
  if (chunked_body) {
    i.chunk->input_begin = begin;
    i.chunk->input_end = end;
  }
  llhttp_errno_t err = llhttp_execute(&i.llhttp, begin, to - from);
  while (err == HPE_PAUSED && i.paused == impl::pause::extension) {
    // Back into the chunk extension list after a ';' (see on_chunk_extension_value): llhttp
    // waits for the line's end, where a ';' leads it to the next extension.
    const char* at = llhttp_get_error_pos(&i.llhttp);
    i.paused = impl::pause::none;
    llhttp_resume(&i.llhttp);
    static constexpr char semicolon = ';';
    if (llhttp_execute(&i.llhttp, &semicolon, 1) != HPE_OK) {
      error_status_ = kind_ == kind::request ? 400 : 502;
      error_reason_ = "malformed chunk extension";
      pieces_.clear();
      return {event::error, static_cast<std::size_t>(at - begin)};
    }
    err = llhttp_execute(&i.llhttp, at, static_cast<std::size_t>(end - at));
  }
  const auto consumed = err == HPE_OK ? to - from
                                      : static_cast<std::size_t>(llhttp_get_error_pos(&i.llhttp) - begin);
  if ((err == HPE_OK || err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) &&
      !impl::line_ends_ok(*this, begin, consumed)) {
    pieces_.clear();  // what llhttp took for body bytes after the bad framing is not
    error_status_ = kind_ == kind::request ? 400 : 502;
    error_reason_ = "line end other than CRLF";
    return {event::error, consumed};
  }
  if (chunked_body && (err == HPE_OK || err == HPE_PAUSED) && !impl::framing_within_budget(*this, consumed)) {
    pieces_.clear();
    return {event::error, consumed};
  }
  if (err == HPE_OK) return {event::need_more, to - from};
  if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    if (err == HPE_PAUSED) llhttp_resume(&i.llhttp); else llhttp_resume_after_upgrade(&i.llhttp);
    const bool at_end = i.paused == impl::pause::message_end || err == HPE_PAUSED_UPGRADE;
    i.chunked_body = !at_end && head_.chunked;
    if (i.chunked_body && !i.start_chunked_body()) {
      i.chunked_body = false;
      error_status_ = kind_ == kind::request ? 503 : 502;
      error_reason_ = "out of memory";
      return {event::error, consumed};
    }
    return {at_end ? event::message_end : event::head, consumed};
  }
  if (error_status_ == 0) {
    error_status_ = kind_ == kind::request ? 400 : 502;
    const char* reason = llhttp_get_error_reason(&i.llhttp);
    error_reason_ = reason ? std::string_view(reason) : std::string_view("malformed message");
    if (kind_ == kind::request && err == HPE_INVALID_METHOD && starts_with_method_token(begin, to - from)) {
      // A well-formed method this server does not know (RFC 9110 9.1: 501, not 400).
      error_status_ = 501;
      error_reason_ = "method not implemented";
    } else if (kind_ == kind::request && err == HPE_INVALID_VERSION && reason &&
               std::string_view(reason) == "Invalid HTTP version") {
      // HTTP/1.2, HTTP/3.0, ...: well-formed, but llhttp knows 0.9, 1.0, 1.1 and 2.x only
      // (a malformed version line, "Expected CRLF after version", stays a 400).
      error_status_ = 505;
      error_reason_ = "HTTP version not supported";
    }
  }
  return {event::error, consumed};
}

void parser::rebase(std::size_t delta) noexcept {
  pieces_.clear();  // consumed by the caller after each feed
  if (idle_ || delta == 0) return;
  auto follow = [delta](buffer_span& b) {
    if (b.offset >= delta) b.offset -= static_cast<std::uint32_t>(delta);
  };
  if (head_started_) head_start_ -= delta;
  follow(head_.method_token);
  follow(head_.target);
  follow(head_.reason);
  for (header_span& h : head_.headers) {
    follow(h.name);
    follow(h.value);
  }
}

parser::step parser::finish() {
  impl& i = *impl_;
  pieces_.clear();
  if (error_status_ != 0) return {event::error, 0};
  if (idle_) return {event::need_more, 0};
  i.paused = impl::pause::none;
  // `feed` stops llhttp inside on_headers_complete (event::head); until llhttp runs again it
  // has not entered the state where end of input ends a close-delimited body, and
  // llhttp_finish would call an empty such body cut short (found by fuzzing). Zero bytes move
  // it on.
  static constexpr char no_input = 0;
  llhttp_errno_t err = llhttp_execute(&i.llhttp, &no_input, 0);
  if (err == HPE_PAUSED) {
    llhttp_resume(&i.llhttp);
    if (idle_) return {event::message_end, 0};
  } else if (err != HPE_OK) {
    error_status_ = kind_ == kind::request ? 400 : 502;
    const char* reason = llhttp_get_error_reason(&i.llhttp);
    error_reason_ = reason ? std::string_view(reason) : std::string_view("malformed message");
    return {event::error, 0};
  }
  err = llhttp_finish(&i.llhttp);
  if ((err == HPE_OK || err == HPE_PAUSED) && idle_) {
    if (err == HPE_PAUSED) llhttp_resume(&i.llhttp);
    return {event::message_end, 0};
  }
  error_status_ = kind_ == kind::request ? 400 : 502;
  error_reason_ = "message cut short by end of stream";
  return {event::error, 0};
}

}  // namespace eddy::http
