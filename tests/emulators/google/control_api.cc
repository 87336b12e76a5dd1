#include "tests/emulators/google/control_api.h"

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/emulators/google/jwt.h"

namespace gtoken::testing::emulator_internal {
namespace {

void Reply(httplib::Response& response, int code, const nlohmann::json& body) {
  response.status = code;
  response.set_content(DumpJson(body) + "\n", "application/json");
}

void ReplyOk(httplib::Response& response) { Reply(response, 200, {{"ok", true}}); }

void ReplyBadRequest(httplib::Response& response, const std::string& message) {
  Reply(response, 400, {{"error", message}});
}

// An integer parameter: `fallback` when absent, nullopt when present but not a number.
std::optional<int64_t> IntParam(const httplib::Request& request, const char* name,
                                int64_t fallback) {
  if (!request.has_param(name)) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(request.get_param_value(name), &value)) return std::nullopt;
  return value;
}

void HandleFault(GoogleEmulator& emulator, const httplib::Request& request,
                 httplib::Response& response) {
  absl::StatusOr<Endpoint> endpoint = ParseEndpoint(request.get_param_value("endpoint"));
  if (!endpoint.ok()) return ReplyBadRequest(response, std::string(endpoint.status().message()));
  absl::StatusOr<Fault> fault = ParseFaultName(request.get_param_value("fault"));
  if (!fault.ok()) return ReplyBadRequest(response, std::string(fault.status().message()));
  FaultSpec spec;
  std::optional<int64_t> status = IntParam(request, "status", spec.status);
  std::optional<int64_t> stall_ms =
      IntParam(request, "stall_ms", absl::ToInt64Milliseconds(spec.stall));
  std::optional<int64_t> count = IntParam(request, "count", spec.count);
  if (!status || *status < 100 || *status > 599) {
    return ReplyBadRequest(response, "status must be an HTTP status code");
  }
  if (!stall_ms || *stall_ms < 0) {
    return ReplyBadRequest(response, "stall_ms must be a non-negative integer");
  }
  if (!count || *count < -1) return ReplyBadRequest(response, "count must be -1 or more");
  spec.fault = *fault;
  spec.status = static_cast<int>(*status);
  spec.stall = absl::Milliseconds(*stall_ms);
  spec.count = static_cast<int>(*count);
  emulator.SetFault(*endpoint, spec);
  ReplyOk(response);
}

}  // namespace

absl::StatusOr<Fault> ParseFaultName(const std::string& name) {
  if (name == "none") return Fault::kNone;
  if (name == "status") return Fault::kStatus;
  if (name == "stall") return Fault::kStall;
  if (name == "not_a_jwt") return Fault::kNotAJwt;
  if (name == "jwt_without_exp") return Fault::kJwtWithoutExp;
  if (name == "malformed_json") return Fault::kMalformedJson;
  if (name == "close") return Fault::kCloseConnection;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown fault \"", name,
      "\"; one of status, stall, not_a_jwt, jwt_without_exp, malformed_json, close, none"));
}

void AddControlApiRoutes(httplib::Server& server, GoogleEmulator& emulator) {
  // (method, path) -> handler
  using Routes = std::map<std::pair<std::string, std::string>, httplib::Server::Handler>;
  auto routes = std::make_shared<Routes>();
  auto post = [&](const std::string& path, httplib::Server::Handler handler) {
    routes->emplace(std::make_pair("POST", path), handler);
    server.Post(path, std::move(handler));
  };

  post("/emulator/fault",
       [&emulator](const httplib::Request& request, httplib::Response& response) {
         HandleFault(emulator, request, response);
       });
  post("/emulator/clear", [&emulator](const httplib::Request&, httplib::Response& response) {
    emulator.ClearFaults();
    ReplyOk(response);
  });
  post("/emulator/reset_calls", [&emulator](const httplib::Request&, httplib::Response& response) {
    emulator.ResetCallCounts();
    ReplyOk(response);
  });
  post("/emulator/lifetime",
       [&emulator](const httplib::Request& request, httplib::Response& response) {
         std::optional<int64_t> seconds = IntParam(request, "seconds", -1);
         if (!seconds || *seconds <= 0) {
           return ReplyBadRequest(response, "seconds must be a positive integer (at most 3600)");
         }
         emulator.SetIdTokenLifetime(absl::Seconds(*seconds));
         ReplyOk(response);
       });
  post("/emulator/allow",
       [&emulator](const httplib::Request& request, httplib::Response& response) {
         const std::string caller = request.get_param_value("caller");
         const std::string target = request.get_param_value("target");
         if (caller.empty() || target.empty()) {
           return ReplyBadRequest(response, "caller and target are required");
         }
         emulator.AllowTokenCreator(caller, target);
         ReplyOk(response);
       });
  post("/emulator/service_account",
       [&emulator](const httplib::Request& request, httplib::Response& response) {
         const std::string email = request.get_param_value("email");
         if (email.empty()) return ReplyBadRequest(response, "email is required");
         ServiceAccount account = emulator.AddServiceAccount(email);
         Reply(response, 200, {{"email", account.email}, {"unique_id", account.unique_id}});
       });
  server.Get("/emulator/calls", [&emulator](const httplib::Request&, httplib::Response& response) {
    nlohmann::json calls = nlohmann::json::object();
    for (Endpoint endpoint :
         {Endpoint::kMetadataIdentity, Endpoint::kMetadataToken, Endpoint::kMetadataEmail,
          Endpoint::kIamGenerateIdToken, Endpoint::kOAuth2Token}) {
      calls[EndpointName(endpoint)] = emulator.CallCount(endpoint);
    }
    Reply(response, 200, calls);
  });

  // `curl -X POST URL` sends neither Content-Length nor a chunked body, and httplib
  // answers such a POST with 400 before any route runs. A bodiless control call is
  // therefore dispatched here, ahead of httplib's body reading; with nothing to read,
  // the connection stays in step.
  server.set_pre_routing_handler(
      [routes](const httplib::Request& request, httplib::Response& response) {
        if (request.has_header("Content-Length") || request.has_header("Transfer-Encoding")) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        auto route = routes->find({request.method, request.path});
        if (route == routes->end()) return httplib::Server::HandlerResponse::Unhandled;
        route->second(request, response);
        return httplib::Server::HandlerResponse::Handled;
      });
}

}  // namespace gtoken::testing::emulator_internal
