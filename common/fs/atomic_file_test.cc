#include "common/fs/atomic_file.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/util/files.h"

namespace gtoken::fs {
namespace {

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("atomic_file_test"); }

  std::string Read(const std::string& path) { return testing::ReadFileOrEmpty(path); }

  std::vector<std::string> List() {
    std::vector<std::string> names;
    DIR* d = opendir(dir_.c_str());
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
    return names;
  }

  std::string dir_;
};

TEST_F(AtomicFileTest, WritesExactContentAndMode) {
  std::string path = dir_ + "/token";
  ASSERT_TRUE(WriteFileAtomically(path, "abc.def.ghi", 0640).ok());
  EXPECT_EQ(Read(path), "abc.def.ghi");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640);
  EXPECT_EQ(List(), std::vector<std::string>{"token"});
}

TEST_F(AtomicFileTest, ReplacesExistingFile) {
  std::string path = dir_ + "/token";
  ASSERT_TRUE(WriteFileAtomically(path, "first", 0644).ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second", 0644).ok());
  EXPECT_EQ(Read(path), "second");
  EXPECT_EQ(List().size(), 1u);
}

TEST_F(AtomicFileTest, MissingDirectoryIsNotFoundAndNamesIt) {
  absl::Status s = WriteFileAtomically(dir_ + "/nope/token", "x", 0644);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find(dir_ + "/nope"), std::string::npos) << s;
}

TEST_F(AtomicFileTest, UnwritableDirectoryKeepsOldFileAndLeavesNoTemp) {
  if (geteuid() == 0) {
    // root ignores directory permissions; a read-only bind or /proc stands in.
    absl::Status s = WriteFileAtomically("/proc/gtoken-test-token", "x", 0644);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("/proc"), std::string::npos) << s;
    return;
  }
  std::string path = dir_ + "/token";
  ASSERT_TRUE(WriteFileAtomically(path, "old", 0644).ok());
  ASSERT_EQ(chmod(dir_.c_str(), 0555), 0);
  absl::Status s = WriteFileAtomically(path, "new", 0644);
  chmod(dir_.c_str(), 0755);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(Read(path), "old");
  EXPECT_EQ(List(), std::vector<std::string>{"token"});
}

TEST_F(AtomicFileTest, PathThatIsADirectoryFailsAndLeavesNoTemp) {
  ASSERT_EQ(mkdir((dir_ + "/sub").c_str(), 0755), 0);
  absl::Status s = WriteFileAtomically(dir_ + "/sub", "x", 0644);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(List(), std::vector<std::string>{"sub"});
}

// The reader's view across many rewrites: every read is one whole version, never missing,
// empty or cut.
TEST_F(AtomicFileTest, ConcurrentReaderNeverSeesMissingEmptyOrPartialFile) {
  std::string path = dir_ + "/token";
  // Each version states its own length, so a cut one is told apart from a whole one.
  auto version = [](int i) {
    std::string body(1000 + (i % 7) * 300, 'a' + i % 26);
    return std::to_string(body.size()) + ":" + body;
  };
  ASSERT_TRUE(WriteFileAtomically(path, version(0), 0644).ok());
  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        ++bad;
        continue;
      }
      std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      ++reads;
      size_t colon = s.find(':');
      bool whole = colon != std::string::npos && colon > 0 &&
                   s.size() == colon + 1 + std::stoul(s.substr(0, colon));
      if (!whole) ++bad;
    }
  });
  for (int i = 1; i <= 3000; ++i) ASSERT_TRUE(WriteFileAtomically(path, version(i), 0644).ok());
  done = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 100);
}

}  // namespace
}  // namespace gtoken::fs
