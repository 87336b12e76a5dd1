// The HTTPS side: IAM Credentials generateIdToken, the OAuth2 token endpoint's
// JWT-bearer grant (how a service-account key becomes an access token) and the JWKS of
// the key that signs ID tokens.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/emulators/google/google_emulator_impl.h"
#include "tests/emulators/google/jwt.h"

namespace gtoken::testing::emulator_internal {
namespace {

constexpr char kJwtBearerGrant[] = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr char kInvalidSignature[] = "Invalid JWT Signature.";
constexpr char kBadTimeframe[] =
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
    "timeframe. Check your iat and exp values in the JWT claim.";
constexpr int64_t kMaxAssertionLifetimeSeconds = 60 * 60;
constexpr int64_t kClockSkewSeconds = 5 * 60;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string FormDecode(absl::string_view text) {
  std::string decoded;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      decoded += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && HexDigit(text[i + 1]) >= 0 &&
               HexDigit(text[i + 2]) >= 0) {
      decoded += static_cast<char>(HexDigit(text[i + 1]) * 16 + HexDigit(text[i + 2]));
      i += 2;
    } else {
      decoded += text[i];
    }
  }
  return decoded;
}

// The fields of an application/x-www-form-urlencoded body; none for other bodies, so
// a JSON body meets the same "missing grant_type" reply as at Google.
std::map<std::string, std::string> ParseFormBody(const httplib::Request& request) {
  std::map<std::string, std::string> fields;
  std::string content_type = absl::AsciiStrToLower(request.get_header_value("Content-Type"));
  if (!absl::StartsWith(content_type, "application/x-www-form-urlencoded")) return fields;
  for (absl::string_view pair : absl::StrSplit(request.body, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> field =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    fields.emplace(FormDecode(field.first), FormDecode(field.second));
  }
  return fields;
}

std::string FieldOrEmpty(const std::map<std::string, std::string>& fields,
                         const std::string& name) {
  auto it = fields.find(name);
  return it == fields.end() ? "" : it->second;
}

// A string claim, or "" when absent or not a string.
std::string StringClaim(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// A NumericDate claim (integer or fractional seconds).
std::optional<int64_t> TimeClaim(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  return static_cast<int64_t>(it->get<double>());
}


}  // namespace

void GoogleEmulatorImpl::AddHttpsRoutes(httplib::Server& server) {
  // The name is projects/-/serviceAccounts/{EMAIL_OR_UNIQUE_ID} followed by the custom
  // method; httplib matches the decoded path, so an escaped "@" arrives as "@".
  server.Post(R"(/v1/projects/([^/]+)/serviceAccounts/([^/]+):generateIdToken)",
              [this](const httplib::Request& request, httplib::Response& response) {
                HandleGenerateIdToken(request, response);
              });
  server.Post("/token", [this](const httplib::Request& request, httplib::Response& response) {
    HandleOAuth2Token(request, response);
  });
  server.Get("/oauth2/v3/certs",
             [this](const httplib::Request& request, httplib::Response& response) {
               HandleJwks(request, response);
             });
}

void GoogleEmulatorImpl::HandleGenerateIdToken(const httplib::Request& request,
                                               httplib::Response& response) {
  if (!BeginCall(Endpoint::kIamGenerateIdToken, request, response, ErrorStyle::kGoogleApiJson)) {
    return;
  }
  std::optional<std::string> caller = AuthenticatedCaller(request);
  if (!caller) {
    SetGoogleApiError(response, 401, "");
    return;
  }
  if (request.matches[1] != "-") {
    SetGoogleApiError(response, 400,
                      "Invalid resource name: the project must be the wildcard \"-\".");
    return;
  }

  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    SetGoogleApiError(response, 400, "Invalid JSON payload received. Unexpected token.");
    return;
  }
  std::string audience;
  bool include_email = false;
  for (const auto& [name, value] : body.items()) {
    // Google's JSON mapping accepts the proto field names too, and null for a default.
    const bool known = name == "audience" || name == "includeEmail" || name == "include_email" ||
                       name == "delegates";
    if (!known) {
      SetGoogleApiError(response, 400,
                        absl::StrCat("Invalid JSON payload received. Unknown name \"", name,
                                     "\": Cannot find field."));
      return;
    }
    if (value.is_null()) continue;
    if (name == "audience") {
      if (!value.is_string()) {
        SetGoogleApiError(
            response, 400,
            absl::StrCat("Invalid value at 'audience' (TYPE_STRING), ", DumpJson(value)));
        return;
      }
      audience = value.get<std::string>();
    } else if (name == "delegates") {
      if (!value.is_array() || !value.empty()) {
        SetGoogleApiError(response, 400, "Delegation chains are not emulated.");
        return;
      }
    } else {
      if (!value.is_boolean()) {
        SetGoogleApiError(
            response, 400,
            absl::StrCat("Invalid value at 'include_email' (TYPE_BOOL), ", DumpJson(value)));
        return;
      }
      include_email = value.get<bool>();
    }
  }
  if (audience.empty()) {
    SetGoogleApiError(response, 400, "Invalid value for audience: it must not be empty.");
    return;
  }
  const std::string target_name = request.matches[2];
  std::optional<ServiceAccount> target = FindServiceAccount(target_name);
  if (!target) {
    SetGoogleApiError(response, 404,
                      absl::StrCat("Not found; Gaia id not found for email ", target_name));
    return;
  }
  if (!MayMintFor(*caller, target->email)) {
    SetGoogleApiError(response, 403,
                      "Permission 'iam.serviceAccounts.getOpenIdToken' denied on resource "
                      "(or it may not exist).");
    return;
  }

  const Fault fault = TakeSuccessFault(Endpoint::kIamGenerateIdToken);
  std::string token = "not-a-jwt";
  if (fault != Fault::kNotAJwt) {
    absl::StatusOr<std::string> minted =
        MintIdToken(*target, audience, include_email, fault != Fault::kJwtWithoutExp);
    if (!minted.ok()) {
      SetGoogleApiError(response, 500, "");
      return;
    }
    token = *minted;
  }
  const std::string reply = DumpJson({{"token", token}});
  SetJson(response, 200, fault == Fault::kMalformedJson ? CutInHalf(reply) : reply);
}

GoogleEmulatorImpl::AssertionCheck GoogleEmulatorImpl::CheckJwtBearerAssertion(
    const std::string& assertion) {
  AssertionCheck check;
  auto fail = [&check](const std::string& description) {
    check.error = "invalid_grant";
    check.error_description = description;
    return check;
  };
  std::optional<DecodedJwt> jwt = DecodeJwt(assertion);
  if (!jwt) return fail("Invalid JWT: the assertion is not a signed JWT.");
  if (StringClaim(jwt->header, "alg") != "RS256") return fail(kInvalidSignature);

  const std::string issuer = StringClaim(jwt->claims, "iss");
  if (!FindServiceAccount(issuer)) return fail("Invalid grant: account not found");
  // The key that signed: the one named by `kid`, or any key of the account when the
  // header names none.
  std::vector<KeyPtr> candidate_keys;
  const bool names_key = jwt->header.contains("kid");
  const std::string key_id = StringClaim(jwt->header, "kid");
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, key] : keys_) {
      if (key.email == issuer && (!names_key || id == key_id)) candidate_keys.push_back(key.key);
    }
  }
  bool verified = false;
  for (const KeyPtr& key : candidate_keys) {
    verified = verified || VerifyRs256(key.get(), jwt->signing_input, jwt->signature);
  }
  if (!verified) return fail(kInvalidSignature);

  // The token URL a client read from the key file, or Google's own, which clients
  // that hard-code the audience send.
  const std::string audience = StringClaim(jwt->claims, "aud");
  if (audience != oauth2_token_url() && audience != "https://oauth2.googleapis.com/token" &&
      audience != "https://accounts.google.com/o/oauth2/token") {
    return fail(absl::StrCat("Invalid JWT: Failed audience check. The right audience is ",
                             oauth2_token_url()));
  }
  std::optional<int64_t> issued_at = TimeClaim(jwt->claims, "iat");
  std::optional<int64_t> expires_at = TimeClaim(jwt->claims, "exp");
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  if (!issued_at || !expires_at || *expires_at <= *issued_at ||
      *expires_at - *issued_at > kMaxAssertionLifetimeSeconds ||
      *issued_at > now + kClockSkewSeconds || *expires_at < now - kClockSkewSeconds) {
    return fail(kBadTimeframe);
  }
  check.email = issuer;
  check.claims = std::move(jwt->claims);
  return check;
}

void GoogleEmulatorImpl::HandleOAuth2Token(const httplib::Request& request,
                                           httplib::Response& response) {
  if (!BeginCall(Endpoint::kOAuth2Token, request, response, ErrorStyle::kGoogleApiJson)) return;
  const std::map<std::string, std::string> form = ParseFormBody(request);
  const std::string grant_type = FieldOrEmpty(form, "grant_type");
  if (grant_type != kJwtBearerGrant) {
    SetOAuth2Error(response, "unsupported_grant_type",
                   absl::StrCat("Invalid grant_type: ", grant_type));
    return;
  }
  const std::string assertion = FieldOrEmpty(form, "assertion");
  if (assertion.empty()) {
    SetOAuth2Error(response, "invalid_request", "Missing required parameter: assertion");
    return;
  }
  AssertionCheck check = CheckJwtBearerAssertion(assertion);
  if (!check.error.empty()) {
    SetOAuth2Error(response, check.error, check.error_description);
    return;
  }

  // `scope` asks for an access token; `target_audience` for an ID token, which is how
  // Google's client libraries get ID tokens from a key file.
  const std::string scope = StringClaim(check.claims, "scope");
  const std::string target_audience = StringClaim(check.claims, "target_audience");
  if (scope.empty() && target_audience.empty()) {
    SetOAuth2Error(response, "invalid_scope", "Invalid OAuth scope or ID token audience provided.");
    return;
  }
  const Fault fault = TakeSuccessFault(Endpoint::kOAuth2Token);
  nlohmann::json reply;
  if (!scope.empty()) {
    const absl::Duration lifetime = options_.access_token_lifetime;
    reply["token_type"] = "Bearer";
    // As at the metadata server: an opaque token IAM refuses, or no expires_in.
    reply["access_token"] = fault == Fault::kNotAJwt ? std::string("not-a-jwt")
                                                     : IssueAccessToken(check.email, lifetime);
    if (fault != Fault::kJwtWithoutExp) {
      reply["expires_in"] = std::max<int64_t>(1, absl::ToInt64Seconds(lifetime) - 1);
    }
  } else {
    std::optional<ServiceAccount> account = FindServiceAccount(check.email);
    absl::StatusOr<std::string> token =
        account ? MintIdToken(*account, target_audience, /*include_email=*/true,
                              fault != Fault::kJwtWithoutExp)
                : absl::StatusOr<std::string>(absl::NotFoundError(check.email));
    if (!token.ok()) {
      SetGoogleApiError(response, 500, "");
      return;
    }
    reply["id_token"] = fault == Fault::kNotAJwt ? std::string("not-a-jwt") : *token;
  }
  const std::string body = DumpJson(reply);
  SetJson(response, 200, fault == Fault::kMalformedJson ? CutInHalf(body) : body);
}

void GoogleEmulatorImpl::HandleJwks(const httplib::Request&, httplib::Response& response) {
  response.set_header("Cache-Control", "public, max-age=3600");
  SetJson(response, 200, jwks_json_);
}

}  // namespace gtoken::testing::emulator_internal
