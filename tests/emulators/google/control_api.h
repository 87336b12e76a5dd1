// The emulator's HTTP control API, for scripts that run it as a separate process
// (google_emulator_main.cc). Served under /emulator/ on the metadata port, without the
// Metadata-Flavor check; every call maps onto a GoogleEmulator method:
//
//   POST /emulator/fault?endpoint=NAME&fault=KIND[&status=500][&stall_ms=N][&count=N]
//        KIND: status|stall|not_a_jwt|jwt_without_exp|malformed_json|close|none
//   POST /emulator/clear                      ClearFaults()
//   GET  /emulator/calls                      {"metadata_identity": N, ...}
//   POST /emulator/reset_calls                ResetCallCounts()
//   POST /emulator/lifetime?seconds=N         SetIdTokenLifetime()
//   POST /emulator/allow?caller=E&target=E    AllowTokenCreator()
//   POST /emulator/service_account?email=E    AddServiceAccount(), replies {"email","unique_id"}
//
// Parameters may come in the query string or a form body. Bad parameters: 400 with a
// JSON {"error": "..."} body; success: 200 with a JSON body.
#pragma once

#include <httplib.h>

#include <string>

#include "absl/status/statusor.h"
#include "tests/emulators/google/google_emulator.h"

namespace gtoken::testing::emulator_internal {

// Registers the /emulator/ routes; `emulator` must outlive `server`'s serving.
void AddControlApiRoutes(httplib::Server& server, GoogleEmulator& emulator);

// "status", "stall", ... as in the fault= parameter.
absl::StatusOr<Fault> ParseFaultName(const std::string& name);

}  // namespace gtoken::testing::emulator_internal
