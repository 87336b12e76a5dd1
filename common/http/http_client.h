// A small HTTP/1.1 client for the agent's few REST calls (metadata server, IAM
// Credentials, OAuth2). Written on OpenSSL directly instead of cpp-httplib because
// Debian ships cpp-httplib only as a shared library, and the agent is a static binary.
// One request per connection (`Connection: close`), TLS 1.2+ with certificate and host
// name verification, a deadline on the whole exchange, and cancellation within ~50 ms
// so SIGTERM never waits on a slow upstream.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace gtoken::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string url;  // http://host[:port]/path?query or https://...
  Headers headers;
  std::string body;
  absl::Duration timeout = absl::Seconds(10);
};

struct Response {
  int status = 0;
  Headers headers;
  std::string body;
  // The first header of that name, case-insensitively; "" when absent.
  std::string Header(absl::string_view name) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Any HTTP status is a successful exchange; errors are transport failures:
  // DEADLINE_EXCEEDED (timeout), UNAVAILABLE (resolve/connect/TLS/closed), CANCELLED,
  // INVALID_ARGUMENT (bad URL), RESOURCE_EXHAUSTED (response too large).
  virtual absl::StatusOr<Response> Send(const Request& request) = 0;
};

struct HttpClientOptions {
  // PEM CA bundle for HTTPS. Empty: OpenSSL's defaults, which honour SSL_CERT_FILE and
  // SSL_CERT_DIR.
  std::string ca_file;
  // Set to true from any thread to abort exchanges in flight and refuse new ones.
  const std::atomic<bool>* cancelled = nullptr;
  size_t max_response_bytes = 1 << 20;
  std::string user_agent = "gtoken";
};

class HttpClientImpl : public HttpClient {
 public:
  static absl::StatusOr<std::unique_ptr<HttpClientImpl>> Create(HttpClientOptions options);
  ~HttpClientImpl() override;
  absl::StatusOr<Response> Send(const Request& request) override;

 private:
  struct Tls;
  HttpClientImpl(HttpClientOptions options, std::unique_ptr<Tls> tls);
  absl::StatusOr<::ssl_ctx_st*> TlsContext();
  HttpClientOptions options_;
  std::unique_ptr<Tls> tls_;
};

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6 literals
  int port = 0;
  std::string target;  // path and query, at least "/"
};
absl::StatusOr<Url> ParseUrl(absl::string_view url);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string UrlEncode(absl::string_view text);
// application/x-www-form-urlencoded body from name/value pairs.
std::string FormEncode(const Headers& fields);

}  // namespace gtoken::http
