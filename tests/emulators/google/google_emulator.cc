// GoogleEmulator: start-up, shared state (accounts, keys, access tokens), faults and the
// reply helpers the endpoint handlers share. The handlers themselves are in
// metadata_server.cc and https_server.cc.
#include "tests/emulators/google/google_emulator.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "tests/emulators/google/crypto.h"
#include "tests/emulators/google/google_emulator_impl.h"
#include "tests/emulators/google/jwt.h"

namespace gtoken::testing {

std::string EndpointName(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kMetadataIdentity:
      return "metadata_identity";
    case Endpoint::kMetadataToken:
      return "metadata_token";
    case Endpoint::kMetadataEmail:
      return "metadata_email";
    case Endpoint::kIamGenerateIdToken:
      return "iam_generate_id_token";
    case Endpoint::kOAuth2Token:
      return "oauth2_token";
  }
  return "unknown";
}

absl::StatusOr<Endpoint> ParseEndpoint(const std::string& name) {
  for (Endpoint endpoint :
       {Endpoint::kMetadataIdentity, Endpoint::kMetadataToken, Endpoint::kMetadataEmail,
        Endpoint::kIamGenerateIdToken, Endpoint::kOAuth2Token}) {
    if (name == EndpointName(endpoint)) return endpoint;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown endpoint \"", name,
                   "\"; one of metadata_identity, metadata_token, metadata_email, "
                   "iam_generate_id_token, oauth2_token"));
}

absl::StatusOr<std::unique_ptr<GoogleEmulator>> GoogleEmulator::Start(
    GoogleEmulatorOptions options) {
  return emulator_internal::GoogleEmulatorImpl::Create(std::move(options));
}

namespace emulator_internal {
namespace {

constexpr char kLoopback[] = "127.0.0.1";
// Connections each server handles at once. Idle keep-alive connections hold a worker,
// so this is sized for benchmarks with many concurrent clients.
constexpr int kWorkerThreads = 64;
// Short timeouts bound how long Stop() waits for idle keep-alive connections and for
// clients that went quiet mid-request.
constexpr time_t kKeepAliveTimeoutSeconds = 1;
constexpr time_t kReadTimeoutSeconds = 2;
constexpr absl::Duration kStartTimeout = absl::Seconds(10);
constexpr absl::Duration kMaxIdTokenLifetime = absl::Hours(1);  // Google's limit

absl::Duration ClampIdTokenLifetime(absl::Duration lifetime) {
  return std::clamp(lifetime, absl::Seconds(1), kMaxIdTokenLifetime);
}

// Google's unique ids are 21 decimal digits; derive one from the email so that the
// same account keeps its `sub` across emulator runs.
std::string UniqueIdFor(const std::string& email) {
  std::string digest = Sha256(email);
  uint64_t number = 0;
  for (int i = 0; i < 8; ++i) number = (number << 8) | static_cast<unsigned char>(digest[i]);
  return absl::StrFormat("1%020u", number);  // 2^64 < 10^20: always 20 digits
}

// The body of a metadata server error that has no message of its own.
const char* ReasonPhrase(int code) {
  switch (code) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

// google.rpc.Code names and the default messages Google's front end gives them.
struct CanonicalError {
  const char* status;
  const char* message;
};
CanonicalError CanonicalErrorFor(int code) {
  switch (code) {
    case 400:
      return {"INVALID_ARGUMENT", "Request contains an invalid argument."};
    case 401:
      return {"UNAUTHENTICATED",
              "Request had invalid authentication credentials. Expected OAuth 2 access "
              "token, login cookie or other valid authentication credential. See "
              "https://developers.google.com/identity/sign-in/web/devconsole-project."};
    case 403:
      return {"PERMISSION_DENIED", "The caller does not have permission"};
    case 404:
      return {"NOT_FOUND", "Requested entity was not found."};
    case 409:
      return {"ABORTED", "The operation was aborted."};
    case 429:
      return {"RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."};
    case 499:
      return {"CANCELLED", "The operation was cancelled."};
    case 500:
      return {"INTERNAL", "Internal error encountered."};
    case 501:
      return {"UNIMPLEMENTED", "Operation is not implemented, or supported, or enabled."};
    case 503:
      return {"UNAVAILABLE", "The service is currently unavailable."};
    case 504:
      return {"DEADLINE_EXCEEDED", "The request timed out."};
    default:
      return {"UNKNOWN", "Unknown error."};
  }
}

// Writes `contents` to `path` through a temporary file and a rename, so a reader never
// sees half a key file, and creates it with `mode` so a private key is never readable
// by others, not even briefly.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents,
                                 mode_t mode) {
  std::string temp_path = absl::StrCat(path, ".tmp-", RandomUrlSafeString(6));
  int fd = open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("creating ", temp_path, ": ", strerror(errno)));
  }
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      absl::Status error =
          absl::InternalError(absl::StrCat("writing ", temp_path, ": ", strerror(errno)));
      close(fd);
      unlink(temp_path.c_str());
      return error;
    }
    written += static_cast<size_t>(n);
  }
  // open() applied the umask; the mode asked for is the mode meant.
  const bool mode_set = fchmod(fd, mode) == 0;
  const bool closed = close(fd) == 0;
  if (!mode_set || !closed || rename(temp_path.c_str(), path.c_str()) != 0) {
    absl::Status error = absl::InternalError(absl::StrCat("writing ", path, ": ", strerror(errno)));
    unlink(temp_path.c_str());
    return error;
  }
  return absl::OkStatus();
}

// The port of an IPv4/IPv6 socket address and its textual address.
bool DescribeAddress(const sockaddr_storage& address, int* port, std::string* host) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto& ipv4 = reinterpret_cast<const sockaddr_in&>(address);
    *port = ntohs(ipv4.sin_port);
    inet_ntop(AF_INET, &ipv4.sin_addr, text, sizeof(text));
  } else if (address.ss_family == AF_INET6) {
    const auto& ipv6 = reinterpret_cast<const sockaddr_in6&>(address);
    *port = ntohs(ipv6.sin6_port);
    inet_ntop(AF_INET6, &ipv6.sin6_addr, text, sizeof(text));
  } else {
    return false;
  }
  *host = text;
  return true;
}

// The server-side socket of a plain-HTTP connection. httplib does not hand it to
// handlers, so it is found among this process's descriptors by its two endpoints.
int FindServerSocket(const httplib::Request& request) {
  DIR* directory = opendir("/proc/self/fd");
  if (directory == nullptr) return -1;
  int found = -1;
  while (dirent* entry = readdir(directory)) {
    int fd = 0;
    if (!absl::SimpleAtoi(entry->d_name, &fd) || fd == dirfd(directory)) continue;
    sockaddr_storage local = {}, peer = {};
    socklen_t local_size = sizeof(local), peer_size = sizeof(peer);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) != 0 ||
        getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0) {
      continue;
    }
    int local_port = 0, peer_port = 0;
    std::string local_host, peer_host;
    if (DescribeAddress(local, &local_port, &local_host) &&
        DescribeAddress(peer, &peer_port, &peer_host) && local_port == request.local_port &&
        peer_port == request.remote_port && peer_host == request.remote_addr) {
      found = fd;
      break;
    }
  }
  closedir(directory);
  return found;
}

// httplib listens with a backlog of 5: a burst of concurrent clients (a benchmark, a
// broker fanning out) overflows it, and the dropped SYNs come back only after TCP's
// one-second retransmit. Linux lets listen() be called again to widen the backlog;
// this reaches httplib's protected listening socket to do so.
struct ListeningSocket : httplib::Server {
  static bool WidenBacklog(const httplib::Server& server) {
    return ::listen(server.*(&ListeningSocket::svr_sock_), SOMAXCONN) == 0;
  }
};

}  // namespace

void SetJson(httplib::Response& response, int code, const std::string& body) {
  response.status = code;
  response.set_content(body, "application/json; charset=UTF-8");
}

void SetGoogleApiError(httplib::Response& response, int code, const std::string& message) {
  CanonicalError canonical = CanonicalErrorFor(code);
  nlohmann::json error = {{"code", code},
                          {"message", message.empty() ? canonical.message : message},
                          {"status", canonical.status}};
  SetJson(response, code, DumpJson({{"error", error}}));
}

void SetMetadataError(httplib::Response& response, int code, const std::string& message) {
  response.status = code;
  response.set_content(absl::StrCat(message.empty() ? ReasonPhrase(code) : message, "\n"),
                       "text/plain");
}

void SetOAuth2Error(httplib::Response& response, const std::string& error,
                    const std::string& description) {
  SetJson(response, 400, DumpJson({{"error", error}, {"error_description", description}}));
}

std::string CutInHalf(const std::string& body) { return body.substr(0, body.size() / 2); }

void DropConnection(const httplib::Request& request) {
  // shutdown(), not close(): httplib still owns the descriptor and closes it when the
  // handler returns; its attempt to write the reply then fails on the dead socket.
  int fd = request.ssl != nullptr ? SSL_get_fd(request.ssl) : FindServerSocket(request);
  if (fd >= 0) shutdown(fd, SHUT_RDWR);
}

void ServerThread::Start(httplib::Server* server) {
  server_ = server;
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    finished_ = true;
  });
}

bool ServerThread::WaitUntilRunning(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (!server_->is_running()) {
    if (finished_ || absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

void ServerThread::Stop() {
  if (!thread_.joinable()) return;
  // httplib's stop() does nothing until the thread has entered its accept loop, so it
  // is repeated until the loop and its connection workers are done.
  while (!finished_) {
    server_->stop();
    absl::SleepFor(absl::Milliseconds(2));
  }
  thread_.join();
}

absl::StatusOr<std::unique_ptr<GoogleEmulator>> GoogleEmulatorImpl::Create(
    GoogleEmulatorOptions options) {
  std::unique_ptr<GoogleEmulatorImpl> emulator(new GoogleEmulatorImpl(std::move(options)));
  absl::Status status = emulator->Initialize();
  if (status.ok()) status = emulator->StartServers();
  if (!status.ok()) return status;
  return std::unique_ptr<GoogleEmulator>(std::move(emulator));
}

GoogleEmulatorImpl::GoogleEmulatorImpl(GoogleEmulatorOptions options)
    : options_(std::move(options)),
      id_token_lifetime_(ClampIdTokenLifetime(options_.id_token_lifetime)) {}

GoogleEmulatorImpl::~GoogleEmulatorImpl() {
  Stop();
  if (!temp_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(temp_dir_, ignored);
  }
}

absl::Status GoogleEmulatorImpl::Initialize() {
  std::error_code error;
  std::filesystem::path temp_root = std::filesystem::temp_directory_path(error);
  if (error) temp_root = "/tmp";
  std::string dir_template = (temp_root / "gtoken-google-emulator-XXXXXX").string();
  if (mkdtemp(dir_template.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("creating a directory like ", dir_template, ": ", strerror(errno)));
  }
  temp_dir_ = dir_template;

  absl::StatusOr<KeyPtr> id_token_key = GenerateRsaKey(2048);
  if (!id_token_key.ok()) return id_token_key.status();
  id_token_key_ = *id_token_key;
  absl::StatusOr<std::string> key_id = KeyId(id_token_key_.get());
  absl::StatusOr<std::string> public_pem = PublicKeyPem(id_token_key_.get());
  absl::StatusOr<RsaPublicNumbers> numbers = GetRsaPublicNumbers(id_token_key_.get());
  if (!key_id.ok()) return key_id.status();
  if (!public_pem.ok()) return public_pem.status();
  if (!numbers.ok()) return numbers.status();
  id_token_key_id_ = *key_id;
  id_token_public_key_pem_ = *public_pem;
  nlohmann::json jwk = {{"kty", "RSA"},
                        {"alg", "RS256"},
                        {"use", "sig"},
                        {"kid", id_token_key_id_},
                        {"n", absl::WebSafeBase64Escape(numbers->modulus)},
                        {"e", absl::WebSafeBase64Escape(numbers->exponent)}};
  jwks_json_ = DumpJson({{"keys", nlohmann::json::array({jwk})}});

  absl::StatusOr<TlsCredentials> tls = CreateTlsCredentials();
  if (!tls.ok()) return tls.status();
  ca_file_ = temp_dir_ + "/ca.pem";
  absl::Status written = WriteFileAtomically(ca_file_, tls->ca_certificate_pem, 0644);
  if (!written.ok()) return written;

  metadata_server_ = std::make_unique<httplib::Server>();
  // SSLServer takes its own references to the certificate and key.
  auto https_server =
      std::make_unique<httplib::SSLServer>(tls->server_certificate.get(), tls->server_key.get());
  if (!https_server->is_valid()) {
    return absl::InternalError("setting up the TLS context of the HTTPS server");
  }
  https_server_ = std::move(https_server);

  for (httplib::Server* server : {metadata_server_.get(), https_server_.get()}) {
    server->new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
    server->set_tcp_nodelay(true);  // replies go out in two writes; Nagle would hold the second
    server->set_keep_alive_timeout(kKeepAliveTimeoutSeconds);
    server->set_read_timeout(kReadTimeoutSeconds, 0);
  }
  AddMetadataRoutes(*metadata_server_);
  AddHttpsRoutes(*https_server_);

  AddServiceAccount(options_.default_service_account);
  return absl::OkStatus();
}

absl::Status GoogleEmulatorImpl::StartServers() {
  auto bind = [](httplib::Server& server, int requested_port, int* port) {
    if (requested_port == 0) {
      *port = server.bind_to_any_port(kLoopback);
    } else {
      *port = server.bind_to_port(kLoopback, requested_port) ? requested_port : -1;
    }
    return *port > 0 && ListeningSocket::WidenBacklog(server);
  };
  if (!bind(*metadata_server_, options_.metadata_port, &metadata_port_)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", kLoopback, ":", options_.metadata_port));
  }
  if (!bind(*https_server_, options_.https_port, &https_port_)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", kLoopback, ":", options_.https_port));
  }
  metadata_thread_.Start(metadata_server_.get());
  https_thread_.Start(https_server_.get());
  if (!metadata_thread_.WaitUntilRunning(kStartTimeout) ||
      !https_thread_.WaitUntilRunning(kStartTimeout)) {
    return absl::InternalError("the emulator's servers did not start");
  }
  return absl::OkStatus();
}

void GoogleEmulatorImpl::Stop() {
  absl::MutexLock stop_lock(&stop_mu_);
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;  // wakes stalled handlers, so the servers' workers can finish
  }
  metadata_thread_.Stop();
  https_thread_.Stop();
}

std::string GoogleEmulatorImpl::metadata_host() const {
  return absl::StrCat(kLoopback, ":", metadata_port_);
}

std::string GoogleEmulatorImpl::iam_credentials_url() const {
  return absl::StrCat("https://", kLoopback, ":", https_port_);
}

std::string GoogleEmulatorImpl::oauth2_token_url() const {
  return absl::StrCat(iam_credentials_url(), "/token");
}

std::string GoogleEmulatorImpl::jwks_url() const {
  return absl::StrCat(iam_credentials_url(), "/oauth2/v3/certs");
}

ServiceAccount GoogleEmulatorImpl::AddServiceAccount(const std::string& email) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = accounts_.try_emplace(email);
  if (inserted) it->second = ServiceAccount{email, UniqueIdFor(email)};
  return it->second;
}

void GoogleEmulatorImpl::AllowTokenCreator(const std::string& caller_email,
                                           const std::string& target_email) {
  absl::MutexLock lock(&mu_);
  token_creators_.emplace(caller_email, target_email);
}

absl::Status GoogleEmulatorImpl::WriteServiceAccountKeyFile(const std::string& email,
                                                            const std::string& path) {
  ServiceAccount account = AddServiceAccount(email);
  absl::StatusOr<KeyPtr> key = GenerateRsaKey(2048);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> private_pem = PrivateKeyPem(key->get());
  absl::StatusOr<std::string> key_id = KeyId(key->get());
  if (!private_pem.ok()) return private_pem.status();
  if (!key_id.ok()) return key_id.status();

  nlohmann::json key_file = {
      {"type", "service_account"},
      {"project_id", options_.project_id},
      {"private_key_id", *key_id},
      {"private_key", *private_pem},
      {"client_email", account.email},
      {"client_id", account.unique_id},
      {"auth_uri", "https://accounts.google.com/o/oauth2/auth"},
      {"token_uri", oauth2_token_url()},
      {"auth_provider_x509_cert_url", "https://www.googleapis.com/oauth2/v1/certs"},
      {"client_x509_cert_url", absl::StrCat("https://www.googleapis.com/robot/v1/metadata/x509/",
                                            absl::StrReplaceAll(account.email, {{"@", "%40"}}))},
      {"universe_domain", "googleapis.com"},
  };
  absl::Status written = WriteFileAtomically(
      path, key_file.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", 0600);
  if (!written.ok()) return written;

  absl::MutexLock lock(&mu_);
  keys_[*key_id] = ServiceAccountKey{account.email, *key};
  return absl::OkStatus();
}

void GoogleEmulatorImpl::SetFault(Endpoint endpoint, FaultSpec fault) {
  absl::MutexLock lock(&mu_);
  if (fault.fault == Fault::kNone || fault.count == 0) {
    faults_.erase(endpoint);
  } else {
    faults_[endpoint] = fault;
  }
}

void GoogleEmulatorImpl::ClearFaults() {
  absl::MutexLock lock(&mu_);
  faults_.clear();
}

void GoogleEmulatorImpl::SetIdTokenLifetime(absl::Duration lifetime) {
  absl::MutexLock lock(&mu_);
  id_token_lifetime_ = ClampIdTokenLifetime(lifetime);
}

int GoogleEmulatorImpl::CallCount(Endpoint endpoint) const {
  absl::MutexLock lock(&mu_);
  auto it = call_counts_.find(endpoint);
  return it == call_counts_.end() ? 0 : it->second;
}

void GoogleEmulatorImpl::ResetCallCounts() {
  absl::MutexLock lock(&mu_);
  call_counts_.clear();
}

std::optional<FaultSpec> GoogleEmulatorImpl::TakeFault(Endpoint endpoint, FaultStage stage) {
  absl::MutexLock lock(&mu_);
  auto it = faults_.find(endpoint);
  if (it == faults_.end()) return std::nullopt;
  Fault fault = it->second.fault;
  bool shapes_reply =
      fault == Fault::kNotAJwt || fault == Fault::kJwtWithoutExp || fault == Fault::kMalformedJson;
  if (shapes_reply != (stage == FaultStage::kOnSuccess)) return std::nullopt;
  FaultSpec taken = it->second;
  if (it->second.count > 0 && --it->second.count == 0) faults_.erase(it);
  return taken;
}

bool GoogleEmulatorImpl::BeginCall(Endpoint endpoint, const httplib::Request& request,
                                   httplib::Response& response, ErrorStyle style) {
  {
    absl::MutexLock lock(&mu_);
    ++call_counts_[endpoint];
  }
  auto set_error = [&](int code, const std::string& message) {
    if (style == ErrorStyle::kMetadataText) {
      SetMetadataError(response, code, message);
    } else {
      SetGoogleApiError(response, code, message);
    }
  };
  std::optional<FaultSpec> fault = TakeFault(endpoint, FaultStage::kOnArrival);
  if (!fault) return true;
  switch (fault->fault) {
    case Fault::kStatus:
      set_error(fault->status, "");
      return false;
    case Fault::kStall:
      if (SleepUnlessStopping(fault->stall)) return true;
      set_error(503, "The emulator is shutting down.");
      return false;
    case Fault::kCloseConnection:
      DropConnection(request);
      return false;
    default:
      return true;
  }
}

Fault GoogleEmulatorImpl::TakeSuccessFault(Endpoint endpoint) {
  std::optional<FaultSpec> fault = TakeFault(endpoint, FaultStage::kOnSuccess);
  return fault ? fault->fault : Fault::kNone;
}

bool GoogleEmulatorImpl::SleepUnlessStopping(absl::Duration duration) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), duration);
  return !stopping_;
}

std::optional<ServiceAccount> GoogleEmulatorImpl::FindServiceAccount(
    const std::string& email_or_unique_id) const {
  absl::MutexLock lock(&mu_);
  auto it = accounts_.find(email_or_unique_id);
  if (it != accounts_.end()) return it->second;
  // IAM Credentials also names accounts by unique id.
  for (const auto& [email, account] : accounts_) {
    if (account.unique_id == email_or_unique_id) return account;
  }
  return std::nullopt;
}

bool GoogleEmulatorImpl::MayMintFor(const std::string& caller_email,
                                    const std::string& target_email) const {
  if (caller_email == target_email) return true;
  absl::MutexLock lock(&mu_);
  return token_creators_.count({caller_email, target_email}) > 0;
}

std::string GoogleEmulatorImpl::IssueAccessToken(const std::string& email,
                                                 absl::Duration lifetime) {
  // Real access tokens are opaque "ya29." strings of about this length.
  std::string token = absl::StrCat("ya29.", RandomUrlSafeString(96));
  absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  // Expired grants are dropped whenever the table has doubled, which keeps issuing
  // O(1) amortized in long benchmark runs.
  if (access_tokens_.size() >= access_token_prune_threshold_) {
    for (auto it = access_tokens_.begin(); it != access_tokens_.end();) {
      it = it->second.expiry <= now ? access_tokens_.erase(it) : std::next(it);
    }
    access_token_prune_threshold_ = std::max<size_t>(1024, 2 * access_tokens_.size());
  }
  access_tokens_[token] = AccessTokenGrant{email, now + lifetime};
  return token;
}

std::optional<std::string> GoogleEmulatorImpl::AuthenticatedCaller(
    const httplib::Request& request) {
  const std::string authorization = request.get_header_value("Authorization");
  constexpr absl::string_view kScheme = "Bearer ";
  if (!absl::StartsWithIgnoreCase(authorization, kScheme)) return std::nullopt;
  std::string token(
      absl::StripAsciiWhitespace(absl::string_view(authorization).substr(kScheme.size())));
  absl::MutexLock lock(&mu_);
  auto it = access_tokens_.find(token);
  if (it == access_tokens_.end() || it->second.expiry <= absl::Now()) return std::nullopt;
  return it->second.email;
}

absl::StatusOr<std::string> GoogleEmulatorImpl::MintIdToken(const ServiceAccount& account,
                                                            const std::string& audience,
                                                            bool include_email, bool include_exp) {
  absl::Duration lifetime;
  {
    absl::MutexLock lock(&mu_);
    lifetime = id_token_lifetime_;
  }
  int64_t issued_at = absl::ToUnixSeconds(absl::Now());
  nlohmann::json claims = {{"iss", "https://accounts.google.com"},
                           {"aud", audience},
                           {"azp", account.unique_id},
                           {"sub", account.unique_id},
                           {"iat", issued_at}};
  if (include_exp) claims["exp"] = issued_at + absl::ToInt64Seconds(lifetime);
  if (include_email) {
    claims["email"] = account.email;
    claims["email_verified"] = true;
  }
  nlohmann::json header = {{"alg", "RS256"}, {"kid", id_token_key_id_}, {"typ", "JWT"}};
  return SignJwt(header, claims, id_token_key_.get());
}

}  // namespace emulator_internal
}  // namespace gtoken::testing
