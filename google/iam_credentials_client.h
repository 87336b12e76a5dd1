// IAM Credentials `generateIdToken`:
// POST {base}/v1/projects/-/serviceAccounts/{email}:generateIdToken with a bearer access
// token, body {"audience": A, "includeEmail": true}, reply {"token": JWT}.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/http/http_client.h"

namespace gtoken::google {

inline constexpr char kIamCredentialsUrl[] = "https://iamcredentials.googleapis.com";

class IamCredentialsClient {
 public:
  IamCredentialsClient(http::HttpClient& http, std::string base_url, absl::Duration timeout)
      : http_(http), base_url_(std::move(base_url)), timeout_(timeout) {}

  // The unparsed JWT.
  absl::StatusOr<std::string> GenerateIdToken(const std::string& access_token,
                                              const std::string& service_account,
                                              const std::string& audience, bool include_email);

 private:
  http::HttpClient& http_;
  std::string base_url_;
  absl::Duration timeout_;
};

}  // namespace gtoken::google
