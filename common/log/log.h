// One line per event on stderr, logfmt: `ts=... level=info event=token_written path=...`.
// Callers pass only what is safe to print: never a token, key or assertion. Values that a
// remote party chose (error bodies) go through Sanitize first.
#pragma once

#include <initializer_list>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>

namespace gtoken::log {

enum class Level { kDebug, kInfo, kWarning, kError };

using Field = std::pair<absl::string_view, std::string>;

void Event(Level level, absl::string_view event, std::initializer_list<Field> fields = {});
inline void Info(absl::string_view event, std::initializer_list<Field> fields = {}) {
  Event(Level::kInfo, event, fields);
}
inline void Warning(absl::string_view event, std::initializer_list<Field> fields = {}) {
  Event(Level::kWarning, event, fields);
}
inline void Error(absl::string_view event, std::initializer_list<Field> fields = {}) {
  Event(Level::kError, event, fields);
}

// Messages below this level are dropped. Default kInfo.
void SetMinLevel(Level level);

// The text of one log line for the given event (exposed for tests).
std::string FormatLine(absl::string_view timestamp, Level level, absl::string_view event,
                       std::initializer_list<Field> fields);

// Masks anything in `text` that looks like a JWT or an OAuth2 access token, and cuts it
// to `max_len`, so an upstream error body can be quoted in a log or a status message.
std::string Sanitize(absl::string_view text, size_t max_len = 200);

}  // namespace gtoken::log
