// Turns a non-2xx reply from a Google API into an absl::Status: the code follows the
// HTTP status (as gRPC's HTTP mapping does), the message names the API and carries
// Google's own error text (`error.message`/`error.status` for JSON APIs,
// `error`/`error_description` for OAuth2, the body for the metadata server), sanitized
// so that it can be logged.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/http/http_client.h"

namespace gtoken::google {

absl::StatusCode StatusCodeForHttp(int http_status);

absl::Status ErrorFromResponse(absl::string_view api, const http::Response& response);

// Adds which API failed to a transport error ("metadata server: cannot connect ...").
absl::Status AnnotateTransportError(absl::string_view api, const absl::Status& status);

}  // namespace gtoken::google
