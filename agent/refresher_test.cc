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

class RefresherTest : public ::testing::Test {
 protected:
  RefresherTest() : clock_(kT0), source_(clock_) {}

  // Ends the loop once the source has been asked `n` times.
  void StopAfterFetches(int n) {
    source_.OnFetch([this, n](int fetches) {
      if (fetches == n) stop_.Notify();
    });
  }

  Refresher Make(double jitter, RefreshOptions options = Options()) {
    return Refresher(source_, sink_, clock_, [jitter] { return jitter; }, stop_, options);
  }

  SimulatedClock clock_;
  FakeIdTokenSource source_;
  RecordingSink sink_;
  absl::Notification stop_;
};

TEST_F(RefresherTest, RefreshesAheadOfEachExpiryForHours) {
  StopAfterFetches(10);
  Refresher refresher = Make(0.5);
  refresher.Run();
  EXPECT_EQ(source_.fetches(), 10);
  EXPECT_EQ(sink_.writes.size(), 10u);
  EXPECT_EQ(refresher.tokens_written(), 10);
  // Each token lives 1 h; each wait is 42 min, so every file was replaced 18 min early.
  EXPECT_THAT(clock_.sleeps(), ::testing::Each(absl::Minutes(42)));
  EXPECT_EQ(clock_.sleeps().size(), 9u);
  EXPECT_THAT(source_.audiences(), ::testing::Each(std::string("aud-1")));
}

TEST_F(RefresherTest, ShortLifetimesRefreshFractionally) {
  // JWT times are whole seconds: 8 s tokens refreshed 2 s early stay on whole seconds.
  source_.set_lifetime(absl::Seconds(8));
  StopAfterFetches(3);
  Make(0.0).Run();
  EXPECT_THAT(clock_.sleeps(), ::testing::ElementsAre(absl::Seconds(6), absl::Seconds(6)));
}

TEST_F(RefresherTest, BacksOffOnFailuresKeepsOldTokenAndRecovers) {
  source_.Script({absl::OkStatus(), absl::UnavailableError("503"), absl::UnavailableError("503"),
                  absl::DeadlineExceededError("timeout"), absl::OkStatus()});
  StopAfterFetches(5);
  Make(0.0).Run();
  // One good token, three failures (0.5 s, 1 s, 2 s waits), then a good one.
  EXPECT_THAT(clock_.sleeps(), ::testing::ElementsAre(absl::Minutes(45), absl::Milliseconds(500),
                                                      absl::Seconds(1), absl::Seconds(2)));
  ASSERT_EQ(sink_.writes.size(), 2u);
}

TEST_F(RefresherTest, NeverGivesUpInRefreshMode) {
  source_.Script(std::deque<absl::Status>(200, absl::PermissionDeniedError("IAM says no")));
  StopAfterFetches(201);
  Make(1.0).Run();
  EXPECT_EQ(source_.fetches(), 201);
  EXPECT_EQ(sink_.writes.size(), 1u);
  // Capped: no wait longer than max_backoff.
  for (absl::Duration d : clock_.sleeps()) EXPECT_LE(d, absl::Seconds(30));
  EXPECT_GT(clock_.Now() - kT0, absl::Minutes(90));  // kept going well past any token's life
}

TEST_F(RefresherTest, SinkFailureIsRetriedLikeAFetchFailure) {
  sink_.fail_with_ = absl::PermissionDeniedError("cannot create a temp file in /ro");
  source_.OnFetch([&](int n) {
    if (n == 2) sink_.fail_with_ = absl::OkStatus();
    if (n == 3) stop_.Notify();
  });
  RefreshOptions o = Options();
  o.initial_backoff = absl::Seconds(2);  // first wait 1 s: the next token's iat is whole
  Make(0.0, o).Run();
  EXPECT_THAT(clock_.sleeps(), ::testing::ElementsAre(absl::Seconds(1), absl::Minutes(45)));
  EXPECT_EQ(sink_.writes.size(), 2u);
}

TEST_F(RefresherTest, RejectsAlreadyExpiredToken) {
  source_.set_lifetime(absl::Seconds(-5));
  RefreshOptions o = Options();
  o.oneshot_retry_timeout = absl::Seconds(3);
  absl::Status s = Make(0.0, o).RunOnce();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("returned a token that expired at"));
  EXPECT_TRUE(sink_.writes.empty());
}

TEST_F(RefresherTest, RunOnceWritesOnceAndReturns) {
  EXPECT_TRUE(Make(0.0).RunOnce().ok());
  EXPECT_EQ(sink_.writes.size(), 1u);
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST_F(RefresherTest, RunOnceRetriesTransientFailuresThenSucceeds) {
  source_.Script({absl::UnavailableError("metadata server: HTTP 500"), absl::OkStatus()});
  EXPECT_TRUE(Make(0.0).RunOnce().ok());
  EXPECT_EQ(source_.fetches(), 2);
}

TEST_F(RefresherTest, RunOnceGivesUpAfterRetryTimeoutWithLastError) {
  source_.Script(std::deque<absl::Status>(100, absl::UnavailableError("metadata server: HTTP 500")));
  RefreshOptions o = Options();
  o.oneshot_retry_timeout = absl::Seconds(60);
  absl::Status s = Make(0.0, o).RunOnce();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()),
              ::testing::MatchesRegex("gave up after [0-9]+ attempts in 1m: metadata server: HTTP 500"));
  EXPECT_LE(clock_.Now() - kT0, absl::Seconds(60));
  EXPECT_GT(clock_.Now() - kT0, absl::Seconds(30));
  EXPECT_TRUE(sink_.writes.empty());
}

TEST_F(RefresherTest, RunOnceStopDuringBackoffReturnsCancelled) {
  source_.Script({absl::UnavailableError("down")});
  StopAfterFetches(1);
  EXPECT_EQ(Make(0.0).RunOnce().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(source_.fetches(), 1);
}

}  // namespace
}  // namespace gtoken::agent
