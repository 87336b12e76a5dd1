// google_emulator_main: the Google emulators as a standalone server, for the README
// demo, end-to-end scripts and benchmarks.
//
//   google_emulator_main --metadata_port=8080
//       --service_account=app@p.iam.gserviceaccount.com
//       --key_file=app@p.iam.gserviceaccount.com=/tmp/app-key.json
//       --ready_file=/tmp/emulator.json
//
// Once it serves, it writes --ready_file (atomically) with the URLs a client needs:
//   {"metadata_host", "iam_credentials_url", "oauth2_token_url", "jwks_url", "ca_file",
//    "control_url"}
// and prints the same JSON on stdout. The control API (control_api.h) is served on the
// metadata port under /emulator/. SIGTERM or SIGINT stops it; it exits 0.
//
// List flags (--service_account, --key_file, --token_creator) take comma-separated
// values and may also be repeated.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "tests/emulators/google/google_emulator.h"

using gtoken::testing::GoogleEmulator;
using gtoken::testing::GoogleEmulatorOptions;

ABSL_FLAG(int, metadata_port, 0, "Port of the metadata server (plain HTTP); 0: any free port.");
ABSL_FLAG(int, https_port, 0,
          "Port of IAM Credentials, the OAuth2 token endpoint and JWKS (HTTPS); 0: any "
          "free port.");
ABSL_FLAG(std::string, project_id, GoogleEmulatorOptions().project_id,
          "Project id the metadata server reports.");
ABSL_FLAG(std::string, default_service_account, GoogleEmulatorOptions().default_service_account,
          "Email of the metadata server's default service account.");
ABSL_FLAG(absl::Duration, id_token_lifetime, GoogleEmulatorOptions().id_token_lifetime,
          "Lifetime of the ID tokens the emulator signs (1s to 1h).");
ABSL_FLAG(absl::Duration, access_token_lifetime, GoogleEmulatorOptions().access_token_lifetime,
          "Lifetime of the access tokens the emulator issues.");
ABSL_FLAG(std::vector<std::string>, service_account, {},
          "Service accounts to register (emails, comma-separated or repeated).");
ABSL_FLAG(std::vector<std::string>, key_file, {},
          "EMAIL=PATH: write a service-account key file for EMAIL to PATH (comma-separated "
          "or repeated).");
ABSL_FLAG(std::vector<std::string>, token_creator, {},
          "CALLER=TARGET: let CALLER mint ID tokens for TARGET (comma-separated or "
          "repeated).");
ABSL_FLAG(std::string, ready_file, "",
          "Where to write the emulator's URLs as JSON once it serves; removed at exit.");

namespace {

// absl keeps only the last occurrence of a flag; joining the values of repeated list
// flags first makes `--key_file=a=1 --key_file=b=2` mean what it says.
std::vector<std::string> MergeRepeatedListFlags(int argc, char** argv,
                                                const std::vector<std::string>& names) {
  std::vector<std::string> merged_args;
  std::vector<std::vector<std::string>> values(names.size());
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    bool consumed = false;
    for (size_t n = 0; n < names.size() && i > 0; ++n) {
      for (const std::string& prefix : {"--" + names[n], "-" + names[n]}) {
        if (absl::StartsWith(arg, prefix + "=")) {
          values[n].push_back(arg.substr(prefix.size() + 1));
          consumed = true;
        } else if (arg == prefix && i + 1 < argc) {
          values[n].push_back(argv[++i]);
          consumed = true;
        }
        if (consumed) break;
      }
      if (consumed) break;
    }
    if (arg == "--") {  // everything after is positional
      for (; i < argc; ++i) merged_args.push_back(argv[i]);
      break;
    }
    if (!consumed) merged_args.push_back(arg);
  }
  for (size_t n = 0; n < names.size(); ++n) {
    if (!values[n].empty()) {
      merged_args.insert(merged_args.begin() + 1,
                         absl::StrCat("--", names[n], "=", absl::StrJoin(values[n], ",")));
    }
  }
  return merged_args;
}

bool SplitPair(const std::string& text, std::string* first, std::string* second) {
  std::pair<std::string, std::string> parts = absl::StrSplit(text, absl::MaxSplits('=', 1));
  *first = parts.first;
  *second = parts.second;
  return !first->empty() && !second->empty();
}

// Through a temporary file and a rename, so a script polling for the file never reads
// it half-written.
bool WriteFileAtomically(const std::string& path, const std::string& contents) {
  const std::string temp_path = absl::StrCat(path, ".tmp-", getpid());
  {
    std::ofstream out(temp_path, std::ios::trunc);
    out << contents;
    out.close();
    if (!out) return false;
  }
  return std::rename(temp_path.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Serves emulators of the Google metadata server, IAM Credentials, the OAuth2 token "
      "endpoint and JWKS on 127.0.0.1.");
  std::vector<std::string> args =
      MergeRepeatedListFlags(argc, argv, {"service_account", "key_file", "token_creator"});
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  absl::ParseCommandLine(static_cast<int>(arg_pointers.size()), arg_pointers.data());

  // Blocked before any server thread exists, so every thread inherits the mask and the
  // signals wait for sigwait() below instead of killing the process mid-reply.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  GoogleEmulatorOptions options;
  options.project_id = absl::GetFlag(FLAGS_project_id);
  options.default_service_account = absl::GetFlag(FLAGS_default_service_account);
  options.id_token_lifetime = absl::GetFlag(FLAGS_id_token_lifetime);
  options.access_token_lifetime = absl::GetFlag(FLAGS_access_token_lifetime);
  options.metadata_port = absl::GetFlag(FLAGS_metadata_port);
  options.https_port = absl::GetFlag(FLAGS_https_port);
  options.enable_control_api = true;
  absl::StatusOr<std::unique_ptr<GoogleEmulator>> started = GoogleEmulator::Start(options);
  if (!started.ok()) {
    std::cerr << "google_emulator: " << started.status() << "\n";
    return 1;
  }
  GoogleEmulator& emulator = **started;

  for (const std::string& email : absl::GetFlag(FLAGS_service_account)) {
    if (!email.empty()) emulator.AddServiceAccount(email);
  }
  for (const std::string& spec : absl::GetFlag(FLAGS_key_file)) {
    std::string email, path;
    if (!SplitPair(spec, &email, &path)) {
      std::cerr << "google_emulator: --key_file wants EMAIL=PATH, got \"" << spec << "\"\n";
      return 1;
    }
    absl::Status written = emulator.WriteServiceAccountKeyFile(email, path);
    if (!written.ok()) {
      std::cerr << "google_emulator: " << written << "\n";
      return 1;
    }
  }
  for (const std::string& spec : absl::GetFlag(FLAGS_token_creator)) {
    std::string caller, target;
    if (!SplitPair(spec, &caller, &target)) {
      std::cerr << "google_emulator: --token_creator wants CALLER=TARGET, got \"" << spec << "\"\n";
      return 1;
    }
    emulator.AllowTokenCreator(caller, target);
  }

  const nlohmann::json ready = {
      {"metadata_host", emulator.metadata_host()},
      {"iam_credentials_url", emulator.iam_credentials_url()},
      {"oauth2_token_url", emulator.oauth2_token_url()},
      {"jwks_url", emulator.jwks_url()},
      {"ca_file", emulator.ca_file()},
      {"control_url", absl::StrCat("http://", emulator.metadata_host(), "/emulator")},
  };
  const std::string ready_json =
      ready.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string ready_file = absl::GetFlag(FLAGS_ready_file);
  if (!ready_file.empty() && !WriteFileAtomically(ready_file, ready_json + "\n")) {
    std::cerr << "google_emulator: cannot write " << ready_file << "\n";
    return 1;
  }
  std::cout << ready_json << std::endl;

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) != 0) {
  }
  emulator.Stop();
  if (!ready_file.empty()) std::remove(ready_file.c_str());  // a stale file would mislead
  return 0;
}
