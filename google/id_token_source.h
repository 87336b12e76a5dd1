// Where an ID token for an audience comes from. The agent picks one by --source; the
// broker's upstreams reuse them.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "google/access_token_provider.h"
#include "google/iam_credentials_client.h"
#include "google/id_token.h"
#include "google/metadata_client.h"

namespace gtoken::google {

class IdTokenSource {
 public:
  virtual ~IdTokenSource() = default;
  virtual absl::StatusOr<IdToken> Fetch(const std::string& audience) = 0;
  // For logs: "metadata", "iam".
  virtual std::string name() const = 0;
};

// The metadata server's identity endpoint for its default account.
class MetadataIdTokenSource : public IdTokenSource {
 public:
  explicit MetadataIdTokenSource(MetadataClient& metadata) : metadata_(metadata) {}
  absl::StatusOr<IdToken> Fetch(const std::string& audience) override;
  std::string name() const override { return "metadata"; }

 private:
  MetadataClient& metadata_;
};

// IAM Credentials generateIdToken for `service_account` (empty: the access token's own
// account), authorized by the provider's access token. What the original gtoken did.
class IamIdTokenSource : public IdTokenSource {
 public:
  IamIdTokenSource(IamCredentialsClient& iam, AccessTokenProvider& credentials,
                   std::string service_account)
      : iam_(iam), credentials_(credentials), service_account_(std::move(service_account)) {}
  absl::StatusOr<IdToken> Fetch(const std::string& audience) override;
  std::string name() const override { return "iam"; }

 private:
  IamCredentialsClient& iam_;
  AccessTokenProvider& credentials_;
  std::string service_account_;
};

}  // namespace gtoken::google
