// An IdTokenSource that replays a script of results and mints unsigned JWTs whose
// iat/exp follow a Clock, for refresh-schedule tests.
#pragma once

#include <deque>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/jwt/jwt.h"
#include "common/time/clock.h"
#include "google/id_token_source.h"

namespace gtoken::testing {

// A syntactically valid JWT (the signature is not real) with the given times.
inline std::string MakeJwt(absl::Time iat, absl::Time exp, const std::string& aud = "aud") {
  nlohmann::json claims = {{"iss", "https://accounts.google.com"},
                           {"aud", aud},
                           {"iat", absl::ToUnixSeconds(iat)},
                           {"exp", absl::ToUnixSeconds(exp)}};
  return absl::StrCat(jwt::Base64UrlEncode(R"({"alg":"RS256","typ":"JWT"})"), ".",
                      jwt::Base64UrlEncode(claims.dump()), ".", jwt::Base64UrlEncode("sig"));
}

class FakeIdTokenSource : public google::IdTokenSource {
 public:
  explicit FakeIdTokenSource(Clock& clock, absl::Duration lifetime = absl::Hours(1))
      : clock_(clock), lifetime_(lifetime) {}

  // Results to hand out first, in order; once empty, every fetch succeeds.
  void Script(std::deque<absl::Status> results) { script_ = std::move(results); }
  void set_lifetime(absl::Duration d) { lifetime_ = d; }
  // Called after every fetch with the fetch count (1-based): lets a test stop the loop.
  void OnFetch(std::function<void(int)> hook) { hook_ = std::move(hook); }

  absl::StatusOr<google::IdToken> Fetch(const std::string& audience) override {
    ++fetches_;
    audiences_.push_back(audience);
    absl::Status next = absl::OkStatus();
    if (!script_.empty()) {
      next = script_.front();
      script_.pop_front();
    }
    if (hook_) hook_(fetches_);
    if (!next.ok()) return next;
    absl::Time now = clock_.Now();
    return google::ParseIdToken(MakeJwt(now, now + lifetime_, audience), "fake");
  }
  std::string name() const override { return "fake"; }

  int fetches() const { return fetches_; }
  const std::vector<std::string>& audiences() const { return audiences_; }

 private:
  Clock& clock_;
  absl::Duration lifetime_;
  std::deque<absl::Status> script_;
  std::function<void(int)> hook_;
  int fetches_ = 0;
  std::vector<std::string> audiences_;
};

}  // namespace gtoken::testing
