// A Google-signed OIDC ID token as gtoken handles it: the compact JWT exactly as Google
// issued it, plus the times read from its claims.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace gtoken::google {

struct IdToken {
  std::string jwt;
  absl::Time expire_time;
  absl::Time issue_time;  // absl::InfinitePast() when the token has no `iat`
};

// Checks that `jwt` is a JWT with an `exp` claim; `origin` names where it came from for
// the error message ("metadata server returned a token that is not a JWT: ...").
absl::StatusOr<IdToken> ParseIdToken(std::string jwt, absl::string_view origin);

}  // namespace gtoken::google
