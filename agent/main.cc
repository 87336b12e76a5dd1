// gtoken: writes a Google OIDC ID token for this workload's identity to a file (or
// stdout) and keeps it fresh. Only flag parsing and wiring live here.
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "agent/flags.h"
#include "agent/refresher.h"
#include "agent/token_sink.h"
#include "agent/version.h"
#include "common/http/http_client.h"
#include "common/log/log.h"
#include "common/process/shutdown.h"
#include "common/time/clock.h"
#include "google/access_token_provider.h"
#include "google/iam_credentials_client.h"
#include "google/id_token_source.h"
#include "google/metadata_client.h"

ABSL_FLAG(std::string, file, "", "write the ID token into this file (stdout when empty)");
ABSL_FLAG(bool, refresh, true, "keep refreshing the token before it expires");
ABSL_FLAG(std::string, audience, "gtoken/sts/assume-role-with-web-identity",
          "the `aud` claim of the ID token");
ABSL_FLAG(std::string, source, "iam", "where tokens come from: broker, metadata or iam");
ABSL_FLAG(std::string, broker, "unix:///var/run/gtoken/broker.sock",
          "gRPC target of the node's gtoken-broker (--source=broker)");
ABSL_FLAG(std::string, sa_token_file, "/var/run/secrets/gtoken/serviceaccount/token",
          "projected Kubernetes service-account token sent to the broker (--source=broker)");
ABSL_FLAG(std::string, service_account, "",
          "Google service account to mint tokens for (--source=iam; default: the caller's own)");
ABSL_FLAG(std::string, file_mode, "0644", "permission bits of the token file");
ABSL_FLAG(std::string, metadata_host, "",
          "metadata server host[:port] (default: $GCE_METADATA_HOST, else metadata.google.internal)");
ABSL_FLAG(std::string, iam_credentials_url, gtoken::google::kIamCredentialsUrl,
          "base URL of the IAM Credentials API");
ABSL_FLAG(std::string, oauth2_token_url, "",
          "OAuth2 token endpoint for key-file credentials (default: the key file's token_uri)");
ABSL_FLAG(absl::Duration, http_timeout, absl::Seconds(10), "timeout of one upstream request");
ABSL_FLAG(absl::Duration, retry_timeout, absl::Seconds(60),
          "with --refresh=false: how long to keep retrying before exiting non-zero");
ABSL_FLAG(absl::Duration, max_backoff, absl::Seconds(30), "longest wait between failed attempts");
ABSL_FLAG(double, refresh_ahead, 0.25,
          "refresh when this fraction of the token's lifetime is left (plus up to 0.1 jitter)");
ABSL_FLAG(bool, verbose, false, "log debug events too");

namespace {

constexpr char kUsage[] = R"(NAME:
   gtoken - generate ID token with current Google Cloud service account

USAGE:
   gtoken [global options]

GLOBAL OPTIONS:
   --refresh               auto refresh ID token before it expires (default: true)
   --file value            write ID token into file (stdout, if not specified)
   --file-mode value       permission bits of the token file (default: 0644)
   --audience value        the aud claim of the token (default: gtoken/sts/assume-role-with-web-identity)
   --source value          broker, metadata or iam (default: iam)
                             broker:   the node's gtoken-broker, authenticated by --sa-token-file
                             metadata: the metadata server's identity endpoint (default account)
                             iam:      IAM Credentials generateIdToken, authorized by the default
                                       account or $GOOGLE_APPLICATION_CREDENTIALS (a key file)
   --broker value          broker gRPC target (default: unix:///var/run/gtoken/broker.sock)
   --sa-token-file value   projected service-account token for the broker
                           (default: /var/run/secrets/gtoken/serviceaccount/token)
   --service-account value Google service account for --source=iam (default: the caller's own)
   --metadata-host value   metadata server host[:port] (default: $GCE_METADATA_HOST,
                           else metadata.google.internal)
   --iam-credentials-url value   (default: https://iamcredentials.googleapis.com)
   --oauth2-token-url value      (default: the key file's token_uri)
   --http-timeout value    timeout of one upstream request (default: 10s)
   --retry-timeout value   with --refresh=false, give up after this long (default: 1m)
   --max-backoff value     longest wait between failed attempts (default: 30s)
   --refresh-ahead value   refresh when this fraction of the lifetime is left (default: 0.25)
   --verbose               log debug events too (default: false)
   --help, -h              show help (default: false)
   --version, -v           print the version

ENVIRONMENT:
   GCE_METADATA_HOST               metadata server host[:port]
   GOOGLE_APPLICATION_CREDENTIALS  service-account key file for --source=iam
   SSL_CERT_FILE, SSL_CERT_DIR     CA certificates for HTTPS

Logs go to stderr, one line per event; tokens are never logged. Exit status: 0 when
done or stopped by SIGTERM/SIGINT, 1 when --refresh=false could not write a token,
2 on bad flags.
)";

int Fail(int code, const std::string& message) {
  fprintf(stderr, "gtoken: %s\n", message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args = gtoken::agent::NormalizeFlagNames(
      std::vector<std::string>(argv, argv + argc));
  for (size_t i = 1; i < args.size() && args[i] != "--"; ++i) {
    if (args[i] == "--help" || args[i] == "--helpfull") {
      fputs(kUsage, stdout);
      return 0;
    }
    if (args[i] == "--version") {
      printf("gtoken version %s\n", gtoken::kVersion);
      return 0;
    }
  }
  absl::StatusOr<std::vector<std::string>> positional = gtoken::agent::ParseFlags(args);
  if (!positional.ok()) return Fail(2, std::string(positional.status().message()));
  if (!positional->empty()) {
    return Fail(2, absl::StrCat("unexpected argument \"", (*positional)[0], "\" (see --help)"));
  }
  if (absl::GetFlag(FLAGS_verbose)) gtoken::log::SetMinLevel(gtoken::log::Level::kDebug);

  absl::StatusOr<unsigned> file_mode = gtoken::agent::ParseFileMode(absl::GetFlag(FLAGS_file_mode));
  if (!file_mode.ok()) return Fail(2, std::string(file_mode.status().message()));
  const std::string audience = absl::GetFlag(FLAGS_audience);
  if (audience.empty()) return Fail(2, "--audience must not be empty");
  const double refresh_ahead = absl::GetFlag(FLAGS_refresh_ahead);
  if (!(refresh_ahead > 0 && refresh_ahead < 0.9)) {
    return Fail(2, "--refresh-ahead must be between 0 and 0.9");
  }

  if (absl::GetFlag(FLAGS_max_backoff) < absl::Milliseconds(100)) {
    return Fail(2, "--max-backoff must be at least 100ms");
  }
  if (absl::GetFlag(FLAGS_http_timeout) <= absl::ZeroDuration()) {
    return Fail(2, "--http-timeout must be positive");
  }

  static absl::Notification stop;
  static std::atomic<bool> cancelled{false};
  gtoken::process::StopOnSignals(&stop, &cancelled, absl::Milliseconds(900));

  gtoken::http::HttpClientOptions http_options;
  http_options.cancelled = &cancelled;
  http_options.user_agent = absl::StrCat("gtoken/", gtoken::kVersion);
  auto http = gtoken::http::HttpClientImpl::Create(http_options);
  if (!http.ok()) return Fail(1, std::string(http.status().message()));

  gtoken::Clock& clock = gtoken::RealClock::Get();
  const absl::Duration timeout = absl::GetFlag(FLAGS_http_timeout);
  std::string metadata_host = absl::GetFlag(FLAGS_metadata_host);
  if (metadata_host.empty()) metadata_host = gtoken::google::MetadataHostFromEnvironment();
  gtoken::google::MetadataClient metadata(**http, metadata_host, timeout);
  gtoken::google::IamCredentialsClient iam(**http, absl::GetFlag(FLAGS_iam_credentials_url),
                                           timeout);

  std::unique_ptr<gtoken::google::AccessTokenProvider> credentials;
  std::unique_ptr<gtoken::google::IdTokenSource> source;
  const std::string source_name = absl::GetFlag(FLAGS_source);
  if (source_name == "metadata") {
    source = std::make_unique<gtoken::google::MetadataIdTokenSource>(metadata);
  } else if (source_name == "iam") {
    const char* key_file = std::getenv("GOOGLE_APPLICATION_CREDENTIALS");
    if (key_file != nullptr && *key_file != '\0') {
      absl::StatusOr<gtoken::google::ServiceAccountKey> key =
          gtoken::google::LoadServiceAccountKey(key_file);
      if (!key.ok()) {
        return Fail(1, absl::StrCat("GOOGLE_APPLICATION_CREDENTIALS: ", key.status().message()));
      }
      credentials = std::make_unique<gtoken::google::ServiceAccountKeyAccessTokenProvider>(
          **http, clock, *std::move(key), absl::GetFlag(FLAGS_oauth2_token_url), timeout);
    } else {
      credentials = std::make_unique<gtoken::google::MetadataAccessTokenProvider>(metadata, clock);
    }
    source = std::make_unique<gtoken::google::IamIdTokenSource>(
        iam, *credentials, absl::GetFlag(FLAGS_service_account));
  } else if (source_name == "broker") {
    return Fail(2,
                "--source=broker: this build has no broker client yet (gtoken-broker is not "
                "built); use --source=metadata or --source=iam");
  } else {
    return Fail(2, absl::StrCat("--source: unknown source \"", source_name,
                                "\" (want broker, metadata or iam)"));
  }

  std::unique_ptr<gtoken::agent::TokenSink> sink;
  const std::string file = absl::GetFlag(FLAGS_file);
  if (file.empty()) {
    sink = std::make_unique<gtoken::agent::StdoutTokenSink>();
  } else {
    sink = std::make_unique<gtoken::agent::FileTokenSink>(file, static_cast<mode_t>(*file_mode));
  }

  gtoken::agent::RefreshOptions options;
  options.audience = audience;
  options.refresh_ahead_fraction = refresh_ahead;
  options.max_backoff = absl::GetFlag(FLAGS_max_backoff);
  options.oneshot_retry_timeout = absl::GetFlag(FLAGS_retry_timeout);
  absl::BitGen random;
  gtoken::agent::Refresher refresher(
      *source, *sink, clock, [&random] { return absl::Uniform(random, 0.0, 1.0); }, stop, options);

  gtoken::log::Info("starting", {{"version", gtoken::kVersion},
                                 {"source", source->name()},
                                 {"sink", sink->name()},
                                 {"audience", audience},
                                 {"refresh", absl::GetFlag(FLAGS_refresh) ? "true" : "false"}});
  if (!absl::GetFlag(FLAGS_refresh)) {
    absl::Status status = refresher.RunOnce();
    if (status.ok() || stop.HasBeenNotified()) return 0;
    gtoken::log::Error("giving_up", {{"error", std::string(status.message())}});
    return 1;
  }
  refresher.Run();
  return 0;
}
