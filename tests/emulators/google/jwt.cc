#include "tests/emulators/google/jwt.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/emulators/google/crypto.h"

namespace gtoken::testing::emulator_internal {
namespace {

std::optional<nlohmann::json> DecodeJsonObjectPart(absl::string_view part) {
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(part, &decoded)) return std::nullopt;
  nlohmann::json value = nlohmann::json::parse(decoded, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) return std::nullopt;
  return value;
}

}  // namespace

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<std::string> SignJwt(const nlohmann::json& header, const nlohmann::json& claims,
                                    EVP_PKEY* key) {
  std::string signing_input = absl::StrCat(absl::WebSafeBase64Escape(DumpJson(header)), ".",
                                           absl::WebSafeBase64Escape(DumpJson(claims)));
  absl::StatusOr<std::string> signature = SignRs256(key, signing_input);
  if (!signature.ok()) return signature.status();
  return absl::StrCat(signing_input, ".", absl::WebSafeBase64Escape(*signature));
}

std::optional<DecodedJwt> DecodeJwt(absl::string_view token) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[2].empty()) {
    return std::nullopt;
  }
  std::optional<nlohmann::json> header = DecodeJsonObjectPart(parts[0]);
  std::optional<nlohmann::json> claims = DecodeJsonObjectPart(parts[1]);
  DecodedJwt decoded;
  if (!header || !claims || !absl::WebSafeBase64Unescape(parts[2], &decoded.signature)) {
    return std::nullopt;
  }
  decoded.header = *std::move(header);
  decoded.claims = *std::move(claims);
  decoded.signing_input = absl::StrCat(parts[0], ".", parts[1]);
  return decoded;
}

}  // namespace gtoken::testing::emulator_internal
