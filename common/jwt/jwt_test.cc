#include "common/jwt/jwt.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <gtest/gtest.h>

namespace gtoken::jwt {
namespace {

TEST(Base64Url, RoundTripsAllLengths) {
  std::string data;
  for (int i = 0; i < 300; ++i) {
    absl::StatusOr<std::string> back = Base64UrlDecode(Base64UrlEncode(data));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, data);
    data.push_back(static_cast<char>(i * 37));
  }
}

TEST(Base64Url, KnownVectorsAndPadding) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(*Base64UrlDecode("-_8="), "\xfb\xff");
  EXPECT_FALSE(Base64UrlDecode("a+b/").ok());
  EXPECT_FALSE(Base64UrlDecode("abcde").ok());
}

std::string Token(const std::string& header, const std::string& claims) {
  return Base64UrlEncode(header) + "." + Base64UrlEncode(claims) + "." + Base64UrlEncode("sig");
}

TEST(ReadTokenTimes, ReadsExpAndIat) {
  auto t = ReadTokenTimes(Token(R"({"alg":"RS256"})", R"({"exp":2000,"iat":1000})"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->expire_time, absl::FromUnixSeconds(2000));
  EXPECT_EQ(t->issue_time, absl::FromUnixSeconds(1000));
}

TEST(ReadTokenTimes, RejectsWhatIsNotAJwtWithClearMessages) {
  EXPECT_EQ(ReadTokenTimes("not-a-jwt").status().message(),
            "not a JWT: expected three non-empty base64url parts separated by '.'");
  EXPECT_EQ(ReadTokenTimes("<html>.x.y").status().message(), "JWT header is not base64url");
  EXPECT_EQ(ReadTokenTimes(Token("{}", "[1]")).status().message(),
            "JWT claims is not a JSON object");
  EXPECT_EQ(ReadTokenTimes(Token("{}", R"({"iat":1})")).status().message(),
            "JWT has no numeric `exp` claim");
  EXPECT_EQ(ReadTokenTimes(Token("{}", R"({"exp":"soon"})")).status().message(),
            "JWT has no numeric `exp` claim");
}

TEST(SignRs256, ProducesSignatureThatOpenSslVerifies) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  ASSERT_NE(key, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* pem_data;
  long pem_len = BIO_get_mem_data(bio, &pem_data);
  std::string pem(pem_data, pem_len);
  BIO_free(bio);

  auto token = SignRs256({{"iss", "a@b"}, {"exp", 5}}, pem, "kid-1");
  ASSERT_TRUE(token.ok()) << token.status();
  auto decoded = DecodeUnverified(*token);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->header["alg"], "RS256");
  EXPECT_EQ(decoded->header["kid"], "kid-1");
  EXPECT_EQ(decoded->claims["iss"], "a@b");

  size_t dot = token->rfind('.');
  std::string input = token->substr(0, dot);
  std::string sig = *Base64UrlDecode(token->substr(dot + 1));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key), 1);
  EXPECT_EQ(EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()),
            1);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
}

TEST(SignRs256, RejectsBadKey) {
  EXPECT_EQ(SignRs256({}, "-----BEGIN PRIVATE KEY-----\nnope\n", "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gtoken::jwt
