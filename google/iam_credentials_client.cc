#include "google/iam_credentials_client.h"

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/google_error.h"

namespace gtoken::google {

absl::StatusOr<std::string> IamCredentialsClient::GenerateIdToken(
    const std::string& access_token, const std::string& service_account,
    const std::string& audience, bool include_email) {
  const std::string api = absl::StrCat("IAM Credentials generateIdToken for ", service_account);
  std::string base = base_url_;
  while (absl::EndsWith(base, "/")) base.pop_back();
  http::Request request;
  request.method = "POST";
  request.url = absl::StrCat(base, "/v1/projects/-/serviceAccounts/",
                             http::UrlEncode(service_account), ":generateIdToken");
  request.headers = {{"Authorization", absl::StrCat("Bearer ", access_token)},
                     {"Content-Type", "application/json"}};
  request.body = nlohmann::json{{"audience", audience}, {"includeEmail", include_email}}.dump();
  request.timeout = timeout_;
  absl::StatusOr<http::Response> response = http_.Send(request);
  if (!response.ok()) return AnnotateTransportError(api, response.status());
  if (response->status != 200) return ErrorFromResponse(api, *response);
  nlohmann::json j = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("token") || !j["token"].is_string()) {
    return absl::UnavailableError(
        absl::StrCat(api, " returned a malformed reply (want JSON with \"token\")"));
  }
  return j["token"].get<std::string>();
}

}  // namespace gtoken::google
