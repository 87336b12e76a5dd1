// A Clock for single-threaded tests: SleepUntil jumps simulated time to the deadline at
// once and records the sleep, so a refresh loop runs hours of schedule in microseconds.
#pragma once

#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/time/clock.h"

namespace gtoken {

class SimulatedClock : public Clock {
 public:
  explicit SimulatedClock(absl::Time start = absl::FromUnixSeconds(1'800'000'000))
      : now_(start) {}

  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }

  bool SleepUntil(absl::Time deadline, const absl::Notification& stop) override {
    if (stop.HasBeenNotified()) return true;
    absl::MutexLock lock(&mu_);
    sleeps_.push_back(deadline - now_);
    if (deadline > now_) now_ = deadline;
    return false;
  }

  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

  // How long each SleepUntil call asked to sleep, in order.
  std::vector<absl::Duration> sleeps() {
    absl::MutexLock lock(&mu_);
    return sleeps_;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Duration> sleeps_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gtoken
