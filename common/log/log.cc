#include "common/log/log.h"

#include <atomic>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace gtoken::log {
namespace {

std::atomic<Level> min_level{Level::kInfo};

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarning: return "warning";
    case Level::kError: return "error";
  }
  return "info";
}

bool NeedsQuotes(absl::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return false;
}

void AppendValue(std::string* out, absl::string_view v) {
  if (!NeedsQuotes(v)) {
    out->append(v.data(), v.size());
    return;
  }
  out->push_back('"');
  for (char c : v) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out->append("?");
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

bool IsTokenChar(char c) {
  // base64url and OAuth2 token alphabets; '/' splits URLs into short harmless words.
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

}  // namespace

void SetMinLevel(Level level) { min_level.store(level); }

std::string FormatLine(absl::string_view timestamp, Level level, absl::string_view event,
                       std::initializer_list<Field> fields) {
  std::string line = absl::StrCat("ts=", timestamp, " level=", LevelName(level), " event=");
  AppendValue(&line, event);
  for (const Field& f : fields) {
    absl::StrAppend(&line, " ", f.first, "=");
    AppendValue(&line, f.second);
  }
  line.push_back('\n');
  return line;
}

void Event(Level level, absl::string_view event, std::initializer_list<Field> fields) {
  if (level < min_level.load()) return;
  std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  std::string line = FormatLine(ts, level, event, fields);
  // One write per line keeps lines whole when several threads log.
  fwrite(line.data(), 1, line.size(), stderr);
  fflush(stderr);
}

std::string Sanitize(absl::string_view text, size_t max_len) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (absl::ascii_isspace(static_cast<unsigned char>(text[i]))) {
      // Runs of whitespace (an HTML error page's indentation) become one space.
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
      ++i;
      continue;
    }
    if (!IsTokenChar(text[i])) {
      out.push_back(text[i]);
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && IsTokenChar(text[j])) ++j;
    absl::string_view word = text.substr(i, j - i);
    bool jwt_like = word.size() > 40 && absl::StartsWith(word, "eyJ");
    bool access_token_like = absl::StartsWith(word, "ya29.");
    bool long_opaque = word.size() >= 64;
    out.append(jwt_like || access_token_like || long_opaque ? "[redacted]" : std::string(word));
    i = j;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > max_len) {
    out.resize(max_len);
    out.append("...");
  }
  return out;
}

}  // namespace gtoken::log
