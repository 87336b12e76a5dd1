// Replaces a file so that a reader never sees it missing, empty or partial: the new
// content goes to a temp file in the same directory (same filesystem), is fsynced, gets
// its mode, and is renamed over the old one; then the directory is fsynced so the rename
// survives a crash. On any failure the old file stays as it was and no temp file remains.
#pragma once

#include <sys/types.h>

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace gtoken::fs {

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 mode_t mode);

}  // namespace gtoken::fs
