// The reader's side of the token file, as the AWS SDK in another container sees it: a
// separate process polls the file as fast as it can while the agent's sink replaces it
// thousands of times. Every read must be one whole token: never missing, empty or cut.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <string>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "agent/token_sink.h"
#include "common/jwt/jwt.h"
#include "tests/util/subprocess.h"

namespace gtoken {
namespace {

// A JWT-shaped token that says how long its signature is, so a cut one is detected.
std::string Version(int i) {
  int sig_len = 200 + (i * 37) % 400;
  nlohmann::json claims = {{"v", i}, {"sig_len", sig_len}, {"pad", std::string(i % 300, 'p')}};
  return absl::StrCat(jwt::Base64UrlEncode(R"({"alg":"RS256"})"), ".",
                      jwt::Base64UrlEncode(claims.dump()), ".",
                      jwt::Base64UrlEncode(std::string(sig_len, 's')));
}

bool Whole(const std::string& token) {
  auto decoded = jwt::DecodeUnverified(token);
  if (!decoded.ok() || !decoded->claims.contains("sig_len")) return false;
  auto sig = jwt::Base64UrlDecode(token.substr(token.rfind('.') + 1));
  return sig.ok() && static_cast<int>(sig->size()) == decoded->claims["sig_len"].get<int>();
}

struct ReaderReport {
  long reads = 0;
  long missing = 0;
  long empty = 0;
  long partial = 0;
};

// Child process: poll until SIGTERM, then report through the pipe.
[[noreturn]] void ReaderProcess(const std::string& path, int report_fd) {
  static volatile sig_atomic_t stop = 0;
  signal(SIGTERM, [](int) { stop = 1; });
  ReaderReport r;
  while (!stop) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      ++r.missing;
      continue;
    }
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ++r.reads;
    if (s.empty()) {
      ++r.empty;
    } else if (!Whole(s)) {
      ++r.partial;
    }
  }
  (void)!write(report_fd, &r, sizeof(r));
  _exit(0);
}

TEST(TokenFileTorture, SeparateReaderProcessNeverSeesMissingEmptyOrPartialFile) {
  std::string dir = testing::MakeTempDir("torture");
  std::string path = dir + "/gtoken";
  agent::FileTokenSink sink(path, 0644);
  ASSERT_TRUE(sink.Write(Version(0)).ok());

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t reader = fork();
  if (reader == 0) ReaderProcess(path, fds[1]);

  constexpr int kRewrites = 5000;
  for (int i = 1; i <= kRewrites; ++i) {
    ASSERT_TRUE(sink.Write(Version(i)).ok());
  }
  kill(reader, SIGTERM);
  ReaderReport report;
  ASSERT_EQ(read(fds[0], &report, sizeof(report)), static_cast<ssize_t>(sizeof(report)));
  waitpid(reader, nullptr, 0);

  std::cout << "reader process: " << report.reads << " reads during " << kRewrites
            << " rewrites; missing " << report.missing << ", empty " << report.empty
            << ", partial " << report.partial << "\n";
  EXPECT_EQ(report.missing, 0);
  EXPECT_EQ(report.empty, 0);
  EXPECT_EQ(report.partial, 0);
  EXPECT_GT(report.reads, 1000) << "the reader must have raced the writer";
  std::ifstream in(path);
  std::string last((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(last, Version(kRewrites));
  // No temp files left behind.
  testing::Subprocess ls({"/bin/ls", "-A", dir});
  ASSERT_EQ(ls.Wait(absl::Seconds(5)), 0);
  EXPECT_EQ(ls.Stdout(), "gtoken\n");
}

}  // namespace
}  // namespace gtoken
