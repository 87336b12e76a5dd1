#include "common/http/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace gtoken::http {
namespace {

// How often a blocked exchange looks at the cancel flag.
constexpr absl::Duration kPollSlice = absl::Milliseconds(50);
constexpr size_t kMaxHeaderBytes = 64 * 1024;

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

bool IsIpLiteral(const std::string& host) {
  in6_addr a6;
  in_addr a4;
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

// One connection: a non-blocking socket, optionally wrapped in TLS. Every wait goes
// through WaitFor, which honours the deadline and the cancel flag.
class Connection {
 public:
  Connection(absl::Time deadline, const std::atomic<bool>* cancelled)
      : deadline_(deadline), cancelled_(cancelled) {}
  ~Connection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
  }

  absl::Status Connect(const Url& url) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* result = nullptr;
    std::string port = std::to_string(url.port);
    int rc = getaddrinfo(url.host.c_str(), port.c_str(), &hints, &result);
    if (rc != 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot resolve ", url.host, ": ", gai_strerror(rc)));
    }
    absl::Status last = absl::UnavailableError(absl::StrCat("no address for ", url.host));
    for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
      last = ConnectOne(ai, url);
      if (last.ok()) break;
      if (last.code() == absl::StatusCode::kCancelled ||
          last.code() == absl::StatusCode::kDeadlineExceeded) {
        break;
      }
    }
    freeaddrinfo(result);
    return last;
  }

  absl::Status StartTls(SSL_CTX* ctx, const Url& url) {
    ssl_ = SSL_new(ctx);
    if (ssl_ == nullptr) return absl::InternalError(OpenSslError());
    SSL_set_fd(ssl_, fd_);
    if (IsIpLiteral(url.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), url.host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl_, url.host.c_str());
      SSL_set1_host(ssl_, url.host.c_str());
    }
    while (true) {
      int rc = SSL_connect(ssl_);
      if (rc == 1) return absl::OkStatus();
      int err = SSL_get_error(ssl_, rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        absl::Status s = WaitFor(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, "TLS handshake");
        if (!s.ok()) return s;
        continue;
      }
      long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK) {
        return absl::UnavailableError(
            absl::StrCat("TLS certificate of ", url.host, " not trusted: ",
                         X509_verify_cert_error_string(verify)));
      }
      return absl::UnavailableError(
          absl::StrCat("TLS handshake with ", url.host, " failed: ", OpenSslError()));
    }
  }

  absl::Status WriteAll(absl::string_view data) {
    while (!data.empty()) {
      ssize_t n;
      if (ssl_ != nullptr) {
        int rc = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
        if (rc <= 0) {
          int err = SSL_get_error(ssl_, rc);
          if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            absl::Status s = WaitFor(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, "send");
            if (!s.ok()) return s;
            continue;
          }
          return absl::UnavailableError(absl::StrCat("TLS send failed: ", OpenSslError()));
        }
        n = rc;
      } else {
        n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            absl::Status s = WaitFor(POLLOUT, "send");
            if (!s.ok()) return s;
            continue;
          }
          return absl::UnavailableError(absl::StrCat("send failed: ", strerror(errno)));
        }
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  // Appends what arrives to *out; returns false at end of stream.
  absl::StatusOr<bool> ReadSome(std::string* out) {
    char buf[16384];
    while (true) {
      if (ssl_ != nullptr) {
        int rc = SSL_read(ssl_, buf, sizeof(buf));
        if (rc > 0) {
          out->append(buf, static_cast<size_t>(rc));
          return true;
        }
        int err = SSL_get_error(ssl_, rc);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
          absl::Status s = WaitFor(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, "response");
          if (!s.ok()) return s;
          continue;
        }
        if (err == SSL_ERROR_ZERO_RETURN) return false;
        // SSL_OP_IGNORE_UNEXPECTED_EOF makes a peer that closes without close_notify a
        // plain end of stream (as many HTTP servers do).
        return absl::UnavailableError(absl::StrCat("TLS receive failed: ", OpenSslError()));
      }
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n > 0) {
        out->append(buf, static_cast<size_t>(n));
        return true;
      }
      if (n == 0) return false;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        absl::Status s = WaitFor(POLLIN, "response");
        if (!s.ok()) return s;
        continue;
      }
      return absl::UnavailableError(absl::StrCat("receive failed: ", strerror(errno)));
    }
  }

 private:
  absl::Status ConnectOne(const addrinfo* ai, const Url& url) {
    if (fd_ >= 0) close(fd_);
    fd_ = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd_ < 0) return absl::UnavailableError(absl::StrCat("socket: ", strerror(errno)));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd_, ai->ai_addr, ai->ai_addrlen) == 0) return absl::OkStatus();
    if (errno != EINPROGRESS) {
      return absl::UnavailableError(absl::StrCat("cannot connect to ", url.host, ":", url.port,
                                                 ": ", strerror(errno)));
    }
    absl::Status s = WaitFor(POLLOUT, "connect");
    if (!s.ok()) return s;
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", url.host, ":", url.port, ": ", strerror(err)));
    }
    return absl::OkStatus();
  }

  absl::Status WaitFor(short events, absl::string_view what) {
    while (true) {
      if (cancelled_ != nullptr && cancelled_->load()) {
        return absl::CancelledError(absl::StrCat(what, " cancelled"));
      }
      absl::Duration left = deadline_ - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError(absl::StrCat(what, " timed out"));
      }
      pollfd p{fd_, events, 0};
      int ms = static_cast<int>(absl::ToInt64Milliseconds(std::min(left, kPollSlice))) + 1;
      int rc = poll(&p, 1, ms);
      if (rc > 0) return absl::OkStatus();
      if (rc < 0 && errno != EINTR) {
        return absl::UnavailableError(absl::StrCat("poll: ", strerror(errno)));
      }
    }
  }

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  absl::Time deadline_;
  const std::atomic<bool>* cancelled_;
};

absl::Status ParseHead(absl::string_view head, Response* response) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  std::vector<absl::string_view> status_line = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  int status = 0;
  if (status_line.size() < 2 || !absl::StartsWith(status_line[0], "HTTP/1.") ||
      !absl::SimpleAtoi(status_line[1], &status) || status < 100 || status > 999) {
    return absl::UnavailableError("malformed HTTP status line");
  }
  response->status = status;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) return absl::UnavailableError("malformed HTTP header");
    response->headers.emplace_back(
        std::string(absl::StripAsciiWhitespace(lines[i].substr(0, colon))),
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
  }
  return absl::OkStatus();
}

// Decodes a complete chunked body; returns NOT_FOUND while more bytes are needed.
absl::StatusOr<std::string> DecodeChunked(absl::string_view data) {
  std::string body;
  size_t pos = 0;
  while (true) {
    size_t eol = data.find("\r\n", pos);
    if (eol == absl::string_view::npos) return absl::NotFoundError("incomplete");
    absl::string_view size_text = data.substr(pos, eol - pos);
    size_text = size_text.substr(0, size_text.find(';'));
    uint64_t size = 0;
    if (!absl::SimpleHexAtoi(absl::StripAsciiWhitespace(size_text), &size)) {
      return absl::UnavailableError("malformed chunked encoding");
    }
    pos = eol + 2;
    if (size == 0) return body;  // trailers, if any, are ignored
    if (data.size() < pos + size + 2) return absl::NotFoundError("incomplete");
    body.append(data.data() + pos, size);
    pos += size + 2;
  }
}

}  // namespace

struct HttpClientImpl::Tls {
  absl::Mutex mu;
  SSL_CTX* ctx ABSL_GUARDED_BY(mu) = nullptr;
  ~Tls() {
    if (ctx != nullptr) SSL_CTX_free(ctx);
  }
};

std::string Response::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

absl::StatusOr<Url> ParseUrl(absl::string_view text) {
  Url url;
  size_t scheme_end = text.find("://");
  if (scheme_end == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("URL without scheme: ", text));
  }
  url.scheme = absl::AsciiStrToLower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") {
    return absl::InvalidArgumentError(absl::StrCat("unsupported URL scheme: ", url.scheme));
  }
  absl::string_view rest = text.substr(scheme_end + 3);
  size_t path_start = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, path_start);
  url.target = path_start == absl::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (url.target[0] == '?') url.target = "/" + url.target;
  url.port = url.scheme == "https" ? 443 : 80;
  absl::string_view port_text;
  if (absl::StartsWith(authority, "[")) {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos) return absl::InvalidArgumentError("bad IPv6 literal");
    url.host = std::string(authority.substr(1, close - 1));
    absl::string_view after = authority.substr(close + 1);
    if (absl::StartsWith(after, ":")) port_text = after.substr(1);
  } else {
    size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return absl::InvalidArgumentError(absl::StrCat("URL without host: ", text));
  if (!port_text.empty() &&
      (!absl::SimpleAtoi(port_text, &url.port) || url.port <= 0 || url.port > 65535)) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in URL: ", text));
  }
  return url;
}

std::string UrlEncode(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string FormEncode(const Headers& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out.push_back('&');
    absl::StrAppend(&out, UrlEncode(k), "=", UrlEncode(v));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<HttpClientImpl>> HttpClientImpl::Create(HttpClientOptions options) {
  // The TLS context is built on the first HTTPS request: a metadata-only agent never pays
  // for OpenSSL's setup and the CA bundle in memory. A bad CA file is still reported now.
  if (!options.ca_file.empty() && access(options.ca_file.c_str(), R_OK) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot load CA file ", options.ca_file, ": ", strerror(errno)));
  }
  return std::unique_ptr<HttpClientImpl>(
      new HttpClientImpl(std::move(options), std::make_unique<Tls>()));
}

absl::StatusOr<SSL_CTX*> HttpClientImpl::TlsContext() {
  absl::MutexLock lock(&tls_->mu);
  if (tls_->ctx != nullptr) return tls_->ctx;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return absl::InternalError(OpenSslError());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (!options_.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, options_.ca_file.c_str(), nullptr) != 1) {
      SSL_CTX_free(ctx);
      return absl::InvalidArgumentError(
          absl::StrCat("cannot load CA file ", options_.ca_file, ": ", OpenSslError()));
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    SSL_CTX_free(ctx);
    return absl::InternalError(absl::StrCat("cannot load system CAs: ", OpenSslError()));
  }
  tls_->ctx = ctx;
  return ctx;
}

HttpClientImpl::HttpClientImpl(HttpClientOptions options, std::unique_ptr<Tls> tls)
    : options_(std::move(options)), tls_(std::move(tls)) {}

HttpClientImpl::~HttpClientImpl() = default;

absl::StatusOr<Response> HttpClientImpl::Send(const Request& request) {
  absl::StatusOr<Url> url = ParseUrl(request.url);
  if (!url.ok()) return url.status();
  if (options_.cancelled != nullptr && options_.cancelled->load()) {
    return absl::CancelledError("request cancelled");
  }
  Connection conn(absl::Now() + request.timeout, options_.cancelled);
  absl::Status s = conn.Connect(*url);
  if (s.ok() && url->scheme == "https") {
    absl::StatusOr<SSL_CTX*> ctx = TlsContext();
    if (!ctx.ok()) return ctx.status();
    s = conn.StartTls(*ctx, *url);
  }
  if (!s.ok()) return s;

  bool default_port = (url->scheme == "https" && url->port == 443) ||
                      (url->scheme == "http" && url->port == 80);
  std::string host = url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
  if (!default_port) absl::StrAppend(&host, ":", url->port);
  std::string wire = absl::StrCat(request.method, " ", url->target, " HTTP/1.1\r\nHost: ", host,
                                  "\r\nUser-Agent: ", options_.user_agent,
                                  "\r\nConnection: close\r\n");
  for (const auto& [k, v] : request.headers) absl::StrAppend(&wire, k, ": ", v, "\r\n");
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    absl::StrAppend(&wire, "Content-Length: ", request.body.size(), "\r\n");
  }
  absl::StrAppend(&wire, "\r\n", request.body);
  s = conn.WriteAll(wire);
  if (!s.ok()) return s;

  std::string data;
  size_t head_end = std::string::npos;
  while (head_end == std::string::npos) {
    absl::StatusOr<bool> more = conn.ReadSome(&data);
    if (!more.ok()) return more.status();
    head_end = data.find("\r\n\r\n");
    if (head_end == std::string::npos && data.size() > kMaxHeaderBytes) {
      return absl::ResourceExhaustedError("HTTP response headers too large");
    }
    if (!*more && head_end == std::string::npos) {
      return absl::UnavailableError(absl::StrCat("connection to ", url->host, ":", url->port,
                                                 " closed before a response"));
    }
  }
  Response response;
  s = ParseHead(absl::string_view(data).substr(0, head_end), &response);
  if (!s.ok()) return s;
  data.erase(0, head_end + 4);

  const bool chunked = absl::StrContains(absl::AsciiStrToLower(response.Header("Transfer-Encoding")), "chunked");
  std::string length_text = response.Header("Content-Length");
  int64_t length = -1;
  if (!chunked && !length_text.empty() && (!absl::SimpleAtoi(length_text, &length) || length < 0)) {
    return absl::UnavailableError("malformed Content-Length");
  }
  if (length > static_cast<int64_t>(options_.max_response_bytes)) {
    return absl::ResourceExhaustedError("HTTP response too large");
  }
  bool at_eof = false;
  while (true) {
    if (chunked) {
      absl::StatusOr<std::string> body = DecodeChunked(data);
      if (body.ok()) {
        response.body = *std::move(body);
        return response;
      }
      if (body.status().code() != absl::StatusCode::kNotFound) return body.status();
    } else if (length >= 0 && data.size() >= static_cast<size_t>(length)) {
      data.resize(static_cast<size_t>(length));
      response.body = std::move(data);
      return response;
    } else if (length < 0 && at_eof) {
      response.body = std::move(data);
      return response;
    }
    if (at_eof) return absl::UnavailableError("connection closed in the middle of the response");
    if (data.size() > options_.max_response_bytes) {
      return absl::ResourceExhaustedError("HTTP response too large");
    }
    absl::StatusOr<bool> more = conn.ReadSome(&data);
    if (!more.ok()) return more.status();
    at_eof = !*more;
  }
}

}  // namespace gtoken::http
