// Compact JWS (JWT) encoding and decoding for the Google emulators: the ID tokens they
// sign and the JWT-bearer assertions the OAuth2 endpoint checks. Internal to
// tests/emulators/google.
#pragma once

#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gtoken::testing::emulator_internal {

// Serializes JSON without throwing: strings from requests may hold invalid UTF-8,
// which nlohmann::json::dump would otherwise reject with an exception.
std::string DumpJson(const nlohmann::json& value);

// header.claims.signature, each part base64url without padding, signed RS256.
absl::StatusOr<std::string> SignJwt(const nlohmann::json& header, const nlohmann::json& claims,
                                    EVP_PKEY* key);

struct DecodedJwt {
  nlohmann::json header;      // always an object
  nlohmann::json claims;      // always an object
  std::string signing_input;  // "header.claims", what the signature covers
  std::string signature;      // raw bytes
};
// Splits and decodes a compact JWS; nullopt unless it has three base64url parts whose
// first two are JSON objects. Does not check the signature.
std::optional<DecodedJwt> DecodeJwt(absl::string_view token);

}  // namespace gtoken::testing::emulator_internal
