#include "google/id_token_source.h"

#include "absl/strings/str_cat.h"

namespace gtoken::google {

absl::StatusOr<IdToken> MetadataIdTokenSource::Fetch(const std::string& audience) {
  absl::StatusOr<std::string> jwt = metadata_.GetIdentityToken(audience);
  if (!jwt.ok()) return jwt.status();
  return ParseIdToken(*std::move(jwt), "metadata server");
}

absl::StatusOr<IdToken> IamIdTokenSource::Fetch(const std::string& audience) {
  if (service_account_.empty()) {
    absl::StatusOr<std::string> email = credentials_.GetEmail();
    if (!email.ok()) return email.status();
    service_account_ = *email;
  }
  absl::StatusOr<std::string> access_token = credentials_.GetAccessToken();
  if (!access_token.ok()) return access_token.status();
  absl::StatusOr<std::string> jwt =
      iam_.GenerateIdToken(*access_token, service_account_, audience, /*include_email=*/true);
  if (!jwt.ok()) return jwt.status();
  return ParseIdToken(*std::move(jwt),
                      absl::StrCat("IAM Credentials generateIdToken for ", service_account_));
}

}  // namespace gtoken::google
