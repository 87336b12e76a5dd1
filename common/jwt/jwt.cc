#include "common/jwt/jwt.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace gtoken::jwt {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

absl::StatusOr<nlohmann::json> DecodeJsonPart(absl::string_view part, absl::string_view name) {
  absl::StatusOr<std::string> raw = Base64UrlDecode(part);
  if (!raw.ok()) return absl::InvalidArgumentError(absl::StrCat("JWT ", name, " is not base64url"));
  nlohmann::json j = nlohmann::json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("JWT ", name, " is not a JSON object"));
  }
  return j;
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

std::string Base64UrlEncode(absl::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(data[k]); };
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (i + 1 == data.size()) {
    uint32_t v = byte(i) << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (i + 2 == data.size()) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

absl::StatusOr<std::string> Base64UrlDecode(absl::string_view data) {
  while (!data.empty() && data.back() == '=') data.remove_suffix(1);
  if (data.size() % 4 == 1) return absl::InvalidArgumentError("bad base64url length");
  std::string out;
  out.reserve(data.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : data) {
    int v = DecodeChar(c);
    if (v < 0) return absl::InvalidArgumentError("invalid base64url character");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

absl::StatusOr<DecodedJwt> DecodeUnverified(absl::string_view token) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[2].empty()) {
    return absl::InvalidArgumentError(
        "not a JWT: expected three non-empty base64url parts separated by '.'");
  }
  DecodedJwt jwt;
  absl::StatusOr<nlohmann::json> header = DecodeJsonPart(parts[0], "header");
  if (!header.ok()) return header.status();
  absl::StatusOr<nlohmann::json> claims = DecodeJsonPart(parts[1], "claims");
  if (!claims.ok()) return claims.status();
  if (!Base64UrlDecode(parts[2]).ok()) {
    return absl::InvalidArgumentError("JWT signature is not base64url");
  }
  jwt.header = *std::move(header);
  jwt.claims = *std::move(claims);
  return jwt;
}

absl::StatusOr<TokenTimes> ReadTokenTimes(absl::string_view token) {
  absl::StatusOr<DecodedJwt> jwt = DecodeUnverified(token);
  if (!jwt.ok()) return jwt.status();
  const nlohmann::json& claims = jwt->claims;
  auto exp = claims.find("exp");
  if (exp == claims.end() || !exp->is_number()) {
    return absl::InvalidArgumentError("JWT has no numeric `exp` claim");
  }
  TokenTimes times;
  times.expire_time = absl::FromUnixSeconds(exp->get<int64_t>());
  times.issue_time = absl::InfinitePast();
  auto iat = claims.find("iat");
  if (iat != claims.end() && iat->is_number()) {
    times.issue_time = absl::FromUnixSeconds(iat->get<int64_t>());
  }
  return times;
}

absl::StatusOr<std::string> SignRs256(const nlohmann::json& claims,
                                      absl::string_view private_key_pem,
                                      absl::string_view key_id) {
  std::unique_ptr<BIO, BioDeleter> bio(
      BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError("private key is not a PEM RSA private key");
  }
  nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!key_id.empty()) header["kid"] = std::string(key_id);
  std::string signing_input =
      absl::StrCat(Base64UrlEncode(header.dump()), ".", Base64UrlEncode(claims.dump()));

  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  size_t sig_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &sig_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return absl::InternalError("RS256 signing failed");
  }
  std::string sig(sig_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return absl::InternalError("RS256 signing failed");
  }
  sig.resize(sig_len);
  return absl::StrCat(signing_input, ".", Base64UrlEncode(sig));
}

}  // namespace gtoken::jwt
