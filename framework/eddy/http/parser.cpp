// SPDX-License-Identifier: MIT
// The parser's driver: llhttp run over the caller's buffer with the callbacks of
// parser_impl.inc, its pauses (head, message end, chunk extensions) and errors mapped
// to statuses.
#include "eddy/http/parser.hpp"

#include "parser_impl.inc"  // private to this file: llhttp is not part of the API

namespace eddy::http {

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

void parser::clear_head() noexcept {
  auto headers = std::move(head_.headers);
  headers.clear();
  head_ = message_head{};
  head_.headers = std::move(headers);
}

void parser::reset(parser_limits limits) noexcept {
  impl& i = *impl_;
  llhttp_reset(&i.llhttp);  // the start state; the type, the settings and `data` are kept
  i.paused = impl::pause::none;
  i.field_open = false;
  i.name_seen = false;
  i.in_trailers = false;
  i.foreign_coding = false;
  i.chunked_body = false;
  limits_ = limits;
  clear_head();
  pieces_.clear();
  base_ = nullptr;
  head_start_ = 0;
  head_started_ = false;
  idle_ = true;
  expect_no_body_ = false;
  skip_fields_ = false;
  after_cr_ = false;
  body_received_ = 0;
  body_limit_ = 0;
  body_limit_hook_ = nullptr;
  body_limit_ctx_ = nullptr;
  error_status_ = 0;
  error_reason_ = {};
}

void parser::reuse(parser_limits limits) noexcept {
  if (!at_rest() || error_status_ != 0 || !head_.keep_alive || head_.upgrade || expect_no_body_) {
    reset(limits);
    return;
  }
  limits_ = limits;
  skip_fields_ = false;
  body_limit_hook_ = nullptr;
  body_limit_ctx_ = nullptr;
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
