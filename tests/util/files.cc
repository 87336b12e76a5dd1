#include "tests/util/files.h"

#include <stdlib.h>

#include <fstream>
#include <sstream>

namespace gtoken::testing {

std::string MakeTempDir(const std::string& prefix) {
  const char* root = getenv("TEST_TMPDIR");
  std::string tmpl = std::string(root != nullptr ? root : "/tmp") + "/" + prefix + ".XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) abort();
  return tmpl;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace gtoken::testing
