// The GCE/GKE metadata server, as Google documents it: plain HTTP to
// metadata.google.internal (or GCE_METADATA_HOST), header `Metadata-Flavor: Google` on
// every request, paths under /computeMetadata/v1/instance/service-accounts/default/.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/http/http_client.h"

namespace gtoken::google {

// GCE_METADATA_HOST when set (the Google client-library convention), else
// metadata.google.internal.
std::string MetadataHostFromEnvironment();

struct AccessToken {
  std::string token;
  absl::Duration expires_in;
};

class MetadataClient {
 public:
  MetadataClient(http::HttpClient& http, std::string host, absl::Duration timeout)
      : http_(http), host_(std::move(host)), timeout_(timeout) {}

  // .../identity?audience=A&format=full: the default account's ID token (unparsed JWT).
  absl::StatusOr<std::string> GetIdentityToken(const std::string& audience);
  // .../token: an OAuth2 access token of the default account.
  absl::StatusOr<AccessToken> GetAccessToken();
  // .../email: the default account's email.
  absl::StatusOr<std::string> GetEmail();

  const std::string& host() const { return host_; }

 private:
  absl::StatusOr<std::string> Get(const std::string& path_and_query);

  http::HttpClient& http_;
  std::string host_;
  absl::Duration timeout_;
};

}  // namespace gtoken::google
