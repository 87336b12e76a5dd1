// The GoogleEmulator behind GoogleEmulator::Start. Shared state and fault machinery live
// in google_emulator.cc, the metadata server in metadata_server.cc, IAM Credentials,
// OAuth2 and JWKS in https_server.cc. Internal to tests/emulators/google.
#pragma once

#include <httplib.h>

#include <atomic>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tests/emulators/google/crypto.h"
#include "tests/emulators/google/google_emulator.h"

namespace gtoken::testing::emulator_internal {

// Runs a bound httplib server on a thread of its own.
class ServerThread {
 public:
  ServerThread() = default;
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;
  ~ServerThread() { Stop(); }

  void Start(httplib::Server* server);
  // True once the server is in its accept loop.
  bool WaitUntilRunning(absl::Duration timeout);
  // Returns after the accept loop and every connection worker ended. Idempotent.
  void Stop();

 private:
  httplib::Server* server_ = nullptr;
  std::thread thread_;
  std::atomic<bool> finished_{false};
};

// How an endpoint words its errors: the metadata server answers in plain text, Google
// APIs with {"error":{"code","message","status"}}.
enum class ErrorStyle { kMetadataText, kGoogleApiJson };

class GoogleEmulatorImpl final : public GoogleEmulator {
 public:
  static absl::StatusOr<std::unique_ptr<GoogleEmulator>> Create(GoogleEmulatorOptions options);
  ~GoogleEmulatorImpl() override;

  std::string metadata_host() const override;
  std::string iam_credentials_url() const override;
  std::string oauth2_token_url() const override;
  std::string jwks_url() const override;
  std::string ca_file() const override { return ca_file_; }
  std::string id_token_public_key_pem() const override { return id_token_public_key_pem_; }

  ServiceAccount AddServiceAccount(const std::string& email) override;
  void AllowTokenCreator(const std::string& caller_email, const std::string& target_email) override;
  absl::Status WriteServiceAccountKeyFile(const std::string& email,
                                          const std::string& path) override;

  void SetFault(Endpoint endpoint, FaultSpec fault) override;
  void ClearFaults() override;
  void SetIdTokenLifetime(absl::Duration lifetime) override;
  int CallCount(Endpoint endpoint) const override;
  void ResetCallCounts() override;

  void Stop() override;

 private:
  // An access token this emulator issued, and the account it acts as.
  struct AccessTokenGrant {
    std::string email;
    absl::Time expiry;
  };
  // A key written by WriteServiceAccountKeyFile; it verifies the account's assertions.
  struct ServiceAccountKey {
    std::string email;
    KeyPtr key;
  };
  // Reply-shaping faults need a reply to shape, so they apply only to calls that
  // would succeed; the others take over the call as soon as it arrives.
  enum class FaultStage { kOnArrival, kOnSuccess };

  explicit GoogleEmulatorImpl(GoogleEmulatorOptions options);
  absl::Status Initialize();
  absl::Status StartServers();

  // metadata_server.cc
  void AddMetadataRoutes(httplib::Server& server);
  void HandleMetadataIdentity(const httplib::Request& request, httplib::Response& response);
  void HandleMetadataToken(const httplib::Request& request, httplib::Response& response);
  void HandleMetadataEmail(const httplib::Request& request, httplib::Response& response);
  void HandleMetadataAccountDirectory(const httplib::Request& request, httplib::Response& response);
  // Checks what every metadata request must satisfy and that the path names the
  // default account; answers the request and returns false otherwise.
  bool AcceptMetadataRequest(const httplib::Request& request, httplib::Response& response,
                             bool names_account);

  // https_server.cc
  void AddHttpsRoutes(httplib::Server& server);
  void HandleGenerateIdToken(const httplib::Request& request, httplib::Response& response);
  void HandleOAuth2Token(const httplib::Request& request, httplib::Response& response);
  void HandleJwks(const httplib::Request& request, httplib::Response& response);
  // The outcome of checking a JWT-bearer assertion: the account and claims when it
  // is valid, else the OAuth2 error to reply with.
  struct AssertionCheck {
    std::string email;
    nlohmann::json claims;
    std::string error;  // empty: valid
    std::string error_description;
  };
  AssertionCheck CheckJwtBearerAssertion(const std::string& assertion);

  // Counts the call and applies an arrival fault. Returns false when the fault has
  // answered (or dropped) the call and the handler must not go on.
  bool BeginCall(Endpoint endpoint, const httplib::Request& request, httplib::Response& response,
                 ErrorStyle style);
  // The reply-shaping fault (kNotAJwt, kJwtWithoutExp, kMalformedJson) to apply to
  // this successful reply, or kNone.
  Fault TakeSuccessFault(Endpoint endpoint);
  std::optional<FaultSpec> TakeFault(Endpoint endpoint, FaultStage stage);
  // Waits `duration` unless Stop() comes first; false if it did.
  bool SleepUnlessStopping(absl::Duration duration);

  std::optional<ServiceAccount> FindServiceAccount(const std::string& email_or_unique_id) const;
  bool MayMintFor(const std::string& caller_email, const std::string& target_email) const;
  // A fresh "ya29." access token that IAM Credentials accepts as `email`.
  std::string IssueAccessToken(const std::string& email, absl::Duration lifetime);
  // The account behind `Authorization: Bearer <token>`, if this emulator issued the
  // token and it has not expired.
  std::optional<std::string> AuthenticatedCaller(const httplib::Request& request);
  // A Google-shaped RS256 ID token for `account`.
  absl::StatusOr<std::string> MintIdToken(const ServiceAccount& account,
                                          const std::string& audience, bool include_email,
                                          bool include_exp);

  const GoogleEmulatorOptions options_;

  // Fixed once Initialize() returns.
  std::string temp_dir_;
  std::string ca_file_;
  KeyPtr id_token_key_;
  std::string id_token_key_id_;
  std::string id_token_public_key_pem_;
  std::string jwks_json_;
  int metadata_port_ = 0;
  int https_port_ = 0;

  std::unique_ptr<httplib::Server> metadata_server_;
  std::unique_ptr<httplib::Server> https_server_;
  ServerThread metadata_thread_;
  ServerThread https_thread_;

  absl::Mutex stop_mu_;  // one Stop() at a time
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration id_token_lifetime_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, ServiceAccount> accounts_ ABSL_GUARDED_BY(mu_);  // by email
  std::set<std::pair<std::string, std::string>> token_creators_
      ABSL_GUARDED_BY(mu_);                                             // (caller, target)
  std::map<std::string, ServiceAccountKey> keys_ ABSL_GUARDED_BY(mu_);  // by key id
  std::unordered_map<std::string, AccessTokenGrant> access_tokens_ ABSL_GUARDED_BY(mu_);
  size_t access_token_prune_threshold_ ABSL_GUARDED_BY(mu_) = 1024;
  std::map<Endpoint, FaultSpec> faults_ ABSL_GUARDED_BY(mu_);
  std::map<Endpoint, int> call_counts_ ABSL_GUARDED_BY(mu_);
};

// Google's error replies.
void SetGoogleApiError(httplib::Response& response, int code, const std::string& message);
void SetMetadataError(httplib::Response& response, int code, const std::string& message);
void SetOAuth2Error(httplib::Response& response, const std::string& error,
                    const std::string& description);
void SetJson(httplib::Response& response, int code, const std::string& body);
// kMalformedJson: the reply body stopped halfway, like a reply cut short.
std::string CutInHalf(const std::string& body);
// Drops the connection `request` arrived on without a reply (see kCloseConnection).
void DropConnection(const httplib::Request& request);

}  // namespace gtoken::testing::emulator_internal
