#include "tests/emulators/google/crypto.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace gtoken::testing::emulator_internal {
namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
struct BignumDeleter {
  void operator()(BIGNUM* number) const { BN_free(number); }
};
struct ExtensionDeleter {
  void operator()(X509_EXTENSION* extension) const { X509_EXTENSION_free(extension); }
};

// The most recent OpenSSL error of this thread, drained so it does not leak into a
// later, unrelated check.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof(buffer));
  return buffer;
}

absl::Status OpenSslFailure(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", OpenSslError()));
}

KeyPtr AdoptKey(EVP_PKEY* key) { return KeyPtr(key, EVP_PKEY_free); }

std::string DrainBio(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, size > 0 ? static_cast<size_t>(size) : 0);
}

absl::Status AddExtension(X509* certificate, X509V3_CTX* context, int nid, const char* value) {
  std::unique_ptr<X509_EXTENSION, ExtensionDeleter> extension(
      X509V3_EXT_conf_nid(nullptr, context, nid, value));
  if (extension == nullptr || X509_add_ext(certificate, extension.get(), -1) != 1) {
    return OpenSslFailure(absl::StrCat("adding X.509 extension ", OBJ_nid2sn(nid)));
  }
  return absl::OkStatus();
}

struct CertificateExtension {
  int nid;
  const char* value;
};

// Issues a certificate for `subject_key`, signed by `issuer_key`; a null `issuer`
// makes it self-signed.
absl::StatusOr<CertificatePtr> IssueCertificate(
    EVP_PKEY* subject_key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key,
    std::initializer_list<CertificateExtension> extensions) {
  CertificatePtr certificate(X509_new());
  if (certificate == nullptr) return OpenSslFailure("X509_new");
  X509* cert = certificate.get();

  // Random 127-bit serials: certificates of different emulator runs never collide
  // in a client's session cache.
  std::unique_ptr<BIGNUM, BignumDeleter> serial(BN_new());
  if (serial == nullptr || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslFailure("certificate serial");
  }
  // An hour of back-dating tolerates clock differences; 30 days outlives any test run.
  constexpr long kBackdateSeconds = 60 * 60;
  constexpr long kValiditySeconds = 30L * 24 * 60 * 60;
  if (X509_set_version(cert, 2) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert), -kBackdateSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert), kValiditySeconds) == nullptr ||
      X509_set_pubkey(cert, subject_key) != 1) {
    return OpenSslFailure("certificate fields");
  }
  X509_NAME* subject = X509_get_subject_name(cert);
  if (X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("gtoken emulators"), -1, -1,
                                 0) != 1 ||
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(common_name), -1, -1,
                                 0) != 1) {
    return OpenSslFailure("certificate subject");
  }
  X509* issuer_cert = issuer != nullptr ? issuer : cert;
  if (X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert)) != 1) {
    return OpenSslFailure("certificate issuer");
  }

  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer_cert, cert, nullptr, nullptr, 0);
  for (const CertificateExtension& extension : extensions) {
    absl::Status added = AddExtension(cert, &context, extension.nid, extension.value);
    if (!added.ok()) return added;
  }
  if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0) {
    return OpenSslFailure("signing certificate");
  }
  return certificate;
}

}  // namespace

absl::StatusOr<KeyPtr> GenerateRsaKey(int bits) {
  EVP_PKEY* key = EVP_RSA_gen(static_cast<unsigned int>(bits));
  if (key == nullptr) return OpenSslFailure("generating RSA key");
  return AdoptKey(key);
}

absl::StatusOr<KeyPtr> GenerateEcKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) return OpenSslFailure("generating EC key");
  return AdoptKey(key);
}

absl::StatusOr<std::string> PrivateKeyPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  // OpenSSL 3 writes PKCS#8 ("BEGIN PRIVATE KEY") here, as Google's key files carry.
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslFailure("writing private key PEM");
  }
  return DrainBio(bio.get());
}

absl::StatusOr<std::string> PublicKeyPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return OpenSslFailure("writing public key PEM");
  }
  return DrainBio(bio.get());
}

absl::StatusOr<std::string> KeyId(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int size = i2d_PUBKEY(key, &der);
  if (size <= 0) return OpenSslFailure("encoding public key");
  std::string digest = Sha256(absl::string_view(reinterpret_cast<char*>(der), size));
  OPENSSL_free(der);
  return absl::BytesToHexString(digest.substr(0, 20));
}

absl::StatusOr<std::string> SignRs256(EVP_PKEY* key, absl::string_view data) {
  std::unique_ptr<EVP_MD_CTX, MdContextDeleter> context(EVP_MD_CTX_new());
  size_t size = 0;
  if (context == nullptr ||
      EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &size,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return OpenSslFailure("RS256 signing");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return OpenSslFailure("RS256 signing");
  }
  signature.resize(size);
  return signature;
}

bool VerifyRs256(EVP_PKEY* key, absl::string_view data, absl::string_view signature) {
  // An EC or Ed25519 key would "verify" some other algorithm; RS256 means RSA.
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return false;
  std::unique_ptr<EVP_MD_CTX, MdContextDeleter> context(EVP_MD_CTX_new());
  bool valid =
      context != nullptr &&
      EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  ERR_clear_error();  // a bad signature is an answer, not an error to report later
  return valid;
}

absl::StatusOr<RsaPublicNumbers> GetRsaPublicNumbers(EVP_PKEY* key) {
  auto to_bytes = [](const BIGNUM* number) {
    std::string bytes(BN_num_bytes(number), '\0');
    BN_bn2bin(number, reinterpret_cast<unsigned char*>(bytes.data()));
    return bytes;
  };
  BIGNUM* modulus = nullptr;
  BIGNUM* exponent = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &modulus) != 1 ||
      EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &exponent) != 1) {
    BN_free(modulus);
    return OpenSslFailure("reading RSA public numbers");
  }
  RsaPublicNumbers numbers{to_bytes(modulus), to_bytes(exponent)};
  BN_free(modulus);
  BN_free(exponent);
  return numbers;
}

absl::StatusOr<TlsCredentials> CreateTlsCredentials() {
  absl::StatusOr<KeyPtr> ca_key = GenerateEcKey();
  if (!ca_key.ok()) return ca_key.status();
  absl::StatusOr<CertificatePtr> ca =
      IssueCertificate(ca_key->get(), "gtoken Google emulator CA", nullptr, ca_key->get(),
                       {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                        {NID_key_usage, "critical,keyCertSign,cRLSign"},
                        {NID_subject_key_identifier, "hash"}});
  if (!ca.ok()) return ca.status();

  absl::StatusOr<KeyPtr> server_key = GenerateEcKey();
  if (!server_key.ok()) return server_key.status();
  absl::StatusOr<CertificatePtr> server =
      IssueCertificate(server_key->get(), "127.0.0.1", ca->get(), ca_key->get(),
                       {{NID_basic_constraints, "critical,CA:FALSE"},
                        {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                        {NID_ext_key_usage, "serverAuth"},
                        {NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                        {NID_subject_key_identifier, "hash"},
                        {NID_authority_key_identifier, "keyid:always"}});
  if (!server.ok()) return server.status();

  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), ca->get()) != 1) {
    return OpenSslFailure("writing CA certificate PEM");
  }
  TlsCredentials credentials;
  credentials.ca_certificate_pem = DrainBio(bio.get());
  credentials.server_certificate = *std::move(server);
  credentials.server_key = *std::move(server_key);
  return credentials;
}

std::string RandomUrlSafeString(int bytes) {
  std::string random(bytes, '\0');
  // RAND_bytes fails only when the OS has no entropy to give; a test emulator that
  // cannot make unguessable tokens has no way to go on.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(random.data()), bytes) != 1) abort();
  return absl::WebSafeBase64Escape(random);
}

std::string Sha256(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<char*>(digest), sizeof(digest));
}

}  // namespace gtoken::testing::emulator_internal
