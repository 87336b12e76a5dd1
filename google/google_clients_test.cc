// Request shapes and error messages of the Google clients, against a fake HTTP client.
// (tests/integration runs the same clients through the gtoken binary against emulators.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "common/time/simulated_clock.h"
#include "google/access_token_provider.h"
#include "google/iam_credentials_client.h"
#include "google/id_token_source.h"
#include "google/metadata_client.h"
#include "tests/fakes/fake_http_client.h"
#include "tests/util/files.h"
#include "tests/fakes/fake_id_token_source.h"

namespace gtoken::google {
namespace {

using ::gtoken::testing::FakeHttpClient;
using ::gtoken::testing::MakeJwt;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(MetadataIdTokenSource, RequestsIdentityWithFlavorHeaderAudienceAndFormatFull) {
  FakeHttpClient http;
  http.Reply(200, MakeJwt(kT0, kT0 + absl::Hours(1)) + "\n");
  MetadataClient metadata(http, "169.254.169.254", absl::Seconds(5));
  MetadataIdTokenSource source(metadata);
  absl::StatusOr<IdToken> token = source.Fetch("gtoken/sts/assume-role-with-web-identity");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->expire_time, kT0 + absl::Hours(1));
  ASSERT_EQ(http.requests().size(), 1u);
  const http::Request& r = http.requests()[0];
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url,
            "http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/identity"
            "?audience=gtoken%2Fsts%2Fassume-role-with-web-identity&format=full");
  EXPECT_THAT(r.headers, ::testing::Contains(std::make_pair(std::string("Metadata-Flavor"),
                                                            std::string("Google"))));
  EXPECT_EQ(r.timeout, absl::Seconds(5));
}

TEST(MetadataIdTokenSource, HttpErrorsNameTheEndpointAndStatus) {
  struct Case {
    int status;
    absl::StatusCode code;
  };
  for (Case c : {Case{403, absl::StatusCode::kPermissionDenied},
                 Case{404, absl::StatusCode::kNotFound}, Case{500, absl::StatusCode::kInternal},
                 Case{503, absl::StatusCode::kUnavailable}}) {
    FakeHttpClient http;
    http.Reply(c.status, "Some error\n");
    MetadataClient metadata(http, "meta:80", absl::Seconds(1));
    absl::Status s = MetadataIdTokenSource(metadata).Fetch("a").status();
    EXPECT_EQ(s.code(), c.code);
    EXPECT_EQ(s.message(), absl::StrCat("metadata server meta:80 GET /computeMetadata/v1/instance/"
                                        "service-accounts/default/identity: HTTP ",
                                        c.status, ": Some error"));
  }
}

TEST(MetadataIdTokenSource, ReplyThatIsNotAJwt) {
  FakeHttpClient http;
  http.Reply(200, "<html>hello</html>");
  MetadataClient metadata(http, "m", absl::Seconds(1));
  absl::Status s = MetadataIdTokenSource(metadata).Fetch("a").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(),
            "metadata server returned an unusable ID token: not a JWT: expected three non-empty "
            "base64url parts separated by '.'");
}

TEST(MetadataIdTokenSource, TransportErrorKeepsItsCode) {
  FakeHttpClient http;
  http.ReplyError(absl::DeadlineExceededError("response timed out"));
  MetadataClient metadata(http, "m", absl::Seconds(1));
  absl::Status s = MetadataIdTokenSource(metadata).Fetch("a").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(s.message()), HasSubstr("metadata server m GET"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("response timed out"));
}

TEST(IamIdTokenSource, MetadataCredentialsThenGenerateIdTokenForDefaultEmail) {
  FakeHttpClient http;
  SimulatedClock clock(kT0);
  http.Reply(200, "app@p.iam.gserviceaccount.com");  // email
  http.Reply(200, R"({"access_token":"ya29.abc","expires_in":3599,"token_type":"Bearer"})");
  http.Reply(200, nlohmann::json{{"token", MakeJwt(kT0, kT0 + absl::Hours(1))}}.dump());
  http.Reply(200, nlohmann::json{{"token", MakeJwt(kT0, kT0 + absl::Hours(1))}}.dump());
  MetadataClient metadata(http, "m", absl::Seconds(1));
  MetadataAccessTokenProvider credentials(metadata, clock);
  IamCredentialsClient iam(http, "https://iam.example/", absl::Seconds(1));
  IamIdTokenSource source(iam, credentials, "");
  ASSERT_TRUE(source.Fetch("aud").ok());
  ASSERT_TRUE(source.Fetch("aud").ok());  // access token and email are cached
  ASSERT_EQ(http.requests().size(), 4u);
  const http::Request& r = http.requests()[2];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url,
            "https://iam.example/v1/projects/-/serviceAccounts/"
            "app%40p.iam.gserviceaccount.com:generateIdToken");
  EXPECT_THAT(r.headers, ::testing::Contains(std::make_pair(std::string("Authorization"),
                                                            std::string("Bearer ya29.abc"))));
  nlohmann::json body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body, (nlohmann::json{{"audience", "aud"}, {"includeEmail", true}}));
}

// IAM Credentials replies for a fixed account, after the metadata server's access token.
class IamReplyTest : public ::testing::Test {
 protected:
  IamReplyTest() : clock_(kT0), metadata_(http_, "m", absl::Seconds(1)),
                   credentials_(metadata_, clock_), iam_(http_, "https://iam", absl::Seconds(1)) {
    http_.Reply(200, R"({"access_token":"ya29.abc","expires_in":3599})");
  }

  absl::Status FetchWithIamReply(int status, const std::string& body) {
    http_.Reply(status, body);
    return IamIdTokenSource(iam_, credentials_, "x@p.iam.gserviceaccount.com").Fetch("a").status();
  }

  FakeHttpClient http_;
  SimulatedClock clock_;
  MetadataClient metadata_;
  MetadataAccessTokenProvider credentials_;
  IamCredentialsClient iam_;
};

TEST_F(IamReplyTest, GoogleJsonErrorBecomesStatusWithGoogleMessage) {
  absl::Status s = FetchWithIamReply(
      403, R"({"error":{"code":403,"message":"Permission 'iam.serviceAccounts.getOpenIdToken' denied on resource (or it may not exist).","status":"PERMISSION_DENIED"}})");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "IAM Credentials generateIdToken for x@p.iam.gserviceaccount.com: HTTP 403: "
            "PERMISSION_DENIED: Permission 'iam.serviceAccounts.getOpenIdToken' denied on resource "
            "(or it may not exist).");
}

TEST_F(IamReplyTest, MalformedJsonReply) {
  absl::Status s = FetchWithIamReply(200, R"({"token": )");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(),
            "IAM Credentials generateIdToken for x@p.iam.gserviceaccount.com returned a malformed "
            "reply (want JSON with \"token\")");
}

TEST_F(IamReplyTest, JwtWithoutExp) {
  std::string no_exp =
      jwt::Base64UrlEncode("{}") + "." + jwt::Base64UrlEncode(R"({"aud":"a"})") + ".c2ln";
  absl::Status s = FetchWithIamReply(200, nlohmann::json{{"token", no_exp}}.dump());
  EXPECT_EQ(s.message(),
            "IAM Credentials generateIdToken for x@p.iam.gserviceaccount.com returned an unusable "
            "ID token: JWT has no numeric `exp` claim");
}

TEST(MetadataAccessTokenProvider, RefetchesShortlyBeforeExpiry) {
  FakeHttpClient http;
  SimulatedClock clock(kT0);
  http.Reply(200, R"({"access_token":"ya29.one","expires_in":300})");
  http.Reply(200, R"({"access_token":"ya29.two","expires_in":300})");
  MetadataClient metadata(http, "m", absl::Seconds(1));
  MetadataAccessTokenProvider credentials(metadata, clock);
  EXPECT_EQ(*credentials.GetAccessToken(), "ya29.one");
  clock.Advance(absl::Minutes(3));
  EXPECT_EQ(*credentials.GetAccessToken(), "ya29.one");
  clock.Advance(absl::Minutes(1) + absl::Seconds(1));  // within a minute of expiry
  EXPECT_EQ(*credentials.GetAccessToken(), "ya29.two");
}

std::string WriteTemp(const std::string& name, const std::string& contents) {
  static const std::string dir = ::gtoken::testing::MakeTempDir("google_clients_test");
  std::string path = dir + "/" + name;
  std::ofstream(path) << contents;
  return path;
}

TEST(LoadServiceAccountKey, ClearErrors) {
  EXPECT_THAT(std::string(LoadServiceAccountKey("/nonexistent/key.json").status().message()),
              HasSubstr("cannot read service-account key file /nonexistent/key.json: No such file"));
  EXPECT_EQ(LoadServiceAccountKey(WriteTemp("k1", "{nope")).status().message(),
            absl::StrCat("service-account key file ", WriteTemp("k1", "{nope"), " is not JSON"));
  EXPECT_THAT(std::string(LoadServiceAccountKey(WriteTemp("k2", R"({"type":"authorized_user"})"))
                              .status()
                              .message()),
              HasSubstr("is not a service-account key"));
  EXPECT_THAT(std::string(LoadServiceAccountKey(
                              WriteTemp("k3", R"({"type":"service_account","client_email":"a@b"})"))
                              .status()
                              .message()),
              HasSubstr("has no \"private_key\""));
}

TEST(LoadServiceAccountKey, DefaultsTokenUri) {
  auto key = LoadServiceAccountKey(WriteTemp(
      "k4", R"({"type":"service_account","client_email":"a@b","private_key":"PEM"})"));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->token_uri, "https://oauth2.googleapis.com/token");
}

TEST(ServiceAccountKeyAccessTokenProvider, OAuth2ErrorIsReported) {
  FakeHttpClient http;
  SimulatedClock clock(kT0);
  http.Reply(400, R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})");
  // A throwaway key: the fake server never checks it.
  FILE* p = popen("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null", "r");
  std::string pem;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) pem.append(buf, n);
  pclose(p);
  ServiceAccountKey key{"a@p.iam.gserviceaccount.com", "kid1", pem, "https://oauth2.example/token"};
  ServiceAccountKeyAccessTokenProvider credentials(http, clock, key, "", absl::Seconds(1));
  absl::Status s = credentials.GetAccessToken().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "OAuth2 token endpoint: HTTP 400: invalid_grant: Invalid JWT Signature.");
  ASSERT_EQ(http.requests().size(), 1u);
  EXPECT_EQ(http.requests()[0].url, "https://oauth2.example/token");
  EXPECT_THAT(http.requests()[0].body,
              HasSubstr("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJ"));
}

}  // namespace
}  // namespace gtoken::google
