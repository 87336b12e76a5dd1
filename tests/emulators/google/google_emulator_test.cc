// Proves the Google emulators behave as Google's public docs describe, through real
// HTTP and verified-TLS clients. Signatures are checked and made here with OpenSSL
// directly, independently of the emulator's own crypto code.
#include "tests/emulators/google/google_emulator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace gtoken::testing {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kDefaultAccount[] = "default-sa@emulated-project.iam.gserviceaccount.com";
constexpr char kAppAccount[] = "app@emulated-project.iam.gserviceaccount.com";
constexpr char kOtherAccount[] = "other@emulated-project.iam.gserviceaccount.com";
constexpr char kJwtBearer[] = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const httplib::Headers kMetadataFlavor = {{"Metadata-Flavor", "Google"}};

// ---- JWT and OpenSSL helpers, written against the specs rather than the emulator ----

struct Jwt {
  json header;
  json claims;
  std::string signing_input;
  std::string signature;
};

bool ParseJwt(const std::string& token, Jwt* jwt) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return false;
  // Google's JWTs are base64url *without* padding.
  for (const std::string& part : parts) {
    if (absl::StrContains(part, "=")) return false;
  }
  std::string header, claims;
  if (!absl::WebSafeBase64Unescape(parts[0], &header) ||
      !absl::WebSafeBase64Unescape(parts[1], &claims) ||
      !absl::WebSafeBase64Unescape(parts[2], &jwt->signature)) {
    return false;
  }
  jwt->header = json::parse(header, nullptr, false);
  jwt->claims = json::parse(claims, nullptr, false);
  jwt->signing_input = parts[0] + "." + parts[1];
  return jwt->header.is_object() && jwt->claims.is_object();
}

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

KeyPtr ReadPublicKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return KeyPtr(key, EVP_PKEY_free);
}

KeyPtr ReadPrivateKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return KeyPtr(key, EVP_PKEY_free);
}

bool VerifyRs256(const std::string& public_key_pem, const Jwt& jwt) {
  KeyPtr key = ReadPublicKey(public_key_pem);
  if (key == nullptr) return false;
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  bool valid =
      EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
      EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(jwt.signature.data()),
                       jwt.signature.size(),
                       reinterpret_cast<const unsigned char*>(jwt.signing_input.data()),
                       jwt.signing_input.size()) == 1;
  EVP_MD_CTX_free(context);
  return valid;
}

std::string SignRs256(EVP_PKEY* key, const std::string& data) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  size_t size = 0;
  std::string signature;
  if (EVP_DigestSignInit(context, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestSign(context, nullptr, &size, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) == 1) {
    signature.resize(size);
    EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &size,
                   reinterpret_cast<const unsigned char*>(data.data()), data.size());
    signature.resize(size);
  }
  EVP_MD_CTX_free(context);
  return signature;
}

// A JWT-bearer assertion signed with the private key of a Google JSON key file.
std::string SignAssertion(const json& key_file, const json& claims) {
  KeyPtr key = ReadPrivateKey(key_file["private_key"].get<std::string>());
  if (key == nullptr) return "";
  json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", key_file["private_key_id"]}};
  std::string signing_input =
      absl::WebSafeBase64Escape(header.dump()) + "." + absl::WebSafeBase64Escape(claims.dump());
  return signing_input + "." + absl::WebSafeBase64Escape(SignRs256(key.get(), signing_input));
}

int64_t NowSeconds() { return absl::ToUnixSeconds(absl::Now()); }

FaultSpec Faulty(Fault fault, int count = -1) {
  FaultSpec spec;
  spec.fault = fault;
  spec.count = count;
  return spec;
}

FaultSpec FailWith(int status, int count = -1) {
  FaultSpec spec = Faulty(Fault::kStatus, count);
  spec.status = status;
  return spec;
}

FaultSpec StallFor(absl::Duration stall, int count = -1) {
  FaultSpec spec = Faulty(Fault::kStall, count);
  spec.stall = stall;
  return spec;
}

json AssertionClaims(const json& key_file) {
  int64_t now = NowSeconds();
  return {{"iss", key_file["client_email"]},
          {"scope", "https://www.googleapis.com/auth/cloud-platform"},
          {"aud", key_file["token_uri"]},
          {"iat", now},
          {"exp", now + 3600}};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

int PortOf(const std::string& url) {
  int port = 0;
  std::vector<std::string> parts = absl::StrSplit(url, ':');
  std::string last = parts.back();
  last = last.substr(0, last.find('/'));
  EXPECT_TRUE(absl::SimpleAtoi(last, &port)) << url;
  return port;
}

// ---- Fixture ----

class GoogleEmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override { StartEmulator(GoogleEmulatorOptions()); }

  void StartEmulator(GoogleEmulatorOptions options) {
    absl::StatusOr<std::unique_ptr<GoogleEmulator>> started = GoogleEmulator::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    emulator_ = *std::move(started);
  }

  std::unique_ptr<httplib::Client> Metadata() {
    auto client = std::make_unique<httplib::Client>("http://" + emulator_->metadata_host());
    client->set_read_timeout(10, 0);
    return client;
  }

  // TLS with certificate and host verification on, trusting only the emulator's CA.
  std::unique_ptr<httplib::SSLClient> Https(const std::string& host = "127.0.0.1") {
    auto client =
        std::make_unique<httplib::SSLClient>(host, PortOf(emulator_->iam_credentials_url()));
    client->set_ca_cert_path(emulator_->ca_file().c_str());
    client->enable_server_certificate_verification(true);
    client->set_read_timeout(10, 0);
    return client;
  }

  httplib::Result GetIdentity(const std::string& query) {
    return Metadata()->Get(
        "/computeMetadata/v1/instance/service-accounts/default/identity?" + query, kMetadataFlavor);
  }

  std::string MetadataAccessToken() {
    httplib::Result res = Metadata()->Get(
        "/computeMetadata/v1/instance/service-accounts/default/token", kMetadataFlavor);
    if (!res || res->status != 200) return "";
    json body = json::parse(res->body, nullptr, false);
    return body.is_object() ? body.value("access_token", "") : "";
  }

  httplib::Result GenerateIdToken(const std::string& access_token, const std::string& email,
                                  const std::string& body) {
    httplib::Headers headers;
    if (!access_token.empty()) headers.emplace("Authorization", "Bearer " + access_token);
    return Https()->Post(absl::StrCat("/v1/projects/-/serviceAccounts/", email, ":generateIdToken"),
                         headers, body, "application/json");
  }

  httplib::Result PostToken(const httplib::Params& form) { return Https()->Post("/token", form); }

  json WriteKeyFile(const std::string& email) {
    std::string path = ::testing::TempDir() + "/" + email + ".json";
    absl::Status written = emulator_->WriteServiceAccountKeyFile(email, path);
    EXPECT_TRUE(written.ok()) << written;
    struct stat info = {};
    EXPECT_EQ(stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    return json::parse(ReadFile(path), nullptr, false);
  }

  // The access token the OAuth2 endpoint gives for `key_file`'s account.
  std::string OAuth2AccessToken(const json& key_file) {
    httplib::Result res =
        PostToken({{"grant_type", kJwtBearer},
                   {"assertion", SignAssertion(key_file, AssertionClaims(key_file))}});
    if (!res || res->status != 200) return "";
    return json::parse(res->body, nullptr, false).value("access_token", "");
  }

  std::unique_ptr<GoogleEmulator> emulator_;
};

// Asserts `res` is a Google API JSON error with this code and status.
void ExpectGoogleError(const httplib::Result& res, int code, const std::string& status) {
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, code) << res->body;
  EXPECT_THAT(res->get_header_value("Content-Type"), StartsWith("application/json"));
  json body = json::parse(res->body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << res->body;
  EXPECT_EQ(body["error"]["code"], code) << res->body;
  EXPECT_EQ(body["error"]["status"], status) << res->body;
  EXPECT_TRUE(body["error"]["message"].is_string()) << res->body;
}

void ExpectOAuth2Error(const httplib::Result& res, const std::string& error,
                       const std::string& description_part) {
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 400) << res->body;
  json body = json::parse(res->body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << res->body;
  EXPECT_EQ(body.value("error", ""), error) << res->body;
  EXPECT_THAT(body.value("error_description", ""), HasSubstr(description_part));
}

// ---- Metadata server ----

TEST_F(GoogleEmulatorTest, MetadataRejectsRequestsWithoutFlavorHeader) {
  httplib::Result res =
      Metadata()->Get("/computeMetadata/v1/instance/service-accounts/default/identity?audience=a");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_THAT(res->body, HasSubstr("Missing Metadata-Flavor:Google header."));
  EXPECT_EQ(res->get_header_value("Metadata-Flavor"), "Google");

  httplib::Headers forwarded = {{"Metadata-Flavor", "Google"}, {"X-Forwarded-For", "10.0.0.1"}};
  res = Metadata()->Get("/computeMetadata/v1/instance/service-accounts/default/email", forwarded);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
}

TEST_F(GoogleEmulatorTest, MetadataIdentityIsAGoogleIdTokenSignedByTheJwksKey) {
  httplib::Result res = GetIdentity("audience=https://example.com/aud&format=full");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->get_header_value("Content-Type"), StartsWith("text/plain"));
  EXPECT_EQ(res->get_header_value("Metadata-Flavor"), "Google");

  Jwt jwt;
  ASSERT_TRUE(ParseJwt(res->body, &jwt)) << res->body;
  EXPECT_TRUE(VerifyRs256(emulator_->id_token_public_key_pem(), jwt));
  EXPECT_EQ(jwt.header["alg"], "RS256");
  EXPECT_EQ(jwt.header["typ"], "JWT");
  const ServiceAccount account = emulator_->AddServiceAccount(kDefaultAccount);
  EXPECT_EQ(account.unique_id.size(), 21u);
  EXPECT_EQ(jwt.claims["iss"], "https://accounts.google.com");
  EXPECT_EQ(jwt.claims["aud"], "https://example.com/aud");
  EXPECT_EQ(jwt.claims["sub"], account.unique_id);
  EXPECT_EQ(jwt.claims["azp"], account.unique_id);
  EXPECT_EQ(jwt.claims["email"], kDefaultAccount);
  EXPECT_EQ(jwt.claims["email_verified"], true);
  const int64_t iat = jwt.claims["iat"].get<int64_t>();
  EXPECT_NEAR(static_cast<double>(iat), static_cast<double>(NowSeconds()), 5);
  EXPECT_EQ(jwt.claims["exp"].get<int64_t>() - iat, 3600);

  // The JWKS publishes the same key under the token's kid.
  httplib::Result jwks = Https()->Get("/oauth2/v3/certs");
  ASSERT_TRUE(jwks) << httplib::to_string(jwks.error());
  ASSERT_EQ(jwks->status, 200);
  json keys = json::parse(jwks->body, nullptr, false);
  ASSERT_TRUE(keys.is_object()) << jwks->body;
  ASSERT_EQ(keys["keys"].size(), 1u);
  const json& jwk = keys["keys"][0];
  EXPECT_EQ(jwk["kty"], "RSA");
  EXPECT_EQ(jwk["alg"], "RS256");
  EXPECT_EQ(jwk["use"], "sig");
  EXPECT_EQ(jwk["kid"], jwt.header["kid"]);
  KeyPtr public_key = ReadPublicKey(emulator_->id_token_public_key_pem());
  ASSERT_NE(public_key, nullptr);
  BIGNUM* modulus = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(public_key.get(), OSSL_PKEY_PARAM_RSA_N, &modulus), 1);
  std::string modulus_bytes(BN_num_bytes(modulus), '\0');
  BN_bn2bin(modulus, reinterpret_cast<unsigned char*>(modulus_bytes.data()));
  BN_free(modulus);
  EXPECT_EQ(jwk["n"], absl::WebSafeBase64Escape(modulus_bytes));
  EXPECT_EQ(jwk["e"], "AQAB");
}

TEST_F(GoogleEmulatorTest, MetadataIdentityCarriesEmailOnlyWithFormatFull) {
  httplib::Result res = GetIdentity("audience=aud");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  Jwt jwt;
  ASSERT_TRUE(ParseJwt(res->body, &jwt));
  EXPECT_FALSE(jwt.claims.contains("email"));
  EXPECT_FALSE(jwt.claims.contains("email_verified"));
  EXPECT_EQ(jwt.claims["aud"], "aud");
}

TEST_F(GoogleEmulatorTest, MetadataIdentityValidatesItsRequest) {
  httplib::Result res = GetIdentity("format=full");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("non-empty audience parameter required"));
  res = GetIdentity("audience=");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);

  // The default account may be named by email; other accounts are not on this VM.
  res = Metadata()->Get(absl::StrCat("/computeMetadata/v1/instance/service-accounts/",
                                     kDefaultAccount, "/identity?audience=a"),
                        kMetadataFlavor);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = Metadata()->Get(absl::StrCat("/computeMetadata/v1/instance/service-accounts/",
                                     kOtherAccount, "/identity?audience=a"),
                        kMetadataFlavor);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);

  res = Metadata()->Get("/computeMetadata/v1/instance/no-such-thing", kMetadataFlavor);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->get_header_value("Metadata-Flavor"), "Google");
}

TEST_F(GoogleEmulatorTest, MetadataTokenEmailAndProject) {
  httplib::Result res = Metadata()->Get(
      "/computeMetadata/v1/instance/service-accounts/default/token", kMetadataFlavor);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Content-Type"), StartsWith("application/json"));
  json token = json::parse(res->body, nullptr, false);
  ASSERT_TRUE(token.is_object()) << res->body;
  EXPECT_THAT(token.value("access_token", ""), StartsWith("ya29."));
  EXPECT_EQ(token["expires_in"], 3599);
  EXPECT_EQ(token["token_type"], "Bearer");

  res = Metadata()->Get("/computeMetadata/v1/instance/service-accounts/default/email",
                        kMetadataFlavor);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, kDefaultAccount);

  res = Metadata()->Get("/computeMetadata/v1/project/project-id", kMetadataFlavor);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "emulated-project");
}

TEST_F(GoogleEmulatorTest, IdTokenLifetimeIsConfigurableAndCappedAtAnHour) {
  emulator_->SetIdTokenLifetime(absl::Seconds(2));
  httplib::Result res = GetIdentity("audience=a");
  ASSERT_TRUE(res);
  Jwt jwt;
  ASSERT_TRUE(ParseJwt(res->body, &jwt));
  EXPECT_EQ(jwt.claims["exp"].get<int64_t>() - jwt.claims["iat"].get<int64_t>(), 2);

  emulator_->SetIdTokenLifetime(absl::Hours(5));
  res = GetIdentity("audience=a");
  ASSERT_TRUE(res);
  ASSERT_TRUE(ParseJwt(res->body, &jwt));
  EXPECT_EQ(jwt.claims["exp"].get<int64_t>() - jwt.claims["iat"].get<int64_t>(), 3600);
}

TEST(GoogleEmulatorOptionsTest, LifetimesComeFromOptions) {
  GoogleEmulatorOptions options;
  options.id_token_lifetime = absl::Seconds(90);
  options.access_token_lifetime = absl::Minutes(10);
  options.project_id = "my-project";
  options.default_service_account = "vm@my-project.iam.gserviceaccount.com";
  absl::StatusOr<std::unique_ptr<GoogleEmulator>> emulator = GoogleEmulator::Start(options);
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  httplib::Client client("http://" + (*emulator)->metadata_host());

  httplib::Result res = client.Get(
      "/computeMetadata/v1/instance/service-accounts/default/identity?audience=a&format=full",
      kMetadataFlavor);
  ASSERT_TRUE(res);
  Jwt jwt;
  ASSERT_TRUE(ParseJwt(res->body, &jwt));
  EXPECT_EQ(jwt.claims["exp"].get<int64_t>() - jwt.claims["iat"].get<int64_t>(), 90);
  EXPECT_EQ(jwt.claims["email"], "vm@my-project.iam.gserviceaccount.com");

  res = client.Get("/computeMetadata/v1/instance/service-accounts/default/token", kMetadataFlavor);
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body, nullptr, false)["expires_in"], 599);
  res = client.Get("/computeMetadata/v1/project/project-id", kMetadataFlavor);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "my-project");
}

// ---- TLS ----

TEST_F(GoogleEmulatorTest, HttpsCertificateVerifiesForIpAndLocalhostOnlyWithTheCa) {
  httplib::Result res = Https("127.0.0.1")->Get("/oauth2/v3/certs");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  res = Https("localhost")->Get("/oauth2/v3/certs");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);

  // Proof that verification is on: without the CA the same request is refused.
  httplib::SSLClient untrusting("127.0.0.1", PortOf(emulator_->iam_credentials_url()));
  untrusting.set_ca_cert_path("/nonexistent-ca.pem");
  untrusting.enable_server_certificate_verification(true);
  res = untrusting.Get("/oauth2/v3/certs");
  EXPECT_FALSE(res);
}

// ---- IAM Credentials ----

TEST_F(GoogleEmulatorTest, IamRequiresAnAccessTokenThisEmulatorIssued) {
  const std::string body = R"({"audience": "a", "includeEmail": true})";
  ExpectGoogleError(GenerateIdToken("", kDefaultAccount, body), 401, "UNAUTHENTICATED");
  httplib::Result res = GenerateIdToken("ya29.forged", kDefaultAccount, body);
  ExpectGoogleError(res, 401, "UNAUTHENTICATED");
  EXPECT_THAT(res->body, HasSubstr("Request had invalid authentication credentials."));
}

TEST(GoogleEmulatorExpiryTest, IamRejectsExpiredAccessTokens) {
  GoogleEmulatorOptions options;
  options.access_token_lifetime = absl::Seconds(1);
  absl::StatusOr<std::unique_ptr<GoogleEmulator>> emulator = GoogleEmulator::Start(options);
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  httplib::Client metadata("http://" + (*emulator)->metadata_host());
  httplib::Result res =
      metadata.Get("/computeMetadata/v1/instance/service-accounts/default/token", kMetadataFlavor);
  ASSERT_TRUE(res);
  json token = json::parse(res->body, nullptr, false);
  EXPECT_EQ(token["expires_in"], 1);
  absl::SleepFor(absl::Milliseconds(1100));

  httplib::SSLClient iam("127.0.0.1", PortOf((*emulator)->iam_credentials_url()));
  iam.set_ca_cert_path((*emulator)->ca_file().c_str());
  iam.enable_server_certificate_verification(true);
  res =
      iam.Post(absl::StrCat("/v1/projects/-/serviceAccounts/", kDefaultAccount, ":generateIdToken"),
               {{"Authorization", "Bearer " + token.value("access_token", "")}},
               R"({"audience":"a"})", "application/json");
  ExpectGoogleError(res, 401, "UNAUTHENTICATED");
}

TEST_F(GoogleEmulatorTest, IamMintsIdTokensForTheCallerItself) {
  const std::string access_token = MetadataAccessToken();
  ASSERT_FALSE(access_token.empty());
  httplib::Result res = GenerateIdToken(access_token, kDefaultAccount,
                                        R"({"audience": "sts-aud", "includeEmail": true})");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json; charset=UTF-8");
  json body = json::parse(res->body, nullptr, false);
  Jwt jwt;
  ASSERT_TRUE(ParseJwt(body.value("token", ""), &jwt)) << res->body;
  EXPECT_TRUE(VerifyRs256(emulator_->id_token_public_key_pem(), jwt));
  EXPECT_EQ(jwt.claims["aud"], "sts-aud");
  EXPECT_EQ(jwt.claims["email"], kDefaultAccount);
  EXPECT_EQ(jwt.claims["email_verified"], true);
  EXPECT_EQ(jwt.claims["sub"], emulator_->AddServiceAccount(kDefaultAccount).unique_id);

  res = GenerateIdToken(access_token, kDefaultAccount, R"({"audience": "sts-aud"})");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  ASSERT_TRUE(ParseJwt(json::parse(res->body, nullptr, false).value("token", ""), &jwt));
  EXPECT_FALSE(jwt.claims.contains("email"));
}

TEST_F(GoogleEmulatorTest, IamRejectsBadRequestsUnknownAccountsAndStrangers) {
  const std::string access_token = MetadataAccessToken();
  ASSERT_FALSE(access_token.empty());
  ExpectGoogleError(GenerateIdToken(access_token, kDefaultAccount, R"({"audience": )"), 400,
                    "INVALID_ARGUMENT");
  ExpectGoogleError(GenerateIdToken(access_token, kDefaultAccount, R"({"includeEmail": true})"),
                    400, "INVALID_ARGUMENT");
  // Typos and wrong types are refused, as Google's JSON mapping does.
  ExpectGoogleError(
      GenerateIdToken(access_token, kDefaultAccount, R"({"audience": "a", "includeEmails": true})"),
      400, "INVALID_ARGUMENT");
  ExpectGoogleError(
      GenerateIdToken(access_token, kDefaultAccount, R"({"audience": "a", "includeEmail": "yes"})"),
      400, "INVALID_ARGUMENT");
  ExpectGoogleError(GenerateIdToken(access_token, "nobody@emulated-project.iam.gserviceaccount.com",
                                    R"({"audience": "a"})"),
                    404, "NOT_FOUND");

  emulator_->AddServiceAccount(kAppAccount);
  httplib::Result res = GenerateIdToken(access_token, kAppAccount, R"({"audience": "a"})");
  ExpectGoogleError(res, 403, "PERMISSION_DENIED");
  EXPECT_EQ(json::parse(res->body, nullptr, false)["error"]["message"],
            "Permission 'iam.serviceAccounts.getOpenIdToken' denied on resource (or it may "
            "not exist).");

  // roles/iam.serviceAccountTokenCreator on the target lets the caller mint for it.
  emulator_->AllowTokenCreator(kDefaultAccount, kAppAccount);
  res = GenerateIdToken(access_token, kAppAccount, R"({"audience": "a", "includeEmail": true})");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  Jwt jwt;
  ASSERT_TRUE(ParseJwt(json::parse(res->body, nullptr, false).value("token", ""), &jwt));
  EXPECT_EQ(jwt.claims["email"], kAppAccount);
  EXPECT_EQ(jwt.claims["sub"], emulator_->AddServiceAccount(kAppAccount).unique_id);
  // ...but not the other way round.
  res = GenerateIdToken(access_token, kOtherAccount, R"({"audience": "a"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

// ---- OAuth2 token endpoint ----

TEST_F(GoogleEmulatorTest, KeyFileHasGoogleJsonKeyFormat) {
  json key_file = WriteKeyFile(kAppAccount);
  ASSERT_TRUE(key_file.is_object());
  EXPECT_EQ(key_file["type"], "service_account");
  EXPECT_EQ(key_file["project_id"], "emulated-project");
  EXPECT_EQ(key_file["client_email"], kAppAccount);
  EXPECT_EQ(key_file["client_id"], emulator_->AddServiceAccount(kAppAccount).unique_id);
  EXPECT_EQ(key_file["token_uri"], emulator_->oauth2_token_url());
  EXPECT_EQ(key_file["private_key_id"].get<std::string>().size(), 40u);
  EXPECT_THAT(key_file["private_key"].get<std::string>(),
              StartsWith("-----BEGIN PRIVATE KEY-----\n"));
  EXPECT_TRUE(key_file["auth_uri"].is_string());
  EXPECT_TRUE(key_file["auth_provider_x509_cert_url"].is_string());
  EXPECT_TRUE(key_file["client_x509_cert_url"].is_string());
}

TEST_F(GoogleEmulatorTest, OAuth2JwtBearerGrantGivesAnAccessTokenActingAsTheKeysAccount) {
  json key_file = WriteKeyFile(kAppAccount);
  httplib::Result res =
      PostToken({{"grant_type", kJwtBearer},
                 {"assertion", SignAssertion(key_file, AssertionClaims(key_file))}});
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  ASSERT_EQ(res->status, 200) << res->body;
  json token = json::parse(res->body, nullptr, false);
  EXPECT_THAT(token.value("access_token", ""), StartsWith("ya29."));
  EXPECT_EQ(token["expires_in"], 3599);
  EXPECT_EQ(token["token_type"], "Bearer");

  const std::string access_token = token.value("access_token", "");
  res = GenerateIdToken(access_token, kAppAccount, R"({"audience": "a", "includeEmail": true})");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  Jwt jwt;
  ASSERT_TRUE(ParseJwt(json::parse(res->body, nullptr, false).value("token", ""), &jwt));
  EXPECT_EQ(jwt.claims["email"], kAppAccount);
  ExpectGoogleError(GenerateIdToken(access_token, kDefaultAccount, R"({"audience": "a"})"), 403,
                    "PERMISSION_DENIED");
}

TEST_F(GoogleEmulatorTest, OAuth2TargetAudienceGivesAnIdToken) {
  json key_file = WriteKeyFile(kAppAccount);
  json claims = AssertionClaims(key_file);
  claims.erase("scope");
  claims["target_audience"] = "https://service.example.com";
  httplib::Result res =
      PostToken({{"grant_type", kJwtBearer}, {"assertion", SignAssertion(key_file, claims)}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  Jwt jwt;
  ASSERT_TRUE(ParseJwt(json::parse(res->body, nullptr, false).value("id_token", ""), &jwt));
  EXPECT_TRUE(VerifyRs256(emulator_->id_token_public_key_pem(), jwt));
  EXPECT_EQ(jwt.claims["aud"], "https://service.example.com");
  EXPECT_EQ(jwt.claims["email"], kAppAccount);
}

TEST_F(GoogleEmulatorTest, OAuth2RejectsBadAssertions) {
  json key_file = WriteKeyFile(kAppAccount);

  // Claims changed after signing.
  std::string assertion = SignAssertion(key_file, AssertionClaims(key_file));
  std::vector<std::string> parts = absl::StrSplit(assertion, '.');
  json tampered = AssertionClaims(key_file);
  tampered["scope"] = "https://www.googleapis.com/auth/everything";
  std::string forged = parts[0] + "." + absl::WebSafeBase64Escape(tampered.dump()) + "." + parts[2];
  ExpectOAuth2Error(PostToken({{"grant_type", kJwtBearer}, {"assertion", forged}}), "invalid_grant",
                    "Invalid JWT Signature.");

  json claims = AssertionClaims(key_file);
  claims["exp"] = claims["iat"].get<int64_t>() + 7200;
  ExpectOAuth2Error(
      PostToken({{"grant_type", kJwtBearer}, {"assertion", SignAssertion(key_file, claims)}}),
      "invalid_grant", "Token must be a short-lived token (60 minutes)");
  claims["iat"] = NowSeconds() - 7200;
  claims["exp"] = NowSeconds() - 3600;
  ExpectOAuth2Error(
      PostToken({{"grant_type", kJwtBearer}, {"assertion", SignAssertion(key_file, claims)}}),
      "invalid_grant", "in a reasonable timeframe");

  claims = AssertionClaims(key_file);
  claims["aud"] = "https://example.com/token";
  ExpectOAuth2Error(
      PostToken({{"grant_type", kJwtBearer}, {"assertion", SignAssertion(key_file, claims)}}),
      "invalid_grant", "audience");

  claims = AssertionClaims(key_file);
  claims.erase("scope");
  ExpectOAuth2Error(
      PostToken({{"grant_type", kJwtBearer}, {"assertion", SignAssertion(key_file, claims)}}),
      "invalid_scope", "");

  ExpectOAuth2Error(PostToken({{"grant_type", "refresh_token"}, {"refresh_token", "x"}}),
                    "unsupported_grant_type", "Invalid grant_type: refresh_token");
  ExpectOAuth2Error(PostToken({{"grant_type", kJwtBearer}}), "invalid_request", "assertion");
  ExpectOAuth2Error(PostToken({{"grant_type", kJwtBearer}, {"assertion", "garbage"}}),
                    "invalid_grant", "");
}

// ---- Faults ----

TEST_F(GoogleEmulatorTest, StatusFaultRepliesWithGoogleErrorForCountCalls) {
  emulator_->SetFault(Endpoint::kIamGenerateIdToken, FailWith(503, 1));
  const std::string access_token = MetadataAccessToken();
  const std::string body = R"({"audience": "a"})";
  ExpectGoogleError(GenerateIdToken(access_token, kDefaultAccount, body), 503, "UNAVAILABLE");
  httplib::Result res = GenerateIdToken(access_token, kDefaultAccount, body);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);

  emulator_->SetFault(Endpoint::kMetadataIdentity, FailWith(500));
  for (int i = 0; i < 3; ++i) {
    res = GetIdentity("audience=a");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 500);
    EXPECT_EQ(res->get_header_value("Metadata-Flavor"), "Google");
  }
  emulator_->ClearFaults();
  res = GetIdentity("audience=a");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(GoogleEmulatorTest, ReplyShapingFaults) {
  const std::string access_token = MetadataAccessToken();
  const std::string body = R"({"audience": "a"})";

  emulator_->SetFault(Endpoint::kIamGenerateIdToken, Faulty(Fault::kNotAJwt, 1));
  httplib::Result res = GenerateIdToken(access_token, kDefaultAccount, body);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body, nullptr, false)["token"], "not-a-jwt");

  emulator_->SetFault(Endpoint::kIamGenerateIdToken, Faulty(Fault::kJwtWithoutExp, 1));
  res = GenerateIdToken(access_token, kDefaultAccount, body);
  ASSERT_TRUE(res);
  Jwt jwt;
  ASSERT_TRUE(ParseJwt(json::parse(res->body, nullptr, false).value("token", ""), &jwt));
  EXPECT_TRUE(VerifyRs256(emulator_->id_token_public_key_pem(), jwt));
  EXPECT_FALSE(jwt.claims.contains("exp"));
  EXPECT_TRUE(jwt.claims.contains("iat"));

  emulator_->SetFault(Endpoint::kIamGenerateIdToken, Faulty(Fault::kMalformedJson, 1));
  res = GenerateIdToken(access_token, kDefaultAccount, body);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Content-Type"), StartsWith("application/json"));
  EXPECT_TRUE(json::parse(res->body, nullptr, false).is_discarded()) << res->body;

  // A reply-shaping fault waits for a call that would succeed: this 400 leaves it.
  emulator_->SetFault(Endpoint::kIamGenerateIdToken, Faulty(Fault::kNotAJwt, 1));
  ExpectGoogleError(GenerateIdToken(access_token, kDefaultAccount, "{}"), 400, "INVALID_ARGUMENT");
  res = GenerateIdToken(access_token, kDefaultAccount, body);
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body, nullptr, false)["token"], "not-a-jwt");

  emulator_->SetFault(Endpoint::kMetadataIdentity, Faulty(Fault::kNotAJwt, 1));
  res = GetIdentity("audience=a");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_FALSE(ParseJwt(res->body, &jwt));
  emulator_->SetFault(Endpoint::kMetadataIdentity, Faulty(Fault::kJwtWithoutExp, 1));
  res = GetIdentity("audience=a");
  ASSERT_TRUE(res);
  ASSERT_TRUE(ParseJwt(res->body, &jwt));
  EXPECT_FALSE(jwt.claims.contains("exp"));

  emulator_->SetFault(Endpoint::kMetadataToken, Faulty(Fault::kMalformedJson, 1));
  res = Metadata()->Get("/computeMetadata/v1/instance/service-accounts/default/token",
                        kMetadataFlavor);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(json::parse(res->body, nullptr, false).is_discarded()) << res->body;
}

TEST_F(GoogleEmulatorTest, CloseConnectionFaultDropsTheConnectionWithoutAReply) {
  emulator_->SetFault(Endpoint::kMetadataIdentity, Faulty(Fault::kCloseConnection, 1));
  httplib::Result res = GetIdentity("audience=a");
  EXPECT_FALSE(res);
  res = GetIdentity("audience=a");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);

  const std::string access_token = MetadataAccessToken();
  emulator_->SetFault(Endpoint::kIamGenerateIdToken, Faulty(Fault::kCloseConnection, 1));
  res = GenerateIdToken(access_token, kDefaultAccount, R"({"audience": "a"})");
  EXPECT_FALSE(res);
  res = GenerateIdToken(access_token, kDefaultAccount, R"({"audience": "a"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(emulator_->CallCount(Endpoint::kIamGenerateIdToken), 2);
}

TEST_F(GoogleEmulatorTest, StallFaultDelaysThenAnswers) {
  emulator_->SetFault(Endpoint::kMetadataToken, StallFor(absl::Milliseconds(300), 1));
  absl::Time start = absl::Now();
  httplib::Result res = Metadata()->Get(
      "/computeMetadata/v1/instance/service-accounts/default/token", kMetadataFlavor);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));

  // A client with a shorter deadline sees a timeout.
  emulator_->SetFault(Endpoint::kMetadataToken, StallFor(absl::Seconds(3), 1));
  auto client = Metadata();
  client->set_read_timeout(0, 200000);
  res = client->Get("/computeMetadata/v1/instance/service-accounts/default/token", kMetadataFlavor);
  EXPECT_FALSE(res);
}

// ---- Call counts ----

TEST_F(GoogleEmulatorTest, CallCountsCountEveryCallThatReachedTheEndpoint) {
  EXPECT_EQ(emulator_->CallCount(Endpoint::kMetadataIdentity), 0);
  GetIdentity("audience=a");
  GetIdentity("");  // a 400 still reached the endpoint
  Metadata()->Get("/computeMetadata/v1/instance/service-accounts/default/identity?audience=a");
  EXPECT_EQ(emulator_->CallCount(Endpoint::kMetadataIdentity), 3);
  MetadataAccessToken();
  EXPECT_EQ(emulator_->CallCount(Endpoint::kMetadataToken), 1);
  Metadata()->Get("/computeMetadata/v1/instance/service-accounts/default/email", kMetadataFlavor);
  EXPECT_EQ(emulator_->CallCount(Endpoint::kMetadataEmail), 1);
  GenerateIdToken("", kDefaultAccount, "{}");
  EXPECT_EQ(emulator_->CallCount(Endpoint::kIamGenerateIdToken), 1);
  PostToken({{"grant_type", "x"}});
  EXPECT_EQ(emulator_->CallCount(Endpoint::kOAuth2Token), 1);

  emulator_->ResetCallCounts();
  EXPECT_EQ(emulator_->CallCount(Endpoint::kMetadataIdentity), 0);
  EXPECT_EQ(emulator_->CallCount(Endpoint::kOAuth2Token), 0);
}

TEST_F(GoogleEmulatorTest, ConcurrentCallsAreAllServedAndCounted) {
  // More clients at once than httplib's default listen backlog of 5.
  constexpr int kThreads = 16;
  constexpr int kCallsPerThread = 10;
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      auto client = Metadata();
      client->set_keep_alive(true);
      for (int i = 0; i < kCallsPerThread; ++i) {
        httplib::Result res =
            client->Get("/computeMetadata/v1/instance/service-accounts/default/identity?audience=a",
                        kMetadataFlavor);
        if (res && res->status == 200) ++successes;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(successes, kThreads * kCallsPerThread);
  // Without a wide backlog, dropped SYNs cost a one-second retransmit.
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(900));
  EXPECT_EQ(emulator_->CallCount(Endpoint::kMetadataIdentity), kThreads * kCallsPerThread);
}

// ---- Shutdown ----

TEST_F(GoogleEmulatorTest, StopReturnsPromptlyWithStalledRequestsInFlight) {
  emulator_->SetFault(Endpoint::kMetadataIdentity, StallFor(absl::Seconds(30)));
  emulator_->SetFault(Endpoint::kIamGenerateIdToken, StallFor(absl::Seconds(30)));
  std::atomic<int> answered{0};
  std::thread metadata_call([&] {
    if (GetIdentity("audience=a")) ++answered;
  });
  std::thread iam_call([&] {
    if (GenerateIdToken("x", kDefaultAccount, "{}")) ++answered;
  });
  // Wait until both calls are inside their handlers.
  for (int i = 0; i < 500 && (emulator_->CallCount(Endpoint::kMetadataIdentity) == 0 ||
                              emulator_->CallCount(Endpoint::kIamGenerateIdToken) == 0);
       ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  absl::Time start = absl::Now();
  emulator_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  metadata_call.join();
  iam_call.join();
  EXPECT_EQ(answered, 2);  // 503 from the woken handlers

  emulator_->Stop();  // idempotent
  start = absl::Now();
  emulator_.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
}

TEST_F(GoogleEmulatorTest, DestructorReturnsPromptlyWithAStalledRequestInFlight) {
  emulator_->SetFault(Endpoint::kMetadataToken, StallFor(absl::Seconds(30)));
  std::thread call([client = Metadata()] {
    client->Get("/computeMetadata/v1/instance/service-accounts/default/token", kMetadataFlavor);
  });
  for (int i = 0; i < 500 && emulator_->CallCount(Endpoint::kMetadataToken) == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  absl::Time start = absl::Now();
  emulator_.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  call.join();
}

// ---- Control API ----

TEST(GoogleEmulatorControlApiTest, ControlsFaultsCountsLifetimesAndPermissions) {
  GoogleEmulatorOptions options;
  options.enable_control_api = true;
  absl::StatusOr<std::unique_ptr<GoogleEmulator>> started = GoogleEmulator::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  GoogleEmulator& emulator = **started;
  httplib::Client client("http://" + emulator.metadata_host());
  const std::string identity =
      "/computeMetadata/v1/instance/service-accounts/default/identity?audience=a";

  // No Metadata-Flavor needed for /emulator/.
  httplib::Result res =
      client.Post("/emulator/fault?endpoint=metadata_identity&fault=status&status=502&count=1");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  res = client.Get(identity, kMetadataFlavor);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 502);
  res = client.Get(identity, kMetadataFlavor);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);

  res = client.Get("/emulator/calls");
  ASSERT_TRUE(res);
  json calls = json::parse(res->body, nullptr, false);
  EXPECT_EQ(calls["metadata_identity"], 2);
  EXPECT_EQ(calls["oauth2_token"], 0);
  res = client.Post("/emulator/reset_calls");
  ASSERT_TRUE(res);
  EXPECT_EQ(emulator.CallCount(Endpoint::kMetadataIdentity), 0);

  res = client.Post("/emulator/fault?endpoint=metadata_identity&fault=stall&stall_ms=200");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = client.Post("/emulator/clear");
  ASSERT_TRUE(res);
  absl::Time start = absl::Now();
  res = client.Get(identity, kMetadataFlavor);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(200));

  res = client.Post("/emulator/lifetime?seconds=5");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = client.Get(identity, kMetadataFlavor);
  Jwt jwt;
  ASSERT_TRUE(ParseJwt(res->body, &jwt));
  EXPECT_EQ(jwt.claims["exp"].get<int64_t>() - jwt.claims["iat"].get<int64_t>(), 5);

  res = client.Post("/emulator/service_account?email=app@p.iam.gserviceaccount.com");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body, nullptr, false)["unique_id"],
            emulator.AddServiceAccount("app@p.iam.gserviceaccount.com").unique_id);
  res = client.Post(absl::StrCat("/emulator/allow?caller=", kDefaultAccount,
                                 "&target=app@p.iam.gserviceaccount.com"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);

  for (const char* bad : {"/emulator/fault?endpoint=nope&fault=status",
                          "/emulator/fault?endpoint=oauth2_token&fault=nope",
                          "/emulator/fault?endpoint=oauth2_token&fault=status&status=abc",
                          "/emulator/lifetime?seconds=0", "/emulator/allow?caller=x"}) {
    res = client.Post(bad);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << bad;
  }
}

TEST(GoogleEmulatorControlApiTest, OffByDefault) {
  absl::StatusOr<std::unique_ptr<GoogleEmulator>> started =
      GoogleEmulator::Start(GoogleEmulatorOptions());
  ASSERT_TRUE(started.ok());
  httplib::Client client("http://" + (*started)->metadata_host());
  httplib::Result res = client.Post("/emulator/clear");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST(EndpointNameTest, RoundTrips) {
  for (Endpoint endpoint :
       {Endpoint::kMetadataIdentity, Endpoint::kMetadataToken, Endpoint::kMetadataEmail,
        Endpoint::kIamGenerateIdToken, Endpoint::kOAuth2Token}) {
    absl::StatusOr<Endpoint> parsed = ParseEndpoint(EndpointName(endpoint));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, endpoint);
  }
  EXPECT_EQ(EndpointName(Endpoint::kIamGenerateIdToken), "iam_generate_id_token");
  EXPECT_FALSE(ParseEndpoint("metadata").ok());
}

}  // namespace
}  // namespace gtoken::testing
