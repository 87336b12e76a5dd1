// Runs google_emulator_main as scripts do: waits for its ready file, uses the control
// API the way curl does, then stops it with SIGTERM and expects a prompt exit 0.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kApp[] = "app@emulated-project.iam.gserviceaccount.com";
constexpr char kJob[] = "job@emulated-project.iam.gserviceaccount.com";
const httplib::Headers kMetadataFlavor = {{"Metadata-Flavor", "Google"}};

std::string EmulatorBinary() {
  return absl::StrCat(getenv("TEST_SRCDIR"), "/", getenv("TEST_WORKSPACE"),
                      "/tests/emulators/google/google_emulator_main");
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// One HTTP/1.1 request written by hand, as `curl -X POST URL` sends it: no
// Content-Length, no body. Returns the raw reply.
std::string RawRequest(int port, const std::string& request_line) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return "";
  }
  const std::string request =
      absl::StrCat(request_line, "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return "";
  }
  std::string reply;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) reply.append(buffer, n);
  close(fd);
  return reply;
}

class EmulatorProcess {
 public:
  explicit EmulatorProcess(std::vector<std::string> args) {
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (std::string& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~EmulatorProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // The exit status, or -1 if the process is still running after `timeout`.
  int WaitForExit(absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return -1;
  }

  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
};

TEST(GoogleEmulatorMainTest, ServesUntilSigtermThenExitsZero) {
  const std::string dir = ::testing::TempDir();
  const std::string ready_file = dir + "/ready.json";
  const std::string app_key = dir + "/app.json";
  const std::string job_key = dir + "/job.json";
  EmulatorProcess emulator({EmulatorBinary(), "--ready_file=" + ready_file,
                            "--id_token_lifetime=30s", "--project_id=demo-project",
                            absl::StrCat("--service_account=", kApp, ",", kJob),
                            absl::StrCat("--key_file=", kApp, "=", app_key),
                            absl::StrCat("--key_file=", kJob, "=", job_key),
                            absl::StrCat("--token_creator=", kApp, "=", kJob)});
  ASSERT_GT(emulator.pid(), 0);

  json ready;
  for (int i = 0; i < 500 && !ready.is_object(); ++i) {
    ready = json::parse(ReadFile(ready_file), nullptr, false);
    if (!ready.is_object()) absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(ready.is_object()) << "no ready file at " << ready_file;
  for (const char* field : {"metadata_host", "iam_credentials_url", "oauth2_token_url", "jwks_url",
                            "ca_file", "control_url"}) {
    EXPECT_TRUE(ready[field].is_string()) << field;
  }
  const std::string metadata_host = ready.value("metadata_host", "");
  int metadata_port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(metadata_host.substr(metadata_host.find(':') + 1), &metadata_port));
  EXPECT_EQ(ready.value("control_url", ""), "http://" + metadata_host + "/emulator");

  httplib::Client metadata("http://" + metadata_host);
  httplib::Result res = metadata.Get(
      "/computeMetadata/v1/instance/service-accounts/default/identity?audience=a", kMetadataFlavor);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  std::vector<std::string> parts = absl::StrSplit(res->body, '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string claims_text;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[1], &claims_text));
  json claims = json::parse(claims_text, nullptr, false);
  EXPECT_EQ(claims["exp"].get<int64_t>() - claims["iat"].get<int64_t>(), 30);
  res = metadata.Get("/computeMetadata/v1/project/project-id", kMetadataFlavor);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "demo-project");

  // Both --key_file flags took effect, private to their owner.
  for (const auto& [path, email] : {std::pair{app_key, kApp}, std::pair{job_key, kJob}}) {
    json key_file = json::parse(ReadFile(path), nullptr, false);
    ASSERT_TRUE(key_file.is_object()) << path;
    EXPECT_EQ(key_file["client_email"], email);
    EXPECT_EQ(key_file["token_uri"], ready["oauth2_token_url"]);
    struct stat info = {};
    ASSERT_EQ(stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
  }

  // The control API as curl uses it: bodiless POSTs, no Metadata-Flavor.
  EXPECT_THAT(RawRequest(metadata_port,
                         "POST /emulator/fault?endpoint=metadata_identity&fault=status&"
                         "status=503&count=1 HTTP/1.1"),
              StartsWith("HTTP/1.1 200"));
  res = metadata.Get("/computeMetadata/v1/instance/service-accounts/default/identity?audience=a",
                     kMetadataFlavor);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  res = metadata.Get("/emulator/calls");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body, nullptr, false)["metadata_identity"], 2);
  EXPECT_THAT(RawRequest(metadata_port, "POST /emulator/reset_calls HTTP/1.1"),
              StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(RawRequest(metadata_port, "POST /emulator/lifetime?seconds=x HTTP/1.1"),
              AllOf(StartsWith("HTTP/1.1 400"), HasSubstr("seconds")));

  // An idle keep-alive connection must not hold up the exit.
  httplib::Client idle("http://" + metadata_host);
  idle.set_keep_alive(true);
  ASSERT_TRUE(idle.Get("/computeMetadata/v1/project/project-id", kMetadataFlavor));

  ASSERT_EQ(kill(emulator.pid(), SIGTERM), 0);
  absl::Time start = absl::Now();
  EXPECT_EQ(emulator.WaitForExit(absl::Seconds(5)), 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_NE(access(ready_file.c_str(), F_OK), 0) << "the ready file outlived the emulator";
}

TEST(GoogleEmulatorMainTest, BadFlagValueFailsFast) {
  EmulatorProcess emulator({EmulatorBinary(), "--key_file=missing-equals-sign"});
  EXPECT_EQ(emulator.WaitForExit(absl::Seconds(10)), 1);
}

}  // namespace
