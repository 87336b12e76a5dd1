#include "google/google_error.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace gtoken::google {

absl::StatusCode StatusCodeForHttp(int http_status) {
  switch (http_status) {
    case 400: return absl::StatusCode::kInvalidArgument;
    case 401: return absl::StatusCode::kUnauthenticated;
    case 403: return absl::StatusCode::kPermissionDenied;
    case 404: return absl::StatusCode::kNotFound;
    case 409: return absl::StatusCode::kAborted;
    case 429: return absl::StatusCode::kResourceExhausted;
    case 499: return absl::StatusCode::kCancelled;
    case 500: return absl::StatusCode::kInternal;
    case 501: return absl::StatusCode::kUnimplemented;
    case 502:
    case 503: return absl::StatusCode::kUnavailable;
    case 504: return absl::StatusCode::kDeadlineExceeded;
    default:
      if (http_status >= 500) return absl::StatusCode::kUnavailable;
      if (http_status >= 400) return absl::StatusCode::kFailedPrecondition;
      return absl::StatusCode::kUnknown;
  }
}

absl::Status ErrorFromResponse(absl::string_view api, const http::Response& response) {
  std::string detail;
  nlohmann::json j = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded() && j.is_object() && j.contains("error")) {
    const nlohmann::json& e = j["error"];
    if (e.is_object()) {
      // {"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED"}}
      if (e.contains("status") && e["status"].is_string()) {
        absl::StrAppend(&detail, e["status"].get<std::string>(), ": ");
      }
      if (e.contains("message") && e["message"].is_string()) {
        absl::StrAppend(&detail, e["message"].get<std::string>());
      }
    } else if (e.is_string()) {
      // OAuth2: {"error": "invalid_grant", "error_description": "..."}
      absl::StrAppend(&detail, e.get<std::string>());
      if (j.contains("error_description") && j["error_description"].is_string()) {
        absl::StrAppend(&detail, ": ", j["error_description"].get<std::string>());
      }
    }
  }
  if (detail.empty()) detail = response.body;
  std::string message = absl::StrCat(api, ": HTTP ", response.status);
  std::string clean = log::Sanitize(detail);
  if (!clean.empty()) absl::StrAppend(&message, ": ", clean);
  return absl::Status(StatusCodeForHttp(response.status), message);
}

absl::Status AnnotateTransportError(absl::string_view api, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(api, ": ", status.message()));
}

}  // namespace gtoken::google
