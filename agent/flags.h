// Command-line handling shared by gtoken's front end: the contract spells flags with
// dashes (--file-mode, --sa-token-file) while Abseil names them with underscores, and the
// original gtoken CLI took -h and -v.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gtoken::agent {

// "--file-mode=0600" -> "--file_mode=0600"; "-h" -> "--help"; "-v" -> "--version".
// Values and positional arguments are left alone.
std::vector<std::string> NormalizeFlagNames(const std::vector<std::string>& args);

// "0644", "644", "0o600" -> the mode; rejects anything outside 0-0777.
absl::StatusOr<unsigned> ParseFileMode(absl::string_view text);

}  // namespace gtoken::agent
