// Compact JWTs: base64url, reading claims without verifying (the agent only needs `exp`
// to schedule refreshes; the relying party verifies), and RS256 signing for the
// service-account key assertion of the OAuth2 JWT-bearer grant.
#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gtoken::jwt {

std::string Base64UrlEncode(absl::string_view data);
// Accepts input with or without '=' padding; rejects characters outside the alphabet.
absl::StatusOr<std::string> Base64UrlDecode(absl::string_view data);

struct DecodedJwt {
  nlohmann::json header;
  nlohmann::json claims;
};

// Splits and decodes a compact JWS (three base64url parts). Does NOT verify the signature.
absl::StatusOr<DecodedJwt> DecodeUnverified(absl::string_view token);

// What a refresher needs to know of an ID token. `exp` is required; `iat` is optional.
struct TokenTimes {
  absl::Time expire_time;
  absl::Time issue_time;  // absl::InfinitePast() when the token carries no `iat`
};
absl::StatusOr<TokenTimes> ReadTokenTimes(absl::string_view token);

// Signs `claims` as an RS256 compact JWS with the PEM private key (PKCS#1 or PKCS#8).
// `key_id` becomes the `kid` header when not empty.
absl::StatusOr<std::string> SignRs256(const nlohmann::json& claims, absl::string_view private_key_pem,
                                      absl::string_view key_id);

}  // namespace gtoken::jwt
