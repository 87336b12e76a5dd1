// The GCE/GKE metadata server, as far as gtoken and Google's client libraries use it:
// the default service account's identity token, access token and email, and the
// project id. Plain HTTP, like the real one at metadata.google.internal.
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/emulators/google/control_api.h"
#include "tests/emulators/google/google_emulator_impl.h"
#include "tests/emulators/google/jwt.h"

namespace gtoken::testing::emulator_internal {
namespace {

constexpr char kServiceAccountsPath[] = "/computeMetadata/v1/instance/service-accounts/";
constexpr char kCloudPlatformScope[] = "https://www.googleapis.com/auth/cloud-platform";

void SetText(httplib::Response& response, const std::string& body) {
  response.status = 200;
  response.set_content(body, "text/plain");
}

// A stable 12-digit project number for the project id.
std::string ProjectNumberFor(const std::string& project_id) {
  std::string digest = Sha256(project_id);
  uint64_t number = 0;
  for (int i = 0; i < 8; ++i) number = (number << 8) | static_cast<unsigned char>(digest[i]);
  return std::to_string(100000000000ULL + number % 900000000000ULL);
}

}  // namespace

void GoogleEmulatorImpl::AddMetadataRoutes(httplib::Server& server) {
  // The real server marks every reply, errors included; clients check it to know they
  // talk to a metadata server and not to a captive portal.
  server.set_post_routing_handler([](const httplib::Request&, httplib::Response& response) {
    response.set_header("Metadata-Flavor", "Google");
  });
  if (options_.enable_control_api) AddControlApiRoutes(server, *this);

  const std::string accounts = kServiceAccountsPath;
  server.Get(accounts + "([^/]+)/identity",
             [this](const httplib::Request& request, httplib::Response& response) {
               HandleMetadataIdentity(request, response);
             });
  server.Get(accounts + "([^/]+)/token",
             [this](const httplib::Request& request, httplib::Response& response) {
               HandleMetadataToken(request, response);
             });
  server.Get(accounts + "([^/]+)/email",
             [this](const httplib::Request& request, httplib::Response& response) {
               HandleMetadataEmail(request, response);
             });
  server.Get(accounts + "([^/]+)/?",
             [this](const httplib::Request& request, httplib::Response& response) {
               HandleMetadataAccountDirectory(request, response);
             });
  server.Get(accounts, [this](const httplib::Request& request, httplib::Response& response) {
    if (!AcceptMetadataRequest(request, response, /*names_account=*/false)) return;
    SetText(response, absl::StrCat("default/\n", options_.default_service_account, "/\n"));
  });
  server.Get("/computeMetadata/v1/project/project-id",
             [this](const httplib::Request& request, httplib::Response& response) {
               if (!AcceptMetadataRequest(request, response, /*names_account=*/false)) return;
               SetText(response, options_.project_id);
             });
  server.Get("/computeMetadata/v1/project/numeric-project-id",
             [this](const httplib::Request& request, httplib::Response& response) {
               if (!AcceptMetadataRequest(request, response, /*names_account=*/false)) return;
               SetText(response, ProjectNumberFor(options_.project_id));
             });
  // Client libraries probe the root to detect that they run on Google Cloud.
  server.Get("/", [](const httplib::Request&, httplib::Response& response) {
    SetText(response, "computeMetadata/\n");
  });
  server.Get(".*", [this](const httplib::Request& request, httplib::Response& response) {
    if (!AcceptMetadataRequest(request, response, /*names_account=*/false)) return;
    SetMetadataError(response, 404, "");
  });
}

bool GoogleEmulatorImpl::AcceptMetadataRequest(const httplib::Request& request,
                                               httplib::Response& response, bool names_account) {
  // The header proves the request comes from code that means to ask the metadata
  // server, not from a browser or a server-side request forgery.
  if (request.get_header_value("Metadata-Flavor") != "Google") {
    SetMetadataError(response, 403,
                     absl::StrCat("Your client does not have permission to get URL ", request.path,
                                  " from this server. Missing Metadata-Flavor:Google header."));
    return false;
  }
  // A proxy forwarded the request: it did not come from the workload itself.
  if (request.has_header("X-Forwarded-For")) {
    SetMetadataError(response, 403,
                     absl::StrCat("Your client does not have permission to get URL ", request.path,
                                  " from this server. Request had an X-Forwarded-For header."));
    return false;
  }
  if (names_account) {
    const std::string account = request.matches[1];
    if (account != "default" && account != options_.default_service_account) {
      SetMetadataError(response, 404, "");
      return false;
    }
  }
  return true;
}

void GoogleEmulatorImpl::HandleMetadataIdentity(const httplib::Request& request,
                                                httplib::Response& response) {
  if (!BeginCall(Endpoint::kMetadataIdentity, request, response, ErrorStyle::kMetadataText) ||
      !AcceptMetadataRequest(request, response, /*names_account=*/true)) {
    return;
  }
  const std::string audience = request.get_param_value("audience");
  if (audience.empty()) {
    SetMetadataError(response, 400, "non-empty audience parameter required");
    return;
  }
  const std::string format =
      request.has_param("format") ? request.get_param_value("format") : "standard";
  if (format != "standard" && format != "full") {
    SetMetadataError(
        response, 400,
        absl::StrCat("invalid format \"", format, "\": must be \"standard\" or \"full\""));
    return;
  }
  std::optional<ServiceAccount> account = FindServiceAccount(options_.default_service_account);
  if (!account) {  // registered at start; only a broken invariant gets here
    SetMetadataError(response, 500, "");
    return;
  }
  // Only format=full carries the email, as on GCE.
  const bool include_email = format == "full";
  const Fault fault = TakeSuccessFault(Endpoint::kMetadataIdentity);
  if (fault == Fault::kNotAJwt) {
    SetText(response, "not-a-jwt");
    return;
  }
  absl::StatusOr<std::string> token =
      MintIdToken(*account, audience, include_email, fault != Fault::kJwtWithoutExp);
  if (!token.ok()) {
    SetMetadataError(response, 500, "");
    return;
  }
  SetText(response, fault == Fault::kMalformedJson ? CutInHalf(*token) : *token);
}

void GoogleEmulatorImpl::HandleMetadataToken(const httplib::Request& request,
                                             httplib::Response& response) {
  if (!BeginCall(Endpoint::kMetadataToken, request, response, ErrorStyle::kMetadataText) ||
      !AcceptMetadataRequest(request, response, /*names_account=*/true)) {
    return;
  }
  // `scopes` may ask for other scopes; the emulator's tokens are good for anything.
  const Fault fault = TakeSuccessFault(Endpoint::kMetadataToken);
  const absl::Duration lifetime = options_.access_token_lifetime;
  nlohmann::json reply = {{"token_type", "Bearer"}};
  // Access tokens are opaque, so "not a JWT" becomes a token IAM will not accept and
  // "without exp" a reply without expires_in.
  reply["access_token"] = fault == Fault::kNotAJwt
                              ? std::string("not-a-jwt")
                              : IssueAccessToken(options_.default_service_account, lifetime);
  if (fault != Fault::kJwtWithoutExp) {
    // Like Google, report the remaining seconds of a token just issued: one less.
    reply["expires_in"] = std::max<int64_t>(1, absl::ToInt64Seconds(lifetime) - 1);
  }
  const std::string body = DumpJson(reply);
  response.status = 200;
  response.set_content(fault == Fault::kMalformedJson ? CutInHalf(body) : body, "application/json");
}

void GoogleEmulatorImpl::HandleMetadataEmail(const httplib::Request& request,
                                             httplib::Response& response) {
  if (!BeginCall(Endpoint::kMetadataEmail, request, response, ErrorStyle::kMetadataText) ||
      !AcceptMetadataRequest(request, response, /*names_account=*/true)) {
    return;
  }
  const Fault fault = TakeSuccessFault(Endpoint::kMetadataEmail);
  const std::string& email = options_.default_service_account;
  SetText(response, fault == Fault::kMalformedJson ? CutInHalf(email) : email);
}

void GoogleEmulatorImpl::HandleMetadataAccountDirectory(const httplib::Request& request,
                                                        httplib::Response& response) {
  if (!AcceptMetadataRequest(request, response, /*names_account=*/true)) return;
  // google-auth reads the account's email and scopes this way.
  if (request.get_param_value("recursive") == "true") {
    nlohmann::json info = {{"aliases", nlohmann::json::array({"default"})},
                           {"email", options_.default_service_account},
                           {"scopes", nlohmann::json::array({kCloudPlatformScope})}};
    response.status = 200;
    response.set_content(DumpJson(info), "application/json");
    return;
  }
  SetText(response, "aliases\nemail\nidentity\nscopes\ntoken\n");
}

}  // namespace gtoken::testing::emulator_internal
