// Emulators of the Google endpoints gtoken talks to, written from Google's public docs:
// the GCE/GKE metadata server, IAM Credentials `generateIdToken`, the OAuth2 token
// endpoint (JWT-bearer grant for service-account keys) and the JWKS that verifies the ID
// tokens they sign. Real servers on 127.0.0.1 (port 0 unless given): the metadata server
// speaks plain HTTP as the real one does; IAM Credentials and OAuth2 speak HTTPS with a
// self-signed CA written to `ca_file()`.
//
// Used in-process by C++ tests and, through google_emulator_main.cc, as a standalone
// server for scripts (the README demo, end-to-end tests, benchmarks).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gtoken::testing {

// The endpoints whose behaviour a test can change and whose calls are counted.
enum class Endpoint {
  kMetadataIdentity,    // GET /computeMetadata/v1/instance/service-accounts/{sa}/identity
  kMetadataToken,       // GET /computeMetadata/v1/instance/service-accounts/{sa}/token
  kMetadataEmail,       // GET /computeMetadata/v1/instance/service-accounts/{sa}/email
  kIamGenerateIdToken,  // POST /v1/projects/-/serviceAccounts/{email}:generateIdToken
  kOAuth2Token,         // POST /token
};

// How an endpoint answers its next calls, instead of the normal reply.
//
// kStatus, kStall and kCloseConnection take over a call as it arrives, before the
// request is checked. kNotAJwt, kJwtWithoutExp and kMalformedJson reshape the reply of
// a call that would otherwise succeed; a call that fails (say, 401) leaves them pending.
// Access tokens are opaque, so on the metadata token endpoint and the OAuth2 scope
// grant kNotAJwt gives an access token IAM Credentials rejects and kJwtWithoutExp a
// reply without expires_in. kMalformedJson cuts the reply body in half (text replies
// too). kCloseConnection shuts the socket down from the handler: the client sees the
// connection end without a byte of reply.
enum class Fault {
  kNone,
  kStatus,          // reply `status` with Google's error body for that code
  kStall,           // wait `stall` before answering normally (a timeout for the client)
  kNotAJwt,         // 200 with a token that is not a JWT
  kJwtWithoutExp,   // 200 with a signed JWT that lacks `exp`
  kMalformedJson,   // 200 with a body that is not JSON (JSON endpoints only)
  kCloseConnection, // accept, then close without replying
};

struct FaultSpec {
  Fault fault = Fault::kNone;
  int status = 500;                       // for kStatus
  absl::Duration stall = absl::Seconds(30);  // for kStall
  int count = -1;                         // how many calls it applies to; -1: until cleared
};

struct ServiceAccount {
  std::string email;      // e.g. "app@my-project.iam.gserviceaccount.com"
  std::string unique_id;  // 21 decimal digits, Google's `sub`/`azp` for this account
};

struct GoogleEmulatorOptions {
  std::string project_id = "emulated-project";
  // The account the metadata server reports as `default`. Registered automatically.
  std::string default_service_account = "default-sa@emulated-project.iam.gserviceaccount.com";
  absl::Duration id_token_lifetime = absl::Hours(1);     // Google's: 1 h
  absl::Duration access_token_lifetime = absl::Hours(1);  // reported as expires_in 3599
  int metadata_port = 0;  // 0: any free port
  int https_port = 0;     // IAM Credentials, OAuth2 token endpoint and JWKS share it
  // Serves the control API (faults, call counts, lifetimes, token creators) under
  // /emulator/ on the metadata port, without Metadata-Flavor, for scripts that run the
  // emulator as a separate process; see google_emulator_main.cc.
  bool enable_control_api = false;
};

class GoogleEmulator {
 public:
  // Starts all servers and returns once they accept connections.
  static absl::StatusOr<std::unique_ptr<GoogleEmulator>> Start(GoogleEmulatorOptions options);
  virtual ~GoogleEmulator() = default;

  // "127.0.0.1:PORT": the value for GCE_METADATA_HOST.
  virtual std::string metadata_host() const = 0;
  // "https://127.0.0.1:PORT": base URL of IAM Credentials (paths start with /v1/...).
  virtual std::string iam_credentials_url() const = 0;
  // "https://127.0.0.1:PORT/token": the OAuth2 token endpoint, also written as token_uri
  // into service-account key files.
  virtual std::string oauth2_token_url() const = 0;
  // "https://127.0.0.1:PORT/oauth2/v3/certs": JWKS of the key that signs ID tokens.
  virtual std::string jwks_url() const = 0;
  // PEM file of the self-signed CA behind the HTTPS servers (for SSL_CERT_FILE).
  virtual std::string ca_file() const = 0;
  // The PEM public key that verifies every ID token this emulator signs.
  virtual std::string id_token_public_key_pem() const = 0;

  // Registers a service account (an email becomes a stable 21-digit unique id) and
  // returns it. Idempotent.
  virtual ServiceAccount AddServiceAccount(const std::string& email) = 0;
  // Lets the principal `caller_email` mint ID tokens for `target_email` at IAM
  // Credentials (roles/iam.serviceAccountTokenCreator). An account may always act as
  // itself. Others get 403 PERMISSION_DENIED.
  virtual void AllowTokenCreator(const std::string& caller_email,
                                 const std::string& target_email) = 0;
  // Writes a service-account key file (Google's JSON key format, a fresh RSA key that
  // the OAuth2 endpoint will accept) for `email` into `path`.
  virtual absl::Status WriteServiceAccountKeyFile(const std::string& email,
                                                  const std::string& path) = 0;

  virtual void SetFault(Endpoint endpoint, FaultSpec fault) = 0;
  virtual void ClearFaults() = 0;
  virtual void SetIdTokenLifetime(absl::Duration lifetime) = 0;
  // Calls that reached the endpoint (including failed and faulted ones).
  virtual int CallCount(Endpoint endpoint) const = 0;
  virtual void ResetCallCounts() = 0;

  virtual void Stop() = 0;
};

// Lower-case names for the control API and flags: "metadata_identity", "metadata_token",
// "metadata_email", "iam_generate_id_token", "oauth2_token".
std::string EndpointName(Endpoint endpoint);
absl::StatusOr<Endpoint> ParseEndpoint(const std::string& name);

}  // namespace gtoken::testing
