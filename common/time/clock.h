// Time as a dependency: everything that decides "when" (token expiry, refresh-ahead,
// backoff) asks a Clock, so tests drive it with SimulatedClock instead of sleeping.
#pragma once

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace gtoken {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
  // Waits until `deadline` or until `stop` is notified, whichever comes first. Returns
  // true when stopped (the caller should wind down), false when the deadline passed.
  virtual bool SleepUntil(absl::Time deadline, const absl::Notification& stop) = 0;
};

// The wall clock; sleeps wake at once on `stop`.
class RealClock : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
  bool SleepUntil(absl::Time deadline, const absl::Notification& stop) override {
    return stop.WaitForNotificationWithDeadline(deadline);
  }
  static RealClock& Get();
};

}  // namespace gtoken
