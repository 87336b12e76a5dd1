#include "google/access_token_provider.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/jwt/jwt.h"
#include "google/google_error.h"

namespace gtoken::google {
namespace {

constexpr char kOAuth2Api[] = "OAuth2 token endpoint";
constexpr char kCloudPlatformScope[] = "https://www.googleapis.com/auth/cloud-platform";
constexpr char kJwtBearerGrant[] = "urn:ietf:params:oauth:grant-type:jwt-bearer";
// Google accepts assertions valid for at most an hour.
constexpr absl::Duration kAssertionLifetime = absl::Hours(1);

}  // namespace

absl::StatusOr<std::string> MetadataAccessTokenProvider::GetAccessToken() {
  absl::MutexLock lock(&mu_);
  if (clock_.Now() < valid_until_) return token_;
  absl::StatusOr<AccessToken> token = metadata_.GetAccessToken();
  if (!token.ok()) return token.status();
  token_ = token->token;
  valid_until_ = clock_.Now() + token->expires_in - kAccessTokenEarlyExpiry;
  return token_;
}

absl::StatusOr<ServiceAccountKey> LoadServiceAccountKey(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read service-account key file ", path, ": ", strerror(errno)));
  }
  std::stringstream contents;
  contents << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(contents.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::FailedPreconditionError(
        absl::StrCat("service-account key file ", path, " is not JSON"));
  }
  auto field = [&](const char* name) -> std::string {
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
  };
  if (field("type") != "service_account") {
    return absl::FailedPreconditionError(absl::StrCat(
        "key file ", path, " is not a service-account key (\"type\": \"service_account\")"));
  }
  ServiceAccountKey key{field("client_email"), field("private_key_id"), field("private_key"),
                        field("token_uri")};
  for (const auto& [name, value] : {std::pair<const char*, const std::string&>{"client_email", key.client_email},
                                    {"private_key", key.private_key}}) {
    if (value.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("service-account key file ", path, " has no \"", name, "\""));
    }
  }
  if (key.token_uri.empty()) key.token_uri = "https://oauth2.googleapis.com/token";
  return key;
}

ServiceAccountKeyAccessTokenProvider::ServiceAccountKeyAccessTokenProvider(
    http::HttpClient& http, Clock& clock, ServiceAccountKey key, std::string token_url,
    absl::Duration timeout)
    : http_(http),
      clock_(clock),
      key_(std::move(key)),
      token_url_(token_url.empty() ? key_.token_uri : std::move(token_url)),
      timeout_(timeout) {}

absl::StatusOr<std::string> ServiceAccountKeyAccessTokenProvider::GetAccessToken() {
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_.Now();
  if (now < valid_until_) return token_;

  nlohmann::json claims = {
      {"iss", key_.client_email},
      {"scope", kCloudPlatformScope},
      {"aud", token_url_},
      {"iat", absl::ToUnixSeconds(now)},
      {"exp", absl::ToUnixSeconds(now + kAssertionLifetime)},
  };
  absl::StatusOr<std::string> assertion = jwt::SignRs256(claims, key_.private_key, key_.private_key_id);
  if (!assertion.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot sign with the key of ", key_.client_email, ": ",
                     assertion.status().message()));
  }
  http::Request request;
  request.method = "POST";
  request.url = token_url_;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  request.body = http::FormEncode({{"grant_type", kJwtBearerGrant}, {"assertion", *assertion}});
  request.timeout = timeout_;
  absl::StatusOr<http::Response> response = http_.Send(request);
  if (!response.ok()) return AnnotateTransportError(kOAuth2Api, response.status());
  if (response->status != 200) return ErrorFromResponse(kOAuth2Api, *response);
  nlohmann::json j = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("access_token") ||
      !j["access_token"].is_string()) {
    return absl::UnavailableError(
        absl::StrCat(kOAuth2Api, " returned a malformed reply (want JSON with access_token)"));
  }
  absl::Duration expires_in = absl::Hours(1);
  if (j.contains("expires_in") && j["expires_in"].is_number()) {
    expires_in = absl::Seconds(j["expires_in"].get<int64_t>());
  }
  token_ = j["access_token"].get<std::string>();
  valid_until_ = now + expires_in - kAccessTokenEarlyExpiry;
  return token_;
}

}  // namespace gtoken::google
