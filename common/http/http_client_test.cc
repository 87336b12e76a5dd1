// The client against cpp-httplib servers (an independent HTTP implementation) on
// loopback, plain and TLS.
#include "common/http/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/util/files.h"

namespace gtoken::http {
namespace {

void AddRoutes(httplib::Server& s) {
  s.Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Echo", req.get_header_value("X-Test"));
    res.set_content("hello " + req.get_param_value("name"), "text/plain");
  });
  s.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.body, req.get_header_value("Content-Type").c_str());
  });
  s.Get("/chunked", [](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/plain", [](size_t offset, httplib::DataSink& sink) {
      if (offset >= 30000) {
        sink.done();
        return true;
      }
      std::string part(10000, static_cast<char>('a' + offset / 10000));
      sink.write(part.data(), part.size());
      return true;
    });
  });
  s.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    res.set_content("late", "text/plain");
  });
  s.Get("/missing", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content("Not Found", "text/plain");
  });
}

class PlainServer {
 public:
  PlainServer() {
    AddRoutes(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~PlainServer() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) { return absl::StrCat("http://127.0.0.1:", port_, path); }

 private:
  httplib::Server server_;
  int port_;
  std::thread thread_;
};

std::unique_ptr<HttpClientImpl> Client(HttpClientOptions options = {}) {
  auto c = HttpClientImpl::Create(std::move(options));
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}

TEST(HttpClient, GetWithQueryAndHeaders) {
  PlainServer server;
  Request req;
  req.url = server.url("/hello?name=" + UrlEncode("a b&c"));
  req.headers = {{"X-Test", "42"}};
  auto res = Client()->Send(req);
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "hello a b&c");
  EXPECT_EQ(res->Header("x-echo"), "42");
  EXPECT_EQ(res->Header("Content-Type"), "text/plain");
}

TEST(HttpClient, PostBody) {
  PlainServer server;
  Request req;
  req.method = "POST";
  req.url = server.url("/echo");
  req.headers = {{"Content-Type", "application/json"}};
  req.body = R"({"audience":"x"})";
  auto res = Client()->Send(req);
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->body, req.body);
}

TEST(HttpClient, ChunkedBody) {
  PlainServer server;
  auto res = Client()->Send({"GET", server.url("/chunked")});
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->body, std::string(10000, 'a') + std::string(10000, 'b') + std::string(10000, 'c'));
}

TEST(HttpClient, HttpErrorStatusIsAResponse) {
  PlainServer server;
  auto res = Client()->Send({"GET", server.url("/missing")});
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->status, 404);
}

TEST(HttpClient, TimeoutIsDeadlineExceeded) {
  PlainServer server;
  Request req{"GET", server.url("/slow")};
  req.timeout = absl::Milliseconds(200);
  absl::Time start = absl::Now();
  auto res = Client()->Send(req);
  EXPECT_EQ(res.status().code(), absl::StatusCode::kDeadlineExceeded) << res.status();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(800));
}

TEST(HttpClient, CancelAbortsWithinAFewPollSlices) {
  PlainServer server;
  std::atomic<bool> cancelled{false};
  HttpClientOptions options;
  options.cancelled = &cancelled;
  auto client = Client(options);
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancelled = true;
  });
  absl::Time start = absl::Now();
  auto res = client->Send({"GET", server.url("/slow")});
  canceller.join();
  EXPECT_EQ(res.status().code(), absl::StatusCode::kCancelled) << res.status();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(600));
}

TEST(HttpClient, ConnectionRefusedIsUnavailable) {
  // A port that was free a moment ago and has no listener now.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  auto res = Client()->Send({"GET", absl::StrCat("http://127.0.0.1:", port, "/")});
  EXPECT_EQ(res.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(res.status().message().find("cannot connect"), std::string::npos) << res.status();
}

TEST(HttpClient, UnknownHostIsUnavailable) {
  auto res = Client()->Send({"GET", "http://no-such-host.invalid/"});
  EXPECT_EQ(res.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(res.status().message().find("cannot resolve no-such-host.invalid"), std::string::npos);
}

class TlsServer {
 public:
  TlsServer() {
    dir_ = testing::MakeTempDir("http_client_test");
    std::string cmd = absl::StrCat(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext "
        "subjectAltName=IP:127.0.0.1,DNS:localhost -keyout ",
        dir_, "/key.pem -out ", dir_, "/cert.pem 2>/dev/null");
    EXPECT_EQ(system(cmd.c_str()), 0);
    server_ = std::make_unique<httplib::SSLServer>((dir_ + "/cert.pem").c_str(),
                                                   (dir_ + "/key.pem").c_str());
    AddRoutes(*server_);
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
  }
  ~TlsServer() {
    server_->stop();
    thread_.join();
  }
  std::string url(const std::string& host, const std::string& path) {
    return absl::StrCat("https://", host, ":", port_, path);
  }
  std::string ca_file() { return dir_ + "/cert.pem"; }

 private:
  std::string dir_;
  std::unique_ptr<httplib::SSLServer> server_;
  int port_;
  std::thread thread_;
};

TEST(HttpClient, HttpsWithTrustedCaVerifiesIpAndName) {
  TlsServer server;
  HttpClientOptions options;
  options.ca_file = server.ca_file();
  auto client = Client(options);
  for (const char* host : {"127.0.0.1", "localhost"}) {
    auto res = client->Send({"GET", server.url(host, "/hello?name=tls")});
    ASSERT_TRUE(res.ok()) << host << ": " << res.status();
    EXPECT_EQ(res->body, "hello tls");
  }
}

TEST(HttpClient, HttpsWithUntrustedCertificateFails) {
  TlsServer server;
  auto res = Client()->Send({"GET", server.url("127.0.0.1", "/hello")});
  EXPECT_EQ(res.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(res.status().message().find("not trusted"), std::string::npos) << res.status();
}

TEST(HttpClient, MissingCaFileIsAClearError) {
  HttpClientOptions options;
  options.ca_file = "/nonexistent/ca.pem";
  auto c = HttpClientImpl::Create(options);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("/nonexistent/ca.pem"), std::string::npos);
}

TEST(ParseUrl, Forms) {
  auto u = ParseUrl("https://iamcredentials.googleapis.com/v1/x:y?a=b");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "iamcredentials.googleapis.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/v1/x:y?a=b");
  u = ParseUrl("http://[::1]:8080");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/");
  EXPECT_FALSE(ParseUrl("ftp://x/").ok());
  EXPECT_FALSE(ParseUrl("metadata.google.internal/x").ok());
  EXPECT_FALSE(ParseUrl("http://h:99999/").ok());
}

TEST(UrlEncode, ReservedCharacters) {
  EXPECT_EQ(UrlEncode("gtoken/sts/assume-role-with-web-identity"),
            "gtoken%2Fsts%2Fassume-role-with-web-identity");
  EXPECT_EQ(FormEncode({{"grant_type", "a:b"}, {"x", "1 2"}}), "grant_type=a%3Ab&x=1%202");
}

}  // namespace
}  // namespace gtoken::http
