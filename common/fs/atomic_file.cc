#include "common/fs/atomic_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"

namespace gtoken::fs {
namespace {

absl::Status ErrnoStatus(absl::string_view what, const std::string& path, int err) {
  std::string message = absl::StrCat(what, " ", path, ": ", strerror(err));
  switch (err) {
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 mode_t mode) {
  if (path.empty() || path.back() == '/') {
    return absl::InvalidArgumentError(absl::StrCat("not a file path: \"", path, "\""));
  }
  const std::string dir = DirectoryOf(path);
  struct stat dir_stat;
  if (stat(dir.c_str(), &dir_stat) != 0) {
    return ErrnoStatus("cannot use directory", dir, errno);
  }
  if (!S_ISDIR(dir_stat.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("not a directory: ", dir));
  }

  // A dot-prefixed temp name: readers globbing the directory skip it, and the rename
  // target is in the same directory, so the rename is atomic.
  std::string temp = absl::StrCat(dir, "/.", BaseName(path), ".tmp.XXXXXX");
  int fd = mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot create a temp file in", dir, errno);

  auto fail = [&](absl::string_view what, int err) {
    close(fd);
    unlink(temp.c_str());
    return ErrnoStatus(what, temp, err);
  };

  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write", errno);
    }
    written += static_cast<size_t>(n);
  }
  if (fchmod(fd, mode) != 0) return fail("cannot chmod", errno);
  if (fsync(fd) != 0) return fail("cannot fsync", errno);
  if (close(fd) != 0) {
    int err = errno;
    unlink(temp.c_str());
    return ErrnoStatus("cannot close", temp, err);
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(temp.c_str());
    return ErrnoStatus(absl::StrCat("cannot rename ", temp, " to"), path, err);
  }
  // Best effort: some filesystems refuse fsync on a directory.
  int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return absl::OkStatus();
}

}  // namespace gtoken::fs
