// Runs a real binary as a child process for integration tests: argv, extra environment,
// stdout/stderr captured to files, signals, and waits bounded by a timeout.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/util/files.h"

namespace gtoken::testing {

class Subprocess {
 public:
  // Starts `argv` with the test's environment plus `env` (which overrides). Output goes
  // to files under TEST_TMPDIR.
  Subprocess(std::vector<std::string> argv, std::map<std::string, std::string> env = {});
  ~Subprocess();  // kills the child if it still runs

  // Exit code (or 128+signal); -1 when it had not exited within `timeout`.
  int Wait(absl::Duration timeout);
  void Signal(int sig);
  bool Running();
  pid_t pid() const { return pid_; }

  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  bool exited_ = false;
  std::string stdout_path_, stderr_path_;
};

// The path of a data dependency, e.g. Runfile("agent/gtoken").
std::string Runfile(const std::string& workspace_relative);

}  // namespace gtoken::testing
