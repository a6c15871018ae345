// SPDX-License-Identifier: MIT
#include "eddy/net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <deque>
#include <mutex>
#include <unordered_map>

#include "eddy/core/errors.hpp"

namespace eddy {
namespace {

// Interned reason strings. OpenSSL's reasons form a small fixed set, but the table is capped
// anyway so that a hostile peer cannot grow it without bound.
constexpr std::size_t max_reasons = 4096;

class reason_table {
 public:
  int intern(std::string_view reason) {
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(std::string(reason)); it != index_.end()) return it->second;
    if (reasons_.size() >= max_reasons) return 1;
    // Value 1 is the generic code; reason i (from 0) gets value i + 2.
    reasons_.emplace_back(reason);
    int value = static_cast<int>(reasons_.size()) + 1;
    index_.emplace(reasons_.back(), value);
    return value;
  }
  std::string message(int value) {
    std::lock_guard lock(mutex_);
    if (value >= 2 && static_cast<std::size_t>(value - 2) < reasons_.size()) {
      return reasons_[static_cast<std::size_t>(value - 2)];
    }
    return "TLS error";
  }

 private:
  std::mutex mutex_;
  std::deque<std::string> reasons_;
  std::unordered_map<std::string, int> index_;
};

reason_table& reasons() {
  static reason_table table;
  return table;
}

class tls_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "eddy.tls"; }
  std::string message(int value) const override { return reasons().message(value); }
  std::error_condition default_error_condition(int) const noexcept override {
    return {static_cast<int>(errc::tls_error), eddy::error_category()};
  }
};

// A configuration failure: OpenSSL's reason plus what we were doing.
[[noreturn]] void fail(std::string_view what) {
  std::string reason = detail::openssl_reason();
  std::string message(what);
  if (!reason.empty()) message += ": " + reason;
  throw std::system_error(make_tls_error(message));
}

void set_protocol_floor(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) fail("cannot require TLS 1.2");
  // Mozilla's "intermediate" list for TLS 1.2: forward secrecy and AEAD only. TLS 1.3 suites
  // are all modern; OpenSSL's defaults stay.
  static constexpr const char* tls12_ciphers =
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
  if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1) fail("cannot set the cipher list");
  // Renegotiation is a source of attacks and of reads that need to write; nobody needs it.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Memory BIOs never block, so a write either completes or fails.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
}

void load_certificate(SSL_CTX* ctx, const std::string& chain, const std::string& key) {
  if (chain.empty() != key.empty()) {
    throw std::system_error(
        make_tls_error("a certificate chain file needs a private key file and vice versa"));
  }
  if (chain.empty()) return;
  if (SSL_CTX_use_certificate_chain_file(ctx, chain.c_str()) != 1) {
    fail("cannot load certificate chain '" + chain + "'");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    fail("cannot load private key '" + key + "'");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    fail("private key '" + key + "' does not match certificate '" + chain + "'");
  }
}

// ALPN's wire format: each name prefixed by its length byte.
std::string alpn_wire(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const auto& p : protocols) {
    if (p.empty() || p.size() > 255) {
      throw std::system_error(make_tls_error("ALPN protocol names must be 1 to 255 bytes"));
    }
    wire.push_back(static_cast<char>(p.size()));
    wire += p;
  }
  return wire;
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned int in_len, void* arg) {
  // Server preference: the first of our protocols that the client offered. (Matched by hand:
  // SSL_select_next_proto's contract changed across 3.0 patch releases.)
  const std::string& ours = *static_cast<const std::string*>(arg);
  for (std::size_t i = 0; i < ours.size(); i += 1 + static_cast<unsigned char>(ours[i])) {
    std::string_view want(ours.data() + i + 1, static_cast<unsigned char>(ours[i]));
    for (unsigned int j = 0; j < in_len; j += 1u + in[j]) {
      if (j + 1u + in[j] > in_len) break;  // malformed list from the client
      std::string_view offered(reinterpret_cast<const char*>(in) + j + 1, in[j]);
      if (offered == want) {
        *out = in + j + 1;
        *out_len = in[j];
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

namespace detail {
std::string openssl_reason() {
  std::string reason;
  while (unsigned long e = ERR_get_error()) {
    if (!reason.empty()) continue;  // keep the oldest; drain the rest
    if (const char* r = ERR_reason_error_string(e)) {
      reason = r;
    } else {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof buf);
      reason = buf;
    }
  }
  return reason;
}
}  // namespace detail

const std::error_category& tls_category() noexcept {
  static const tls_error_category category;
  return category;
}

std::error_code make_tls_error(std::string_view reason) {
  return {reasons().intern(reason), tls_category()};
}

bool is_tls_error(const std::error_code& ec) noexcept {
  return ec.category() == tls_category() || ec == errc::tls_error;
}

struct tls_context::impl {
  SSL_CTX* ctx = nullptr;
  bool server = false;
  bool verify = false;
  std::chrono::milliseconds handshake_timeout{};
  std::string alpn;  // server: the preference list the selection callback reads

  impl() = default;
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;
  ~impl() { SSL_CTX_free(ctx); }
};

tls_context tls_context::server(const tls_server_options& options) {
  ERR_clear_error();
  auto p = std::make_shared<impl>();
  p->server = true;
  p->handshake_timeout = options.handshake_timeout;
  p->ctx = SSL_CTX_new(TLS_server_method());
  if (!p->ctx) fail("cannot create a TLS server context");
  set_protocol_floor(p->ctx);
  if (options.certificate_chain_file.empty()) {
    throw std::system_error(make_tls_error("a TLS server needs a certificate chain file"));
  }
  load_certificate(p->ctx, options.certificate_chain_file, options.private_key_file);
  if (!options.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(p->ctx, options.client_ca_file.c_str(), nullptr) != 1) {
      fail("cannot load client CA file '" + options.client_ca_file + "'");
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_file.c_str());
    if (names) SSL_CTX_set_client_CA_list(p->ctx, names);
    SSL_CTX_set_verify(p->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    p->verify = true;
  }
  p->alpn = alpn_wire(options.alpn);
  if (!p->alpn.empty()) SSL_CTX_set_alpn_select_cb(p->ctx, &select_alpn, &p->alpn);
  return tls_context(std::move(p));
}

tls_context tls_context::client(const tls_client_options& options) {
  ERR_clear_error();
  auto p = std::make_shared<impl>();
  p->handshake_timeout = options.handshake_timeout;
  p->ctx = SSL_CTX_new(TLS_client_method());
  if (!p->ctx) fail("cannot create a TLS client context");
  set_protocol_floor(p->ctx);
  load_certificate(p->ctx, options.certificate_chain_file, options.private_key_file);
  if (options.use_system_ca && SSL_CTX_set_default_verify_paths(p->ctx) != 1) {
    fail("cannot load the system CA store");
  }
  if (!options.ca_file.empty() &&
      SSL_CTX_load_verify_locations(p->ctx, options.ca_file.c_str(), nullptr) != 1) {
    fail("cannot load CA file '" + options.ca_file + "'");
  }
  if (!options.release_idle_buffers) SSL_CTX_clear_mode(p->ctx, SSL_MODE_RELEASE_BUFFERS);
  p->verify = !options.insecure_skip_verify;
  SSL_CTX_set_verify(p->ctx, p->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  std::string wire = alpn_wire(options.alpn);
  if (!wire.empty() &&
      SSL_CTX_set_alpn_protos(p->ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                              static_cast<unsigned int>(wire.size())) != 0) {
    fail("cannot set ALPN protocols");
  }
  return tls_context(std::move(p));
}

bool tls_context::is_server() const noexcept { return impl_->server; }
bool tls_context::verifies_peer() const noexcept { return impl_->verify; }
std::chrono::milliseconds tls_context::handshake_timeout() const noexcept {
  return impl_->handshake_timeout;
}
void* tls_context::native_handle() const noexcept { return impl_->ctx; }

}  // namespace eddy
