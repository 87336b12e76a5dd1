// Where an OAuth2 access token for calling Google APIs comes from: the metadata server's
// default account, or a service-account key file (GOOGLE_APPLICATION_CREDENTIALS)
// exchanged at the OAuth2 token endpoint with the JWT-bearer grant. Both cache the token
// until shortly before it expires.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/http/http_client.h"
#include "common/time/clock.h"
#include "google/metadata_client.h"

namespace gtoken::google {

class AccessTokenProvider {
 public:
  virtual ~AccessTokenProvider() = default;
  virtual absl::StatusOr<std::string> GetAccessToken() = 0;
  // The account these access tokens act as.
  virtual absl::StatusOr<std::string> GetEmail() = 0;
};

// A cached token is reused until this long before its expiry.
inline constexpr absl::Duration kAccessTokenEarlyExpiry = absl::Minutes(1);

class MetadataAccessTokenProvider : public AccessTokenProvider {
 public:
  MetadataAccessTokenProvider(MetadataClient& metadata, Clock& clock)
      : metadata_(metadata), clock_(clock) {}
  absl::StatusOr<std::string> GetAccessToken() override;
  absl::StatusOr<std::string> GetEmail() override { return metadata_.GetEmail(); }

 private:
  MetadataClient& metadata_;
  Clock& clock_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time valid_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// The fields of Google's JSON service-account key that the JWT-bearer grant needs.
struct ServiceAccountKey {
  std::string client_email;
  std::string private_key_id;
  std::string private_key;  // PEM
  std::string token_uri;
};

// Reads and checks a key file; errors name the file and the problem (never the key).
absl::StatusOr<ServiceAccountKey> LoadServiceAccountKey(const std::string& path);

class ServiceAccountKeyAccessTokenProvider : public AccessTokenProvider {
 public:
  // `token_url` overrides the key's token_uri when not empty.
  ServiceAccountKeyAccessTokenProvider(http::HttpClient& http, Clock& clock, ServiceAccountKey key,
                                       std::string token_url, absl::Duration timeout);
  absl::StatusOr<std::string> GetAccessToken() override;
  absl::StatusOr<std::string> GetEmail() override { return key_.client_email; }

 private:
  http::HttpClient& http_;
  Clock& clock_;
  ServiceAccountKey key_;
  std::string token_url_;
  absl::Duration timeout_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time valid_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace gtoken::google
