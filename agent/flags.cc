#include "agent/flags.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gtoken::agent {

std::vector<std::string> NormalizeFlagNames(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (i == 0 || only_positional) {
      out.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
    } else if (arg == "-h") {
      arg = "--help";
    } else if (arg == "-v") {
      arg = "--version";
    } else if (absl::StartsWith(arg, "-")) {
      size_t dashes = absl::StartsWith(arg, "--") ? 2 : 1;
      size_t end = arg.find('=');
      if (end == std::string::npos) end = arg.size();
      for (size_t k = dashes; k < end; ++k) {
        if (arg[k] == '-') arg[k] = '_';
      }
    }
    out.push_back(arg);
  }
  return out;
}

absl::StatusOr<unsigned> ParseFileMode(absl::string_view text) {
  absl::string_view digits = text;
  if (absl::StartsWith(digits, "0o")) digits.remove_prefix(2);
  if (digits.empty() || digits.size() > 4) {
    return absl::InvalidArgumentError(absl::StrCat("--file-mode: not an octal mode: \"", text, "\""));
  }
  unsigned mode = 0;
  for (char c : digits) {
    if (c < '0' || c > '7') {
      return absl::InvalidArgumentError(absl::StrCat("--file-mode: not an octal mode: \"", text, "\""));
    }
    mode = mode * 8 + static_cast<unsigned>(c - '0');
  }
  if (mode > 0777) {
    return absl::InvalidArgumentError(
        absl::StrCat("--file-mode: only permission bits (0-0777) are allowed: \"", text, "\""));
  }
  return mode;
}

}  // namespace gtoken::agent
