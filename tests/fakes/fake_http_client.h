// An HttpClient that records requests and answers from a queue, for the Google clients'
// unit tests (integration tests use the emulators over real sockets instead).
#pragma once

#include <deque>
#include <vector>

#include "absl/status/statusor.h"
#include "common/http/http_client.h"

namespace gtoken::testing {

class FakeHttpClient : public http::HttpClient {
 public:
  void Reply(int status, std::string body, http::Headers headers = {}) {
    http::Response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    replies_.push_back(std::move(r));
  }
  void ReplyError(absl::Status status) { replies_.push_back(std::move(status)); }

  absl::StatusOr<http::Response> Send(const http::Request& request) override {
    requests_.push_back(request);
    if (replies_.empty()) return absl::InternalError("FakeHttpClient: no reply queued");
    absl::StatusOr<http::Response> r = std::move(replies_.front());
    replies_.pop_front();
    return r;
  }

  const std::vector<http::Request>& requests() const { return requests_; }

 private:
  std::deque<absl::StatusOr<http::Response>> replies_;
  std::vector<http::Request> requests_;
};

}  // namespace gtoken::testing
