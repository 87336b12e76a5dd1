#include "google/metadata_client.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/google_error.h"

namespace gtoken::google {
namespace {
constexpr char kApi[] = "metadata server";
constexpr char kServiceAccountPath[] = "/computeMetadata/v1/instance/service-accounts/default/";
}  // namespace

std::string MetadataHostFromEnvironment() {
  const char* host = std::getenv("GCE_METADATA_HOST");
  if (host != nullptr && *host != '\0') return host;
  return "metadata.google.internal";
}

absl::StatusOr<std::string> MetadataClient::Get(const std::string& path_and_query) {
  http::Request request;
  request.url = absl::StrCat("http://", host_, path_and_query);
  request.headers = {{"Metadata-Flavor", "Google"}};
  request.timeout = timeout_;
  const std::string api =
      absl::StrCat(kApi, " ", host_, " GET ", path_and_query.substr(0, path_and_query.find('?')));
  absl::StatusOr<http::Response> response = http_.Send(request);
  if (!response.ok()) return AnnotateTransportError(api, response.status());
  if (response->status != 200) return ErrorFromResponse(api, *response);
  return std::move(response->body);
}

absl::StatusOr<std::string> MetadataClient::GetIdentityToken(const std::string& audience) {
  absl::StatusOr<std::string> body =
      Get(absl::StrCat(kServiceAccountPath, "identity?audience=", http::UrlEncode(audience),
                       "&format=full"));
  if (!body.ok()) return body.status();
  return std::string(absl::StripAsciiWhitespace(*body));
}

absl::StatusOr<AccessToken> MetadataClient::GetAccessToken() {
  absl::StatusOr<std::string> body = Get(absl::StrCat(kServiceAccountPath, "token"));
  if (!body.ok()) return body.status();
  nlohmann::json j = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("access_token") ||
      !j["access_token"].is_string() || !j.contains("expires_in") ||
      !j["expires_in"].is_number()) {
    return absl::UnavailableError(absl::StrCat(
        kApi, " returned a malformed access token reply (want JSON with access_token and "
              "expires_in)"));
  }
  return AccessToken{j["access_token"].get<std::string>(),
                     absl::Seconds(j["expires_in"].get<int64_t>())};
}

absl::StatusOr<std::string> MetadataClient::GetEmail() {
  absl::StatusOr<std::string> body = Get(absl::StrCat(kServiceAccountPath, "email"));
  if (!body.ok()) return body.status();
  std::string email(absl::StripAsciiWhitespace(*body));
  if (email.empty() || email.find('@') == std::string::npos) {
    return absl::UnavailableError(absl::StrCat(kApi, " returned no service-account email"));
  }
  return email;
}

}  // namespace gtoken::google
