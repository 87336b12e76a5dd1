#include "google/id_token.h"

#include "absl/strings/str_cat.h"
#include "common/jwt/jwt.h"

namespace gtoken::google {

absl::StatusOr<IdToken> ParseIdToken(std::string jwt, absl::string_view origin) {
  absl::StatusOr<jwt::TokenTimes> times = jwt::ReadTokenTimes(jwt);
  if (!times.ok()) {
    // A reply that is not a usable ID token is an upstream fault, not the caller's.
    return absl::UnavailableError(
        absl::StrCat(origin, " returned an unusable ID token: ", times.status().message()));
  }
  IdToken token;
  token.jwt = std::move(jwt);
  token.expire_time = times->expire_time;
  token.issue_time = times->issue_time;
  return token;
}

}  // namespace gtoken::google
