// Where the agent puts each new token: a file written atomically, or stdout.
#pragma once

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gtoken::agent {

class TokenSink {
 public:
  virtual ~TokenSink() = default;
  virtual absl::Status Write(absl::string_view jwt) = 0;
  // For logs: the path, or "stdout".
  virtual std::string name() const = 0;
};

// The file holds exactly the JWT (no newline), as the AWS SDKs read it.
class FileTokenSink : public TokenSink {
 public:
  FileTokenSink(std::string path, mode_t mode) : path_(std::move(path)), mode_(mode) {}
  absl::Status Write(absl::string_view jwt) override;
  std::string name() const override { return path_; }

 private:
  std::string path_;
  mode_t mode_;
};

// The original gtoken's behaviour without --file: the token and a newline on stdout.
class StdoutTokenSink : public TokenSink {
 public:
  absl::Status Write(absl::string_view jwt) override;
  std::string name() const override { return "stdout"; }
};

}  // namespace gtoken::agent
