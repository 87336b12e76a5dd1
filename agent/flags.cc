#include "agent/flags.h"

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
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

absl::StatusOr<std::vector<std::string>> ParseFlags(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (!absl::StartsWith(arg, "-") || arg == "-") {
      positional.push_back(arg);
      continue;
    }
    absl::string_view body = absl::StripPrefix(absl::StripPrefix(arg, "-"), "-");
    size_t eq = body.find('=');
    std::string name(body.substr(0, eq));
    std::string shown = "--" + name;
    for (char& c : shown) c = c == '_' ? '-' : c;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    std::string value;
    if (flag == nullptr && absl::StartsWith(name, "no") && eq == absl::string_view::npos) {
      flag = absl::FindCommandLineFlag(name.substr(2));
      if (flag == nullptr || !flag->IsOfType<bool>()) flag = nullptr;
      value = "false";
    } else if (flag != nullptr && eq != absl::string_view::npos) {
      value = std::string(body.substr(eq + 1));
    } else if (flag != nullptr && flag->IsOfType<bool>()) {
      value = "true";
    } else if (flag != nullptr) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat(shown, " needs a value"));
      }
      value = args[++i];
    }
    // Only gtoken's own flags: Abseil's built-ins (--flagfile, --fromenv, ...) and flags of
    // linked libraries are not part of the CLI.
    if (flag == nullptr || !absl::StrContains(flag->Filename(), "agent/")) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", shown, " (see --help)"));
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(shown, ": ", error));
    }
  }
  return positional;
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
