// SPDX-License-Identifier: MIT
#pragma once

// Test certificates made at test time with OpenSSL's API (no keys are committed): a CA, leaf
// certificates it issues (server or client), expired ones and self-signed ones, written as
// PEM files into a temporary directory that disappears with the `test_pki`. Test binaries that
// include this link OpenSSL::SSL and OpenSSL::Crypto.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace eddy::test {

/// Paths of a PEM certificate and its PEM private key.
struct cert_files {
  std::string cert;
  std::string key;
};

/// What a certificate says about itself.
struct cert_spec {
  std::string common_name = "localhost";
  /// subjectAltName entries: "DNS:localhost", "IP:127.0.0.1", ...
  std::vector<std::string> alt_names = {"DNS:localhost", "IP:127.0.0.1"};
  /// Validity relative to now, in seconds.
  long valid_from = -3600;
  long valid_until = 30 * 24 * 3600;
  /// Extended key usage: "serverAuth" or "clientAuth".
  std::string usage = "serverAuth";
};

/// A throw-away PKI: a CA created on construction and a temporary directory for the files.
class test_pki {
 public:
  test_pki() {
    char tmpl[] = "/tmp/eddy-tls-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    ca_key_ = make_key();
    ca_cert_ = make_cert({.common_name = "eddy test CA", .alt_names = {}, .usage = ""},
                         ca_key_.get(), nullptr, nullptr, true);
    ca_ = write("ca", ca_cert_.get(), ca_key_.get());
  }
  ~test_pki() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  test_pki(const test_pki&) = delete;
  test_pki& operator=(const test_pki&) = delete;

  /// The CA's certificate and key.
  const cert_files& ca() const { return ca_; }
  /// The temporary directory.
  const std::string& dir() const { return dir_; }

  /// A certificate issued by the CA, saved as `<name>.crt` / `<name>.key`.
  cert_files issue(const std::string& name, const cert_spec& spec = {}) {
    key_ptr key = make_key();
    cert_ptr cert = make_cert(spec, key.get(), ca_cert_.get(), ca_key_.get(), false);
    return write(name, cert.get(), key.get());
  }

  /// A certificate signed by its own key (issued by nobody anyone trusts).
  cert_files self_signed(const std::string& name, const cert_spec& spec = {}) {
    key_ptr key = make_key();
    cert_ptr cert = make_cert(spec, key.get(), nullptr, nullptr, false);
    return write(name, cert.get(), key.get());
  }

 private:
  struct key_free {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };
  struct cert_free {
    void operator()(X509* c) const { X509_free(c); }
  };
  using key_ptr = std::unique_ptr<EVP_PKEY, key_free>;
  using cert_ptr = std::unique_ptr<X509, cert_free>;

  static void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test_pki: ") + what);
  }

  static key_ptr make_key() {
    key_ptr key(EVP_EC_gen("P-256"));
    check(key != nullptr, "EVP_EC_gen");
    return key;
  }

  static void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }

  // `issuer` null: self-signed with `key`.
  cert_ptr make_cert(const cert_spec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                     bool ca) {
    cert_ptr cert(X509_new());
    check(cert != nullptr, "X509_new");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial_);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.valid_from);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.valid_until);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("eddy tests"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(spec.common_name.c_str()),
                               -1, -1, 0);
    X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
    add_ext(cert.get(), issuer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    add_ext(cert.get(), issuer, NID_key_usage,
            ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    add_ext(cert.get(), issuer, NID_subject_key_identifier, "hash");
    if (issuer) add_ext(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
    if (!spec.usage.empty()) add_ext(cert.get(), issuer, NID_ext_key_usage, spec.usage);
    std::string alt;
    for (const auto& a : spec.alt_names) alt += (alt.empty() ? "" : ",") + a;
    if (!alt.empty()) add_ext(cert.get(), issuer, NID_subject_alt_name, alt);
    check(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
    return cert;
  }

  cert_files write(const std::string& name, X509* cert, EVP_PKEY* key) {
    cert_files files{dir_ + "/" + name + ".crt", dir_ + "/" + name + ".key"};
    FILE* f = std::fopen(files.cert.c_str(), "w");
    check(f != nullptr, "fopen");
    PEM_write_X509(f, cert);
    std::fclose(f);
    f = std::fopen(files.key.c_str(), "w");
    check(f != nullptr, "fopen");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    return files;
  }

  std::string dir_;
  long serial_ = 1000;
  key_ptr ca_key_;
  cert_ptr ca_cert_;
  cert_files ca_;
};

}  // namespace eddy::test
