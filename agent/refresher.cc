#include "agent/refresher.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace gtoken::agent {
namespace {

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string Short(absl::Duration d) {
  return absl::FormatDuration(absl::Trunc(d, absl::Milliseconds(1)));
}

}  // namespace

absl::Time NextRefreshTime(const google::IdToken& token, absl::Time fetched_at, double jitter01,
                           const RefreshOptions& options) {
  // The token's own lifetime: from `iat` when it is plausible, else from when it arrived.
  absl::Time start = token.issue_time;
  if (start == absl::InfinitePast() || start > token.expire_time) start = fetched_at;
  absl::Duration lifetime = std::max(token.expire_time - start, absl::ZeroDuration());
  double ahead = options.refresh_ahead_fraction + jitter01 * options.jitter_fraction;
  absl::Time at = token.expire_time - lifetime * ahead;
  return std::max(at, fetched_at + options.min_refresh_interval);
}

absl::Duration BackoffDelay(int failures, double jitter01, const RefreshOptions& options) {
  absl::Duration base = options.initial_backoff;
  for (int i = 1; i < failures && base < options.max_backoff; ++i) base *= 2;
  base = std::min(base, options.max_backoff);
  return base / 2 + (base / 2) * jitter01;
}

Refresher::Refresher(google::IdTokenSource& source, TokenSink& sink, Clock& clock,
                     std::function<double()> random01, const absl::Notification& stop,
                     RefreshOptions options)
    : source_(source),
      sink_(sink),
      clock_(clock),
      random01_(std::move(random01)),
      stop_(stop),
      options_(std::move(options)) {}

absl::StatusOr<google::IdToken> Refresher::FetchAndWrite() {
  absl::StatusOr<google::IdToken> token = source_.Fetch(options_.audience);
  if (!token.ok()) return token.status();
  absl::Time now = clock_.Now();
  if (token->expire_time <= now) {
    return absl::UnavailableError(absl::StrCat(source_.name(), " returned a token that expired at ",
                                               Rfc3339(token->expire_time)));
  }
  absl::Status written = sink_.Write(token->jwt);
  if (!written.ok()) return written;
  ++tokens_written_;
  return token;
}

absl::Status Refresher::RunOnce() {
  absl::Time give_up_at = clock_.Now() + options_.oneshot_retry_timeout;
  int failures = 0;
  while (true) {
    if (stop_.HasBeenNotified()) return absl::CancelledError("stopped before a token was written");
    absl::StatusOr<google::IdToken> token = FetchAndWrite();
    if (token.ok()) {
      log::Info("token_written", {{"source", source_.name()},
                                  {"sink", sink_.name()},
                                  {"expires_at", Rfc3339(token->expire_time)}});
      return absl::OkStatus();
    }
    ++failures;
    absl::Duration wait = BackoffDelay(failures, random01_(), options_);
    absl::Time retry_at = clock_.Now() + wait;
    if (retry_at > give_up_at) {
      return absl::Status(
          token.status().code(),
          absl::StrCat("gave up after ", failures, " attempt", failures == 1 ? "" : "s", " in ",
                       Short(options_.oneshot_retry_timeout), ": ",
                       token.status().message()));
    }
    log::Warning("fetch_failed", {{"source", source_.name()},
                                  {"attempt", absl::StrCat(failures)},
                                  {"retry_in", Short(wait)},
                                  {"error", std::string(token.status().message())}});
    if (clock_.SleepUntil(retry_at, stop_)) {
      return absl::CancelledError("stopped before a token was written");
    }
  }
}

void Refresher::Run() {
  int failures = 0;
  absl::Time current_expiry = absl::InfinitePast();
  bool expiry_reported = false;
  while (!stop_.HasBeenNotified()) {
    absl::StatusOr<google::IdToken> token = FetchAndWrite();
    absl::Time now = clock_.Now();
    absl::Time next;
    if (token.ok()) {
      failures = 0;
      expiry_reported = false;
      current_expiry = token->expire_time;
      next = NextRefreshTime(*token, now, random01_(), options_);
      log::Info("token_written", {{"source", source_.name()},
                                  {"sink", sink_.name()},
                                  {"expires_at", Rfc3339(token->expire_time)},
                                  {"next_refresh", Rfc3339(next)}});
    } else {
      ++failures;
      absl::Duration wait = BackoffDelay(failures, random01_(), options_);
      next = now + wait;
      const bool still_valid = now < current_expiry;
      log::Warning("fetch_failed",
                   {{"source", source_.name()},
                    {"attempt", absl::StrCat(failures)},
                    {"retry_in", Short(wait)},
                    {"kept_token", still_valid ? absl::StrCat("valid until ", Rfc3339(current_expiry))
                                               : std::string("none valid")},
                    {"error", std::string(token.status().message())}});
      if (!still_valid && current_expiry != absl::InfinitePast() && !expiry_reported) {
        log::Error("token_expired", {{"sink", sink_.name()},
                                     {"expired_at", Rfc3339(current_expiry)}});
        expiry_reported = true;
      }
    }
    if (clock_.SleepUntil(next, stop_)) break;
  }
}

}  // namespace gtoken::agent
