#include "agent/token_sink.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/fs/atomic_file.h"

namespace gtoken::agent {

absl::Status FileTokenSink::Write(absl::string_view jwt) {
  return fs::WriteFileAtomically(path_, jwt, mode_);
}

absl::Status StdoutTokenSink::Write(absl::string_view jwt) {
  std::string line = absl::StrCat(jwt, "\n");
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = write(STDOUT_FILENO, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("cannot write to stdout: ", strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace gtoken::agent
