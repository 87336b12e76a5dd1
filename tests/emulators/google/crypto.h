// OpenSSL 3 helpers behind the Google emulators: RSA keys for ID tokens and
// service-account keys, a throwaway CA and server certificate for the HTTPS servers,
// RS256 signatures and random tokens. Internal to tests/emulators/google.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gtoken::testing::emulator_internal {

// Keys are shared between handler threads; OpenSSL allows concurrent signing and
// verifying with one EVP_PKEY as long as each operation has its own context.
using KeyPtr = std::shared_ptr<EVP_PKEY>;

struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using CertificatePtr = std::unique_ptr<X509, X509Deleter>;

absl::StatusOr<KeyPtr> GenerateRsaKey(int bits);
// A P-256 key: TLS only needs *a* key, and EC keys are generated in microseconds.
absl::StatusOr<KeyPtr> GenerateEcKey();

// "-----BEGIN PRIVATE KEY-----" (PKCS#8), the format of Google's JSON key files.
absl::StatusOr<std::string> PrivateKeyPem(EVP_PKEY* key);
// "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo).
absl::StatusOr<std::string> PublicKeyPem(EVP_PKEY* key);
// 40 lower-case hex digits derived from the public key, shaped like Google's key ids
// (`kid` of ID tokens, `private_key_id` of key files).
absl::StatusOr<std::string> KeyId(EVP_PKEY* key);

// RSASSA-PKCS1-v1_5 with SHA-256, i.e. JWS "RS256".
absl::StatusOr<std::string> SignRs256(EVP_PKEY* key, absl::string_view data);
bool VerifyRs256(EVP_PKEY* key, absl::string_view data, absl::string_view signature);

// Big-endian modulus and public exponent of an RSA key, for a JWK.
struct RsaPublicNumbers {
  std::string modulus;
  std::string exponent;
};
absl::StatusOr<RsaPublicNumbers> GetRsaPublicNumbers(EVP_PKEY* key);

// A self-signed CA and a server certificate it issued for 127.0.0.1 and localhost
// (subjectAltName IP:127.0.0.1, DNS:localhost), so clients verify both chain and host.
struct TlsCredentials {
  std::string ca_certificate_pem;
  CertificatePtr server_certificate;
  KeyPtr server_key;
};
absl::StatusOr<TlsCredentials> CreateTlsCredentials();

// `bytes` random bytes, base64url without padding.
std::string RandomUrlSafeString(int bytes);
// SHA-256 digest (raw bytes).
std::string Sha256(absl::string_view data);

}  // namespace gtoken::testing::emulator_internal
