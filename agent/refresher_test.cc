// The refresh schedule on a simulated clock: hours of refreshes, failures and backoff
// run in microseconds, and every wait the loop asked for is checked.
#include "agent/refresher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/time/simulated_clock.h"
#include "tests/fakes/fake_id_token_source.h"

namespace gtoken::agent {
namespace {

using ::gtoken::testing::FakeIdTokenSource;
using ::gtoken::testing::MakeJwt;

class RecordingSink : public TokenSink {
 public:
  absl::Status Write(absl::string_view jwt) override {
    if (!fail_with_.ok()) return fail_with_;
    writes.emplace_back(jwt);
    return absl::OkStatus();
  }
  std::string name() const override { return "recording"; }
  std::vector<std::string> writes;
  absl::Status fail_with_;
};

google::IdToken Token(absl::Time iat, absl::Time exp) {
  return *google::ParseIdToken(MakeJwt(iat, exp), "test");
}

RefreshOptions Options() {
  RefreshOptions o;
  o.audience = "aud-1";
  return o;
}

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(NextRefreshTime, FractionOfLifetimeAheadOfExpiryWithJitter) {
  google::IdToken t = Token(kT0, kT0 + absl::Hours(1));
  // 25% .. 35% of the hour before expiry.
  EXPECT_EQ(NextRefreshTime(t, kT0, 0.0, Options()), kT0 + absl::Minutes(45));
  EXPECT_EQ(NextRefreshTime(t, kT0, 0.5, Options()), kT0 + absl::Minutes(42));
  EXPECT_EQ(NextRefreshTime(t, kT0, 1.0, Options()), kT0 + absl::Minutes(39));
}

TEST(NextRefreshTime, UsesArrivalTimeWhenTokenHasNoIat) {
  google::IdToken t = Token(kT0, kT0 + absl::Hours(1));
  t.issue_time = absl::InfinitePast();
  // Arrived 20 min after issue: lifetime as seen is 40 min, refresh 10 min before expiry.
  EXPECT_EQ(NextRefreshTime(t, kT0 + absl::Minutes(20), 0.0, Options()), kT0 + absl::Minutes(50));
}

TEST(NextRefreshTime, NeverSoonerThanMinInterval) {
  google::IdToken t = Token(kT0, kT0 + absl::Seconds(1));  // would be 0.65 s
  EXPECT_EQ(NextRefreshTime(t, kT0, 1.0, Options()), kT0 + absl::Seconds(1));
  google::IdToken expired = Token(kT0 - absl::Hours(2), kT0 - absl::Hours(1));
  EXPECT_EQ(NextRefreshTime(expired, kT0, 0.0, Options()), kT0 + absl::Seconds(1));
}

TEST(BackoffDelay, DoublesToTheCapWithJitterInLowerHalf) {
  RefreshOptions o = Options();
  EXPECT_EQ(BackoffDelay(1, 0.0, o), absl::Milliseconds(500));
  EXPECT_EQ(BackoffDelay(1, 1.0, o), absl::Seconds(1));
  EXPECT_EQ(BackoffDelay(2, 0.0, o), absl::Seconds(1));
  EXPECT_EQ(BackoffDelay(3, 0.0, o), absl::Seconds(2));
  EXPECT_EQ(BackoffDelay(6, 0.0, o), absl::Seconds(15));  // base 32 s capped at 30 s
  EXPECT_EQ(BackoffDelay(1000, 0.99, o), absl::Seconds(15) + absl::Seconds(15) * 0.99);
}

TEST(Refresher, RefreshesAheadOfEachExpiryForHours) {
  SimulatedClock clock(kT0);
  FakeIdTokenSource source(clock, absl::Hours(1));
  RecordingSink sink;
  absl::Notification stop;
  source.OnFetch([&](int n) {
    if (n == 10) stop.Notify();
  });
  Refresher refresher(source, sink, clock, [] { return 0.5; }, stop, Options());
  refresher.Run();
  EXPECT_EQ(source.fetches(), 10);
  EXPECT_EQ(sink.writes.size(), 10u);
  EXPECT_EQ(refresher.tokens_written(), 10);
  // Each token lives 1 h; each wait is 42 min, so every file was replaced 18 min early.
  EXPECT_THAT(clock.sleeps(), ::testing::Each(absl::Minutes(42)));
  EXPECT_EQ(clock.sleeps().size(), 9u);
  EXPECT_THAT(source.audiences(), ::testing::Each(std::string("aud-1")));
}

TEST(Refresher, ShortLifetimesRefreshFractionally) {
  SimulatedClock clock(kT0);
  // JWT times are whole seconds: 8 s tokens refreshed 2 s early stay on whole seconds.
  FakeIdTokenSource source(clock, absl::Seconds(8));
  RecordingSink sink;
  absl::Notification stop;
  source.OnFetch([&](int n) {
    if (n == 3) stop.Notify();
  });
  Refresher refresher(source, sink, clock, [] { return 0.0; }, stop, Options());
  refresher.Run();
  EXPECT_THAT(clock.sleeps(), ::testing::ElementsAre(absl::Seconds(6), absl::Seconds(6)));
}

TEST(Refresher, BacksOffOnFailuresKeepsOldTokenAndRecovers) {
  SimulatedClock clock(kT0);
  FakeIdTokenSource source(clock, absl::Hours(1));
  RecordingSink sink;
  absl::Notification stop;
  source.Script({absl::OkStatus(), absl::UnavailableError("503"), absl::UnavailableError("503"),
                 absl::DeadlineExceededError("timeout"), absl::OkStatus()});
  source.OnFetch([&](int n) {
    if (n == 5) stop.Notify();
  });
  Refresher refresher(source, sink, clock, [] { return 0.0; }, stop, Options());
  refresher.Run();
  // One good token, three failures (0.5 s, 1 s, 2 s waits), then a good one.
  EXPECT_THAT(clock.sleeps(), ::testing::ElementsAre(absl::Minutes(45), absl::Milliseconds(500),
                                                     absl::Seconds(1), absl::Seconds(2)));
  ASSERT_EQ(sink.writes.size(), 2u);
}

TEST(Refresher, NeverGivesUpInRefreshMode) {
  SimulatedClock clock(kT0);
  FakeIdTokenSource source(clock);
  RecordingSink sink;
  absl::Notification stop;
  std::deque<absl::Status> failures(200, absl::PermissionDeniedError("IAM says no"));
  source.Script(failures);
  source.OnFetch([&](int n) {
    if (n == 201) stop.Notify();
  });
  Refresher refresher(source, sink, clock, [] { return 1.0; }, stop, Options());
  refresher.Run();
  EXPECT_EQ(source.fetches(), 201);
  EXPECT_EQ(sink.writes.size(), 1u);
  // Capped: no wait longer than max_backoff.
  for (absl::Duration d : clock.sleeps()) EXPECT_LE(d, absl::Seconds(30));
  EXPECT_GT(clock.Now() - kT0, absl::Minutes(90));  // kept going well past any token's life
}

TEST(Refresher, SinkFailureIsRetriedLikeAFetchFailure) {
  SimulatedClock clock(kT0);
  FakeIdTokenSource source(clock);
  RecordingSink sink;
  sink.fail_with_ = absl::PermissionDeniedError("cannot create a temp file in /ro");
  absl::Notification stop;
  source.OnFetch([&](int n) {
    if (n == 2) sink.fail_with_ = absl::OkStatus();
    if (n == 3) stop.Notify();
  });
  RefreshOptions o = Options();
  o.initial_backoff = absl::Seconds(2);  // first wait 1 s: the next token's iat is whole
  Refresher refresher(source, sink, clock, [] { return 0.0; }, stop, o);
  refresher.Run();
  EXPECT_THAT(clock.sleeps(), ::testing::ElementsAre(absl::Seconds(1), absl::Minutes(45)));
  EXPECT_EQ(sink.writes.size(), 2u);
}

TEST(Refresher, RejectsAlreadyExpiredToken) {
  SimulatedClock clock(kT0);
  FakeIdTokenSource source(clock, absl::Seconds(-5));
  RecordingSink sink;
  absl::Notification stop;
  RefreshOptions o = Options();
  o.oneshot_retry_timeout = absl::Seconds(3);
  Refresher refresher(source, sink, clock, [] { return 0.0; }, stop, o);
  absl::Status s = refresher.RunOnce();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("returned a token that expired at"));
  EXPECT_TRUE(sink.writes.empty());
}

TEST(RunOnce, WritesOnceAndReturns) {
  SimulatedClock clock(kT0);
  FakeIdTokenSource source(clock);
  RecordingSink sink;
  absl::Notification stop;
  Refresher refresher(source, sink, clock, [] { return 0.0; }, stop, Options());
  EXPECT_TRUE(refresher.RunOnce().ok());
  EXPECT_EQ(sink.writes.size(), 1u);
  EXPECT_TRUE(clock.sleeps().empty());
}

TEST(RunOnce, RetriesTransientFailuresThenSucceeds) {
  SimulatedClock clock(kT0);
  FakeIdTokenSource source(clock);
  RecordingSink sink;
  absl::Notification stop;
  source.Script({absl::UnavailableError("metadata server: HTTP 500"), absl::OkStatus()});
  Refresher refresher(source, sink, clock, [] { return 0.0; }, stop, Options());
  EXPECT_TRUE(refresher.RunOnce().ok());
  EXPECT_EQ(source.fetches(), 2);
}

TEST(RunOnce, GivesUpAfterRetryTimeoutWithLastError) {
  SimulatedClock clock(kT0);
  FakeIdTokenSource source(clock);
  RecordingSink sink;
  absl::Notification stop;
  source.Script(std::deque<absl::Status>(100, absl::UnavailableError("metadata server: HTTP 500")));
  RefreshOptions o = Options();
  o.oneshot_retry_timeout = absl::Seconds(60);
  Refresher refresher(source, sink, clock, [] { return 0.0; }, stop, o);
  absl::Status s = refresher.RunOnce();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()),
              ::testing::MatchesRegex("gave up after [0-9]+ attempts in 1m: metadata server: HTTP 500"));
  EXPECT_LE(clock.Now() - kT0, absl::Seconds(60));
  EXPECT_GT(clock.Now() - kT0, absl::Seconds(30));
  EXPECT_TRUE(sink.writes.empty());
}

TEST(RunOnce, StopDuringBackoffReturnsCancelled) {
  SimulatedClock clock(kT0);
  FakeIdTokenSource source(clock);
  RecordingSink sink;
  absl::Notification stop;
  source.Script({absl::UnavailableError("down")});
  source.OnFetch([&](int) { stop.Notify(); });
  Refresher refresher(source, sink, clock, [] { return 0.0; }, stop, Options());
  EXPECT_EQ(refresher.RunOnce().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(source.fetches(), 1);
}

}  // namespace
}  // namespace gtoken::agent
