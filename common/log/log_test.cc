#include "common/log/log.h"

#include <gtest/gtest.h>

namespace gtoken::log {
namespace {

TEST(FormatLine, QuotesValuesWithSpacesAndEscapesNewlines) {
  EXPECT_EQ(FormatLine("T", Level::kWarning, "fetch_failed",
                       {{"source", "metadata"}, {"error", "HTTP 500: a \"b\"\nc"}}),
            "ts=T level=warning event=fetch_failed source=metadata "
            "error=\"HTTP 500: a \\\"b\\\"\\nc\"\n");
}

TEST(FormatLine, EmptyValueIsQuoted) {
  EXPECT_EQ(FormatLine("T", Level::kInfo, "e", {{"k", ""}}), "ts=T level=info event=e k=\"\"\n");
}

TEST(Sanitize, MasksJwtsAndAccessTokens) {
  std::string jwt =
      "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwiZXhwIjoxfQ.c2lnbmF0dXJlc2lnbmF0dXJl";
  std::string out = Sanitize("bad token " + jwt + " and ya29.abc given", 500);
  EXPECT_EQ(out, "bad token [redacted] and [redacted] given");
}

TEST(Sanitize, KeepsUrls) {
  EXPECT_EQ(Sanitize("See https://developers.google.com/identity/sign-in/web/devconsole-project."),
            "See https://developers.google.com/identity/sign-in/web/devconsole-project.");
}

TEST(Sanitize, CollapsesWhitespace) {
  EXPECT_EQ(Sanitize("<html>\n    <body>\tNot Found\n</body>\n"), "<html> <body> Not Found </body>");
}

TEST(Sanitize, CutsLongText) {
  EXPECT_EQ(Sanitize(std::string(10, 'x') + " " + std::string(10, 'y'), 12), "xxxxxxxxxx y...");
}

}  // namespace
}  // namespace gtoken::log
