#include "tests/util/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace gtoken::testing {
namespace {

std::string TmpRoot() {
  const char* t = getenv("TEST_TMPDIR");
  return t != nullptr ? t : "/tmp";
}

std::atomic<int> counter{0};

}  // namespace

std::string Runfile(const std::string& workspace_relative) {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return workspace_relative;
  return absl::StrCat(srcdir, "/", workspace != nullptr ? workspace : "gtoken", "/",
                      workspace_relative);
}

Subprocess::Subprocess(std::vector<std::string> argv, std::map<std::string, std::string> env) {
  int n = counter++;
  stdout_path_ = absl::StrCat(TmpRoot(), "/subprocess.", getpid(), ".", n, ".stdout");
  stderr_path_ = absl::StrCat(TmpRoot(), "/subprocess.", getpid(), ".", n, ".stderr");
  std::map<std::string, std::string> full_env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) full_env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (auto& [k, v] : env) full_env[k] = v;
  std::vector<std::string> env_strings;
  for (auto& [k, v] : full_env) env_strings.push_back(k + "=" + v);

  pid_ = fork();
  if (pid_ == 0) {
    int out = open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    // The child must see default signal dispositions and an empty mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<char*> args, envp;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
}

int Subprocess::Wait(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (!exited_) {
    pid_t r = waitpid(pid_, &status_, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      break;
    }
    if (absl::Now() >= deadline) return -1;
    absl::SleepFor(absl::Milliseconds(5));
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

bool Subprocess::Running() { return Wait(absl::ZeroDuration()) == -1; }

void Subprocess::Signal(int sig) {
  if (!exited_) kill(pid_, sig);
}

std::string Subprocess::Stdout() const { return ReadFileOrEmpty(stdout_path_); }
std::string Subprocess::Stderr() const { return ReadFileOrEmpty(stderr_path_); }

}  // namespace gtoken::testing
