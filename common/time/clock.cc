#include "common/time/clock.h"

namespace gtoken {

RealClock& RealClock::Get() {
  static RealClock* clock = new RealClock();
  return *clock;
}

}  // namespace gtoken
