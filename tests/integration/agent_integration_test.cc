// The real gtoken binary against the Google emulators over real sockets (plain HTTP to
// the metadata server, TLS to IAM Credentials and OAuth2), as a pod would run it.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/jwt/jwt.h"
#include "tests/emulators/google/google_emulator.h"
#include "tests/util/subprocess.h"

namespace gtoken {
namespace {

using ::gtoken::testing::Endpoint;
using ::gtoken::testing::Fault;
using ::gtoken::testing::FaultSpec;
using ::gtoken::testing::GoogleEmulator;
using ::gtoken::testing::GoogleEmulatorOptions;
using ::gtoken::testing::MakeTempDir;
using ::gtoken::testing::ReadFileOrEmpty;
using ::gtoken::testing::Runfile;
using ::gtoken::testing::Subprocess;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kDefaultAudience[] = "gtoken/sts/assume-role-with-web-identity";
constexpr char kDefaultSa[] = "default-sa@emulated-project.iam.gserviceaccount.com";

bool VerifyRs256(const std::string& token, const std::string& public_key_pem) {
  size_t dot = token.rfind('.');
  if (dot == std::string::npos) return false;
  absl::StatusOr<std::string> sig = jwt::Base64UrlDecode(token.substr(dot + 1));
  if (!sig.ok()) return false;
  BIO* bio = BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                             reinterpret_cast<const unsigned char*>(token.data()), dot) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto emulator = GoogleEmulator::Start(GoogleEmulatorOptions{});
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    dir_ = MakeTempDir("agent");
    token_file_ = dir_ + "/gtoken";
  }

  // The environment a GKE pod gives gtoken, pointed at the emulators.
  std::map<std::string, std::string> Env() {
    return {{"GCE_METADATA_HOST", emulator_->metadata_host()},
            {"SSL_CERT_FILE", emulator_->ca_file()}};
  }

  std::vector<std::string> Args(std::vector<std::string> extra) {
    std::vector<std::string> args = {Runfile("agent/gtoken"),
                                     "--iam-credentials-url=" + emulator_->iam_credentials_url()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Runs a --refresh=false agent to completion.
  int RunOnce(std::vector<std::string> extra, std::string* err = nullptr,
              std::map<std::string, std::string> env = {}) {
    std::vector<std::string> args = Args(extra);
    args.push_back("--refresh=false");
    std::map<std::string, std::string> full = Env();
    for (auto& [k, v] : env) full[k] = v;
    Subprocess agent(args, full);
    int code = agent.Wait(absl::Seconds(20));
    if (err != nullptr) *err = agent.Stderr();
    return code;
  }

  nlohmann::json Claims(const std::string& token) {
    auto decoded = jwt::DecodeUnverified(token);
    EXPECT_TRUE(decoded.ok()) << decoded.status();
    return decoded.ok() ? decoded->claims : nlohmann::json();
  }

  // Waits (bounded) until the token file content differs from `old`.
  std::string WaitForNewToken(const std::string& old, absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      std::string now = ReadFileOrEmpty(token_file_);
      if (!now.empty() && now != old) return now;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return "";
  }

  std::unique_ptr<GoogleEmulator> emulator_;
  std::string dir_;
  std::string token_file_;
};

TEST_F(AgentTest, MetadataSourceWritesExactlyTheGoogleSignedJwt) {
  std::string err;
  ASSERT_EQ(RunOnce({"--source=metadata", "--file=" + token_file_}, &err), 0) << err;
  std::string token = ReadFileOrEmpty(token_file_);
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  EXPECT_EQ(token.find('\n'), std::string::npos);  // exactly the JWT
  EXPECT_TRUE(VerifyRs256(token, emulator_->id_token_public_key_pem()));
  nlohmann::json claims = Claims(token);
  EXPECT_EQ(claims["aud"], kDefaultAudience);
  EXPECT_EQ(claims["iss"], "https://accounts.google.com");
  EXPECT_EQ(claims["email"], kDefaultSa);  // format=full
  struct stat st;
  ASSERT_EQ(stat(token_file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(emulator_->CallCount(Endpoint::kMetadataIdentity), 1);
  EXPECT_THAT(err, Not(HasSubstr(token.substr(0, 40))));  // never logs the token
  EXPECT_THAT(err, HasSubstr("event=token_written"));
}

TEST_F(AgentTest, FileModeAndAudienceFlags) {
  ASSERT_EQ(RunOnce({"--source=metadata", "--file=" + token_file_, "--file-mode=0600",
                     "--audience=sts.amazonaws.com"}),
            0);
  struct stat st;
  ASSERT_EQ(stat(token_file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(Claims(ReadFileOrEmpty(token_file_))["aud"], "sts.amazonaws.com");
}

TEST_F(AgentTest, StdoutWithoutFile) {
  Subprocess agent(Args({"--source=metadata", "--refresh=false"}), Env());
  ASSERT_EQ(agent.Wait(absl::Seconds(20)), 0) << agent.Stderr();
  std::string out = agent.Stdout();
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  out.pop_back();
  EXPECT_TRUE(VerifyRs256(out, emulator_->id_token_public_key_pem()));
}

TEST_F(AgentTest, IamSourceWithMetadataCredentialsMintsForDefaultAccount) {
  std::string err;
  ASSERT_EQ(RunOnce({"--source=iam", "--file=" + token_file_}, &err), 0) << err;
  std::string token = ReadFileOrEmpty(token_file_);
  EXPECT_TRUE(VerifyRs256(token, emulator_->id_token_public_key_pem()));
  nlohmann::json claims = Claims(token);
  EXPECT_EQ(claims["email"], kDefaultSa);  // includeEmail: true
  EXPECT_EQ(claims["sub"], emulator_->AddServiceAccount(kDefaultSa).unique_id);
  EXPECT_EQ(emulator_->CallCount(Endpoint::kMetadataEmail), 1);
  EXPECT_EQ(emulator_->CallCount(Endpoint::kMetadataToken), 1);
  EXPECT_EQ(emulator_->CallCount(Endpoint::kIamGenerateIdToken), 1);
  EXPECT_EQ(emulator_->CallCount(Endpoint::kMetadataIdentity), 0);
}

TEST_F(AgentTest, IamSourceForAnotherServiceAccountNeedsTokenCreator) {
  const std::string app = "app@emulated-project.iam.gserviceaccount.com";
  auto account = emulator_->AddServiceAccount(app);
  std::string err;
  EXPECT_EQ(RunOnce({"--source=iam", "--service-account=" + app, "--file=" + token_file_,
                     "--retry-timeout=1s"},
                    &err),
            1);
  EXPECT_THAT(err, HasSubstr("HTTP 403: PERMISSION_DENIED: Permission "
                             "'iam.serviceAccounts.getOpenIdToken' denied"));
  EXPECT_EQ(ReadFileOrEmpty(token_file_), "");

  emulator_->AllowTokenCreator(kDefaultSa, app);
  ASSERT_EQ(RunOnce({"--source=iam", "--service-account=" + app, "--file=" + token_file_}, &err), 0)
      << err;
  nlohmann::json claims = Claims(ReadFileOrEmpty(token_file_));
  EXPECT_EQ(claims["email"], app);
  EXPECT_EQ(claims["sub"], account.unique_id);
}

TEST_F(AgentTest, IamSourceWithServiceAccountKeyFile) {
  const std::string keyed = "keyed@emulated-project.iam.gserviceaccount.com";
  std::string key_file = dir_ + "/key.json";
  ASSERT_TRUE(emulator_->WriteServiceAccountKeyFile(keyed, key_file).ok());
  std::string err;
  ASSERT_EQ(RunOnce({"--source=iam", "--file=" + token_file_}, &err,
                    {{"GOOGLE_APPLICATION_CREDENTIALS", key_file}}),
            0)
      << err;
  nlohmann::json claims = Claims(ReadFileOrEmpty(token_file_));
  EXPECT_EQ(claims["email"], keyed);
  EXPECT_EQ(emulator_->CallCount(Endpoint::kOAuth2Token), 1);
  EXPECT_EQ(emulator_->CallCount(Endpoint::kMetadataToken), 0);
  EXPECT_THAT(err, Not(HasSubstr("PRIVATE KEY")));
}

TEST_F(AgentTest, UnreadableKeyFileIsAClearError) {
  std::string err;
  EXPECT_EQ(RunOnce({"--source=iam", "--file=" + token_file_}, &err,
                    {{"GOOGLE_APPLICATION_CREDENTIALS", dir_ + "/missing.json"}}),
            1);
  EXPECT_THAT(err, HasSubstr("GOOGLE_APPLICATION_CREDENTIALS: cannot read service-account key "
                             "file " + dir_ + "/missing.json: No such file or directory"));
  std::string not_json = dir_ + "/bad.json";
  std::ofstream(not_json) << "-----BEGIN PRIVATE KEY-----\nabc\n";
  EXPECT_EQ(RunOnce({"--source=iam"}, &err, {{"GOOGLE_APPLICATION_CREDENTIALS", not_json}}), 1);
  EXPECT_THAT(err, HasSubstr("service-account key file " + not_json + " is not JSON"));
  EXPECT_THAT(err, Not(HasSubstr("abc")));
}

struct ErrorCase {
  const char* name;
  Endpoint endpoint;
  FaultSpec fault;
  const char* source;
  const char* expected;
};

class AgentErrorTest : public AgentTest, public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(AgentErrorTest, OneShotRetriesThenExitsNonZeroWithClearMessageAndNoFile) {
  const ErrorCase& c = GetParam();
  emulator_->SetFault(c.endpoint, c.fault);
  std::string err;
  absl::Time start = absl::Now();
  EXPECT_EQ(RunOnce({std::string("--source=") + c.source, "--file=" + token_file_,
                     "--retry-timeout=2s", "--http-timeout=300ms"},
                    &err),
            1);
  EXPECT_LT(absl::Now() - start, absl::Seconds(6));
  EXPECT_THAT(err, HasSubstr("event=giving_up"));
  EXPECT_THAT(err, HasSubstr(c.expected));
  EXPECT_GE(emulator_->CallCount(c.endpoint), 2) << "retried";
  EXPECT_EQ(ReadFileOrEmpty(token_file_), "");
  EXPECT_EQ(access(token_file_.c_str(), F_OK), -1);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, AgentErrorTest,
    ::testing::Values(
        ErrorCase{"metadata403", Endpoint::kMetadataIdentity, {Fault::kStatus, 403}, "metadata",
                  "/computeMetadata/v1/instance/service-accounts/default/identity: HTTP 403"},
        ErrorCase{"metadata404", Endpoint::kMetadataIdentity, {Fault::kStatus, 404}, "metadata",
                  "identity: HTTP 404"},
        ErrorCase{"metadata500", Endpoint::kMetadataIdentity, {Fault::kStatus, 500}, "metadata",
                  "identity: HTTP 500"},
        ErrorCase{"metadataTimeout", Endpoint::kMetadataIdentity,
                  {Fault::kStall, 0, absl::Seconds(5)}, "metadata", "response timed out"},
        ErrorCase{"metadataClose", Endpoint::kMetadataIdentity, {Fault::kCloseConnection},
                  "metadata", "metadata server"},
        ErrorCase{"notAJwt", Endpoint::kMetadataIdentity, {Fault::kNotAJwt}, "metadata",
                  "metadata server returned an unusable ID token: not a JWT"},
        ErrorCase{"jwtWithoutExp", Endpoint::kMetadataIdentity, {Fault::kJwtWithoutExp},
                  "metadata", "JWT has no numeric `exp` claim"},
        ErrorCase{"iamMalformedJson", Endpoint::kIamGenerateIdToken, {Fault::kMalformedJson},
                  "iam", "returned a malformed reply (want JSON with \\\"token\\\")"},
        ErrorCase{"iam500", Endpoint::kIamGenerateIdToken, {Fault::kStatus, 500}, "iam",
                  "generateIdToken for default-sa@emulated-project.iam.gserviceaccount.com: HTTP 500"},
        ErrorCase{"iamNotAJwt", Endpoint::kIamGenerateIdToken, {Fault::kNotAJwt}, "iam",
                  "unusable ID token: not a JWT"},
        ErrorCase{"metadataTokenTimeout", Endpoint::kMetadataToken,
                  {Fault::kStall, 0, absl::Seconds(5)}, "iam", "timed out"}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

TEST_F(AgentTest, UnwritableDirectoryIsAClearErrorAndLeavesNothing) {
  std::string err;
  EXPECT_EQ(RunOnce({"--source=metadata", "--file=" + dir_ + "/no/such/dir/gtoken",
                     "--retry-timeout=1s"},
                    &err),
            1);
  EXPECT_THAT(err, HasSubstr("cannot use directory " + dir_ + "/no/such/dir: No such file"));
  // Read-only: /proc refuses new files even for root.
  EXPECT_EQ(RunOnce({"--source=metadata", "--file=/proc/gtoken", "--retry-timeout=1s"}, &err), 1);
  EXPECT_THAT(err, HasSubstr("cannot create a temp file in /proc"));
}

TEST_F(AgentTest, BadFlagsExitTwoWithMessage) {
  std::string err;
  EXPECT_EQ(RunOnce({"--file-mode=rw"}, &err), 2);
  EXPECT_THAT(err, HasSubstr("--file-mode: not an octal mode: \"rw\""));
  EXPECT_EQ(RunOnce({"--source=carrier-pigeon"}, &err), 2);
  EXPECT_THAT(err, HasSubstr("unknown source \"carrier-pigeon\""));
  EXPECT_EQ(RunOnce({"--no-such-flag=1"}, &err), 2);
  EXPECT_THAT(err, HasSubstr("unknown flag --no-such-flag"));
  EXPECT_EQ(RunOnce({"--http-timeout=soon"}, &err), 2);
  EXPECT_THAT(err, HasSubstr("--http-timeout: "));
  EXPECT_EQ(RunOnce({"--max-backoff=0s"}, &err), 2);
  EXPECT_THAT(err, HasSubstr("--max-backoff must be at least 100ms"));
  EXPECT_EQ(RunOnce({"--source=broker"}, &err), 2);
  EXPECT_THAT(err, HasSubstr("no broker client yet"));
}

TEST_F(AgentTest, HelpAndVersion) {
  for (const char* flag : {"--help", "-h"}) {
    Subprocess agent({Runfile("agent/gtoken"), flag});
    EXPECT_EQ(agent.Wait(absl::Seconds(5)), 0);
    EXPECT_THAT(agent.Stdout(), HasSubstr("--refresh               auto refresh ID token"));
    EXPECT_THAT(agent.Stdout(), HasSubstr("--file value"));
  }
  for (const char* flag : {"--version", "-v"}) {
    Subprocess agent({Runfile("agent/gtoken"), flag});
    EXPECT_EQ(agent.Wait(absl::Seconds(5)), 0);
    EXPECT_THAT(agent.Stdout(), ::testing::StartsWith("gtoken version "));
  }
}

TEST_F(AgentTest, RefreshModeRewritesAheadOfExpiry) {
  emulator_->SetIdTokenLifetime(absl::Seconds(4));
  Subprocess agent(Args({"--source=metadata", "--file=" + token_file_}), Env());
  std::string first = WaitForNewToken("", absl::Seconds(10));
  ASSERT_FALSE(first.empty()) << agent.Stderr();
  std::string second = WaitForNewToken(first, absl::Seconds(10));
  ASSERT_FALSE(second.empty()) << agent.Stderr();
  // Replaced before the first one expired.
  EXPECT_LT(absl::Now(), absl::FromUnixSeconds(Claims(first)["exp"].get<int64_t>()));
  EXPECT_TRUE(VerifyRs256(second, emulator_->id_token_public_key_pem()));
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(absl::Seconds(2)), 0);
}

TEST_F(AgentTest, RefreshModeKeepsValidFileWhileUpstreamFailsThenRecovers) {
  emulator_->SetIdTokenLifetime(absl::Seconds(3));
  Subprocess agent(Args({"--source=metadata", "--file=" + token_file_, "--max-backoff=1s"}), Env());
  std::string first = WaitForNewToken("", absl::Seconds(10));
  ASSERT_FALSE(first.empty()) << agent.Stderr();
  emulator_->SetFault(Endpoint::kMetadataIdentity, {Fault::kStatus, 503});
  int calls = emulator_->CallCount(Endpoint::kMetadataIdentity);
  // Past the refresh point: the agent keeps trying and the file keeps the last good token.
  absl::SleepFor(absl::Seconds(4));
  EXPECT_GT(emulator_->CallCount(Endpoint::kMetadataIdentity), calls + 1);
  EXPECT_EQ(ReadFileOrEmpty(token_file_), first);
  EXPECT_TRUE(agent.Running()) << "never exits on a transient error";
  EXPECT_THAT(agent.Stderr(), HasSubstr("event=fetch_failed"));
  EXPECT_THAT(agent.Stderr(), HasSubstr("event=token_expired"));
  emulator_->ClearFaults();
  std::string recovered = WaitForNewToken(first, absl::Seconds(5));
  EXPECT_FALSE(recovered.empty());
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(absl::Seconds(2)), 0);
}

// SIGTERM/SIGINT: exit 0 within a second whatever the agent is doing.
absl::Duration TimeToExit(Subprocess& agent, int sig, int* code) {
  absl::Time start = absl::Now();
  agent.Signal(sig);
  *code = agent.Wait(absl::Seconds(5));
  return absl::Now() - start;
}

TEST_F(AgentTest, SigtermWhileIdleExitsZeroWithinASecond) {
  Subprocess agent(Args({"--source=metadata", "--file=" + token_file_}), Env());
  ASSERT_FALSE(WaitForNewToken("", absl::Seconds(10)).empty());
  int code;
  EXPECT_LT(TimeToExit(agent, SIGTERM, &code), absl::Seconds(1));
  EXPECT_EQ(code, 0);
  EXPECT_THAT(agent.Stderr(), HasSubstr("event=stopping signal=SIGTERM"));
}

TEST_F(AgentTest, SigintMidBackoffExitsZeroWithinASecond) {
  emulator_->SetFault(Endpoint::kMetadataIdentity, {Fault::kStatus, 500});
  Subprocess agent(Args({"--source=metadata", "--file=" + token_file_}), Env());
  // Let it fail a few times so it sits in a multi-second backoff.
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (emulator_->CallCount(Endpoint::kMetadataIdentity) < 3 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_GE(emulator_->CallCount(Endpoint::kMetadataIdentity), 3);
  int code;
  EXPECT_LT(TimeToExit(agent, SIGINT, &code), absl::Seconds(1));
  EXPECT_EQ(code, 0);
}

TEST_F(AgentTest, SigtermMidRequestExitsZeroWithinASecond) {
  emulator_->SetFault(Endpoint::kMetadataIdentity, {Fault::kStall, 0, absl::Seconds(30)});
  for (bool refresh : {true, false}) {
    Subprocess agent(Args({"--source=metadata", "--file=" + token_file_, "--http-timeout=30s",
                           absl::StrCat("--refresh=", refresh)}),
                     Env());
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    int before = emulator_->CallCount(Endpoint::kMetadataIdentity);
    while (emulator_->CallCount(Endpoint::kMetadataIdentity) == before && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    absl::SleepFor(absl::Milliseconds(100));
    int code;
    EXPECT_LT(TimeToExit(agent, SIGTERM, &code), absl::Seconds(1)) << "refresh=" << refresh;
    EXPECT_EQ(code, 0);
  }
  EXPECT_EQ(access(token_file_.c_str(), F_OK), -1);
}

}  // namespace
}  // namespace gtoken
