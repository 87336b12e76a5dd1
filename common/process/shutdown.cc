#include "common/process/shutdown.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace gtoken::process {

void StopOnSignals(absl::Notification* stop, std::atomic<bool>* cancelled, absl::Duration grace) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set, stop, cancelled, grace] {
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    log::Info("stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    cancelled->store(true);
    stop->Notify();
    absl::SleepFor(grace);
    log::Warning("exit_forced", {{"after", absl::FormatDuration(grace)}});
    _exit(0);
  }).detach();
}

}  // namespace gtoken::process
