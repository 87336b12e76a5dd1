// Graceful stop on SIGTERM/SIGINT for a daemon: the first signal cancels in-flight HTTP
// exchanges and wakes every Clock wait, so the main loop returns at once; should it not
// have exited within `grace`, the process exits with status 0 anyway (Kubernetes expects
// a prompt exit on SIGTERM, and atomic writes mean an exit at any point loses nothing).
#pragma once

#include <atomic>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace gtoken::process {

// Call from main before any other thread starts: the signals are blocked in every thread
// and taken by one waiting thread. `stop` and `cancelled` must outlive the process.
void StopOnSignals(absl::Notification* stop, std::atomic<bool>* cancelled, absl::Duration grace);

}  // namespace gtoken::process
