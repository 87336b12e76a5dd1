#include "agent/flags.h"

#include <gtest/gtest.h>

namespace gtoken::agent {
namespace {

TEST(NormalizeFlagNames, DashesBecomeUnderscoresInNamesOnly) {
  std::vector<std::string> in = {"gtoken", "--file-mode=0600", "--sa-token-file", "/a-b/c",
                                 "-h", "-v", "--refresh=false", "--", "--not-a-flag"};
  std::vector<std::string> want = {"gtoken", "--file_mode=0600", "--sa_token_file", "/a-b/c",
                                   "--help", "--version", "--refresh=false", "--", "--not-a-flag"};
  EXPECT_EQ(NormalizeFlagNames(in), want);
}

TEST(NormalizeFlagNames, ValuesKeepTheirDashes) {
  EXPECT_EQ(NormalizeFlagNames({"g", "--audience=a-b-c"})[1], "--audience=a-b-c");
}

TEST(ParseFileMode, OctalForms) {
  EXPECT_EQ(*ParseFileMode("0644"), 0644u);
  EXPECT_EQ(*ParseFileMode("600"), 0600u);
  EXPECT_EQ(*ParseFileMode("0o440"), 0440u);
  EXPECT_FALSE(ParseFileMode("").ok());
  EXPECT_FALSE(ParseFileMode("0abc").ok());
  EXPECT_FALSE(ParseFileMode("4755").ok());
  EXPECT_EQ(ParseFileMode("rw-r--r--").status().message(),
            "--file-mode: not an octal mode: \"rw-r--r--\"");
}

}  // namespace
}  // namespace gtoken::agent
