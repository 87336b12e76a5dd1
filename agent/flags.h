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

// Sets the ABSL_FLAGs named in `args` (after NormalizeFlagNames; args[0] is the program):
// --name=value, --name value, --bool, --nobool. Returns the positional arguments, or
// INVALID_ARGUMENT naming the flag ("unknown flag --nope", "--refresh: ...").
// Done here rather than by absl::ParseCommandLine so that bad flags exit 2 with gtoken's
// own message instead of Abseil's exit 1, and Abseil's built-in flags stay hidden.
absl::StatusOr<std::vector<std::string>> ParseFlags(const std::vector<std::string>& args);

// "0644", "644", "0o600" -> the mode; rejects anything outside 0-0777.
absl::StatusOr<unsigned> ParseFileMode(absl::string_view text);

}  // namespace gtoken::agent
