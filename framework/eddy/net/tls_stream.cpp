// SPDX-License-Identifier: MIT
#include "eddy/net/tls_stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace eddy::detail {
namespace {

// A TLS record carries at most 16 KiB of plaintext plus a few hundred bytes of overhead; one
// record per transport read or write keeps system calls few without holding much memory.
constexpr std::size_t input_capacity = 17 * 1024;
constexpr std::size_t output_capacity = 17 * 1024;

// SSL_get_error needs an empty error queue before the call it judges. Emptying an empty queue
// is not free in OpenSSL 3 (it walks and resets all its slots), and the hot path would pay it
// for every record: peek first.
void clear_errors() noexcept {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

bool is_ip_literal(const std::string& name) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str());
  if (!ip) return false;
  ASN1_OCTET_STRING_free(ip);
  return true;
}

}  // namespace

struct tls_engine::impl {
  explicit impl(const tls_context& c) : ctx(c) {}
  // Keeps the context's state (the ALPN list its callback reads) alive as long as the session.
  tls_context ctx;
  SSL* ssl = nullptr;
  BIO* input = nullptr;   // transport -> OpenSSL (owned by `ssl`)
  BIO* output = nullptr;  // OpenSSL -> transport (owned by `ssl`)
  std::error_code setup_error;
  bool eof = false;       // the transport ended
  bool failed = false;    // a fatal error happened: OpenSSL must not be asked to shut down
  std::unique_ptr<char[]> in_buf{new char[input_capacity]};
  std::unique_ptr<char[]> out_buf{new char[output_capacity]};

  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;
  ~impl() { SSL_free(ssl); }

  tls_step error(std::error_code ec) {
    failed = true;
    return {false, ec};
  }

  // Turns the return value of an SSL_* call into a step. Must run right after the call:
  // SSL_get_error reads the thread's error queue.
  tls_step classify(int ret, std::size_t n) {
    if (ret == 1) return {false, n};
    int kind = SSL_get_error(ssl, ret);
    switch (kind) {
      case SSL_ERROR_WANT_READ:
        if (eof) {
          ERR_clear_error();
          return error(make_error_code(errc::unexpected_eof));
        }
        return {true, std::size_t{0}};
      case SSL_ERROR_ZERO_RETURN:
        return {false, std::size_t{0}};  // the peer's close_notify: a clean end of stream
      case SSL_ERROR_SYSCALL:
      case SSL_ERROR_SSL: {
        unsigned long first = ERR_peek_error();
        if (eof && (first == 0 || ERR_GET_REASON(first) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
          ERR_clear_error();
          return error(make_error_code(errc::unexpected_eof));
        }
        std::string reason = openssl_reason();
        if (reason.empty()) reason = "TLS failure";
        // "certificate verify failed" alone does not say what was wrong with it.
        if (long v = SSL_get_verify_result(ssl); v != X509_V_OK) {
          reason += ": ";
          reason += X509_verify_cert_error_string(v);
        }
        return error(make_tls_error(reason));
      }
      default:
        // WANT_WRITE and friends cannot happen with memory BIOs and no callbacks.
        ERR_clear_error();
        return error(make_tls_error("unexpected OpenSSL state " + std::to_string(kind)));
    }
  }
};

tls_engine::tls_engine(const tls_context& ctx, std::string_view server_name)
    : impl_(std::make_unique<impl>(ctx)) {
  ERR_clear_error();
  impl& s = *impl_;
  s.ssl = SSL_new(static_cast<SSL_CTX*>(ctx.native_handle()));
  s.input = BIO_new(BIO_s_mem());
  s.output = BIO_new(BIO_s_mem());
  if (!s.ssl || !s.input || !s.output) {
    BIO_free(s.input);
    BIO_free(s.output);
    s.input = s.output = nullptr;
    s.setup_error = make_tls_error("cannot create a TLS session: " + openssl_reason());
    return;
  }
  // An empty input BIO means "no data yet" (retry), not end of stream.
  BIO_set_mem_eof_return(s.input, -1);
  SSL_set_bio(s.ssl, s.input, s.output);
  if (ctx.is_server()) {
    SSL_set_accept_state(s.ssl);
    return;
  }
  SSL_set_connect_state(s.ssl);
  std::string name(server_name);
  if (name.empty()) {
    if (ctx.verifies_peer()) {
      s.setup_error = make_tls_error(
          "a server name is needed to verify the server certificate (or set "
          "insecure_skip_verify)");
    }
    return;
  }
  const bool ip = is_ip_literal(name);
  // SNI carries host names only (RFC 6066 section 3).
  if (!ip && SSL_set_tlsext_host_name(s.ssl, name.c_str()) != 1) {
    s.setup_error = make_tls_error("invalid server name: " + openssl_reason());
    return;
  }
  if (!ctx.verifies_peer()) return;
  X509_VERIFY_PARAM* param = SSL_get0_param(s.ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
              : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
  if (ok != 1) s.setup_error = make_tls_error("invalid server name: " + openssl_reason());
}

tls_engine::tls_engine(tls_engine&&) noexcept = default;
tls_engine& tls_engine::operator=(tls_engine&&) noexcept = default;
tls_engine::~tls_engine() = default;

tls_step tls_engine::handshake() {
  impl& s = *impl_;
  if (s.setup_error) return s.error(s.setup_error);
  if (s.failed) return {false, make_error_code(errc::not_connected)};
  ERR_clear_error();
  return s.classify(SSL_do_handshake(s.ssl), 0);
}

tls_step tls_engine::read(std::span<char> out) {
  impl& s = *impl_;
  if (s.failed) return {false, make_error_code(errc::not_connected)};
  clear_errors();
  std::size_t n = 0;
  int ret = SSL_read_ex(s.ssl, out.data(), out.size(), &n);
  return s.classify(ret, n);
}

tls_step tls_engine::write(std::span<const char> in) {
  impl& s = *impl_;
  if (s.failed) return {false, make_error_code(errc::not_connected)};
  if (in.empty()) return {false, std::size_t{0}};
  // Writing after our close_notify is a usage error; the session itself is still fine for
  // reading the rest of what the peer sends.
  if (SSL_get_shutdown(s.ssl) & SSL_SENT_SHUTDOWN) return {false, make_error_code(errc::not_connected)};
  clear_errors();
  std::size_t n = 0;
  int ret = SSL_write_ex(s.ssl, in.data(), in.size(), &n);
  return s.classify(ret, n);
}

tls_step tls_engine::shutdown() {
  impl& s = *impl_;
  // After a fatal error OpenSSL forbids SSL_shutdown (it would send a close_notify on a
  // broken session).
  if (s.failed) return {false, make_error_code(errc::not_connected)};
  ERR_clear_error();
  int ret = SSL_shutdown(s.ssl);
  if (ret >= 0) return {false, std::size_t{0}};  // 0: ours sent; 1: both sides done
  return s.classify(ret, 0);
}

bool tls_engine::input_pending() const noexcept {
  return impl_->ssl && impl_->input && (SSL_has_pending(impl_->ssl) || BIO_ctrl_pending(impl_->input) > 0);
}

std::span<char> tls_engine::input_space() noexcept {
  return {impl_->in_buf.get(), input_capacity};
}

void tls_engine::commit_input(std::size_t n) {
  // A memory BIO grows as needed; it fails only when out of memory.
  if (BIO_write(impl_->input, impl_->in_buf.get(), static_cast<int>(n)) != static_cast<int>(n)) {
    throw std::bad_alloc();
  }
}

void tls_engine::end_of_input() noexcept {
  impl_->eof = true;
  // From now on an empty input BIO reads as end of stream, so OpenSSL reports the truncation.
  if (impl_->input) BIO_set_mem_eof_return(impl_->input, 0);
}

std::span<const char> tls_engine::take_output() {
  impl& s = *impl_;
  if (!s.output || BIO_ctrl_pending(s.output) == 0) return {};
  int n = BIO_read(s.output, s.out_buf.get(), static_cast<int>(output_capacity));
  if (n <= 0) return {};
  return {s.out_buf.get(), static_cast<std::size_t>(n)};
}

bool tls_engine::established() const noexcept {
  return impl_->ssl && SSL_is_init_finished(impl_->ssl);
}

std::string_view tls_engine::alpn_selected() const noexcept {
  if (!impl_->ssl) return {};
  const unsigned char* p = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(impl_->ssl, &p, &len);
  return {reinterpret_cast<const char*>(p), p ? len : 0u};
}

std::string_view tls_engine::server_name() const noexcept {
  if (!impl_->ssl) return {};
  const char* name = SSL_get_servername(impl_->ssl, TLSEXT_NAMETYPE_host_name);
  return name ? std::string_view(name) : std::string_view();
}

std::string tls_engine::peer_certificate_subject() const {
  if (!impl_->ssl) return {};
  X509* cert = SSL_get0_peer_certificate(impl_->ssl);
  if (!cert) return {};
  BIO* mem = BIO_new(BIO_s_mem());
  if (!mem) throw std::bad_alloc();
  X509_NAME_print_ex(mem, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long len = BIO_get_mem_data(mem, &data);
  std::string subject(data, static_cast<std::size_t>(len > 0 ? len : 0));
  BIO_free(mem);
  return subject;
}

std::string_view tls_engine::protocol_version() const noexcept {
  if (!impl_->ssl || !SSL_is_init_finished(impl_->ssl)) return {};
  return SSL_get_version(impl_->ssl);
}

void* tls_engine::native_handle() const noexcept { return impl_->ssl; }

}  // namespace eddy::detail
