// The agent's schedule: fetch an ID token, hand it to the sink, and fetch the next one
// ahead of expiry (a fraction of the token's own lifetime, with jitter so a node full of
// agents does not refresh in lock-step). Failures back off exponentially with jitter;
// the sink keeps the last good token meanwhile. All waiting goes through the Clock, so
// tests run hours of schedule on a SimulatedClock.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "agent/token_sink.h"
#include "common/time/clock.h"
#include "google/id_token_source.h"

namespace gtoken::agent {

struct RefreshOptions {
  std::string audience;
  // Refresh when this fraction of the lifetime is left, plus up to `jitter_fraction`
  // more (uniformly): with 0.25 and 0.1, a 1 h token is refreshed 15-21 min before expiry.
  double refresh_ahead_fraction = 0.25;
  double jitter_fraction = 0.1;
  // Never refresh more often than this, whatever the token says.
  absl::Duration min_refresh_interval = absl::Seconds(1);
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(30);
  // --refresh=false: how long to keep retrying before giving up.
  absl::Duration oneshot_retry_timeout = absl::Seconds(60);
};

// When to fetch the next token after `token` arrived at `fetched_at`; `jitter01` in [0,1).
absl::Time NextRefreshTime(const google::IdToken& token, absl::Time fetched_at, double jitter01,
                           const RefreshOptions& options);

// How long to wait after the `failures`-th consecutive failure (1-based): the base doubles
// from initial_backoff up to max_backoff, and the wait is uniform in [base/2, base).
absl::Duration BackoffDelay(int failures, double jitter01, const RefreshOptions& options);

class Refresher {
 public:
  // `random01` returns uniform numbers in [0,1); `stop` ends the loop and any wait.
  Refresher(google::IdTokenSource& source, TokenSink& sink, Clock& clock,
            std::function<double()> random01, const absl::Notification& stop,
            RefreshOptions options);

  // --refresh=false: one token written, retrying transient failures for up to
  // oneshot_retry_timeout. OK, or the last error with how long it tried; CANCELLED when
  // stopped first.
  absl::Status RunOnce();

  // --refresh=true: runs until `stop`; never gives up on errors.
  void Run();

  // Successful writes so far (for tests and metrics).
  int tokens_written() const { return tokens_written_; }

 private:
  // Fetches and writes one token; on success returns it.
  absl::StatusOr<google::IdToken> FetchAndWrite();

  google::IdTokenSource& source_;
  TokenSink& sink_;
  Clock& clock_;
  std::function<double()> random01_;
  const absl::Notification& stop_;
  RefreshOptions options_;
  int tokens_written_ = 0;
};

}  // namespace gtoken::agent
