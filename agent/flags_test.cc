#include "agent/flags.h"

#include <gtest/gtest.h>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, test_name, "", "for ParseFlags tests");
ABSL_FLAG(bool, test_switch, false, "for ParseFlags tests");
ABSL_FLAG(int, test_count, 0, "for ParseFlags tests");

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

TEST(ParseFlags, FormsOfValuesAndBooleans) {
  auto rest = ParseFlags(NormalizeFlagNames(
      {"gtoken", "--test-name=a", "--test-count", "7", "--test-switch", "pos", "--", "--x"}));
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(*rest, (std::vector<std::string>{"pos", "--x"}));
  EXPECT_EQ(absl::GetFlag(FLAGS_test_name), "a");
  EXPECT_EQ(absl::GetFlag(FLAGS_test_count), 7);
  EXPECT_TRUE(absl::GetFlag(FLAGS_test_switch));
  ASSERT_TRUE(ParseFlags({"gtoken", "--notest_switch"}).ok());
  EXPECT_FALSE(absl::GetFlag(FLAGS_test_switch));
  ASSERT_TRUE(ParseFlags({"gtoken", "--test_switch=true"}).ok());
  EXPECT_TRUE(absl::GetFlag(FLAGS_test_switch));
}

TEST(ParseFlags, ErrorsNameTheFlag) {
  EXPECT_EQ(ParseFlags({"gtoken", "--nope"}).status().message(), "unknown flag --nope (see --help)");
  EXPECT_EQ(ParseFlags(NormalizeFlagNames({"gtoken", "--no-such=1"})).status().message(),
            "unknown flag --no-such (see --help)");
  EXPECT_EQ(ParseFlags({"gtoken", "--flagfile=/etc/passwd"}).status().message(),
            "unknown flag --flagfile (see --help)");
  EXPECT_EQ(ParseFlags({"gtoken", "--test_count"}).status().message(), "--test-count needs a value");
  absl::Status bad = ParseFlags({"gtoken", "--test_count=many"}).status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message().substr(0, 14), "--test-count: ");
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
