// Temp directories and whole-file reads for tests.
#pragma once

#include <string>

namespace gtoken::testing {

// A fresh directory under TEST_TMPDIR (or /tmp outside Bazel).
std::string MakeTempDir(const std::string& prefix);
// The file's bytes; "" when it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace gtoken::testing
