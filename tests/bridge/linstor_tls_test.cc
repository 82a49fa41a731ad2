// Unit side of HTTPS to LINSTOR and TLS to NATS in the bridge's configuration: URL defaults
// (3370 for http, 3371 for https, like LINSTOR), loading the TLS material from files or PEM text
// (golinstor's LS_ROOT_CA style) with errors naming the flag, and the config-file keys.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "bridge/bridge.h"
#include "bridge/linstor_client.h"
#include "common/tls_certs.h"
#include "tests/bridge/testutil_bridge.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::bridge {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const tls::CertificateFiles& Certs() {
  static const tls::CertificateFiles files = [] {
    auto f = tls::GenerateCertificates(testing::MakeTempDir("lnsim-linstor-tls") + "/pki");
    LNSIM_CHECK(f.ok());
    return *f;
  }();
  return files;
}

TEST(LinstorTlsTest, UrlDefaultsFollowLinstorPorts) {
  EXPECT_EQ(*NormalizeControllerUrl("ctrl"), "http://ctrl:3370");
  EXPECT_EQ(*NormalizeControllerUrl("https://ctrl"), "https://ctrl:3371");
  EXPECT_EQ(*NormalizeControllerUrl("https://ctrl:8443/"), "https://ctrl:8443");
  EXPECT_EQ(*NormalizeControllerUrl("https://[::1]"), "https://[::1]:3371");
  auto bad = NormalizeControllerUrl("ftp://ctrl");
  ASSERT_THAT(bad, StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("http or https")));
}

TEST(LinstorTlsTest, LoadsFilesOrPemTextAndNamesTheFlagOnErrors) {
  LinstorTlsOptions files;
  files.ca = Certs().ca_cert;
  files.cert = Certs().client_cert;
  files.key = Certs().client_key;
  EXPECT_TRUE(LoadLinstorTls(files).ok());

  LinstorTlsOptions text;  // what LS_ROOT_CA / LS_USER_CERTIFICATE / LS_USER_KEY hold
  text.ca = Slurp(Certs().ca_cert);
  text.cert = Slurp(Certs().client_cert);
  text.key = Slurp(Certs().client_key);
  auto from_text = LoadLinstorTls(text);
  EXPECT_TRUE(from_text.ok()) << from_text.status().ToString();

  LinstorTlsOptions missing;
  missing.ca = "/nonexistent/ca.pem";
  auto st = LoadLinstorTls(missing);
  ASSERT_THAT(st, StatusIs(StatusCode::kInvalidArgument,
                           "--linstor-ca '/nonexistent/ca.pem': no such file"));

  LinstorTlsOptions not_pem;
  not_pem.ca = testing::WriteFile(testing::MakeTempDir("lnsim-linstor-tls"), "ca.txt", "hello\n");
  st = LoadLinstorTls(not_pem);
  ASSERT_THAT(st, StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("not a PEM file")));

  LinstorTlsOptions half;
  half.cert = Certs().client_cert;
  st = LoadLinstorTls(half);
  ASSERT_THAT(st, StatusIs(StatusCode::kInvalidArgument,
                           ::testing::HasSubstr("--linstor-cert and --linstor-key")));

  LinstorTlsOptions mismatch = files;
  mismatch.key = Certs().server_key;  // a real key, but not the certificate's
  st = LoadLinstorTls(mismatch);
  ASSERT_THAT(st, StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("does not match")));
}

TEST(LinstorTlsTest, ConfigFileKeysAndValidation) {
  const std::string dir = testing::MakeTempDir("lnsim-linstor-tls");
  const std::string path = testing::WriteFile(
      dir, "bridge.yaml",
      "linstor: https://ctrl\nlinstor-ca: " + Certs().ca_cert + "\nnats: tls://n1:4222\n" +
          "tls-ca: " + Certs().ca_cert + "\ntls-cert: " + Certs().client_cert +
          "\ntls-key: " + Certs().client_key + "\ncluster: c\n");
  BridgeConfig c;
  ASSERT_TRUE(LoadBridgeConfigFile(path, &c).ok());
  EXPECT_EQ(c.linstor_tls.ca, Certs().ca_cert);
  EXPECT_EQ(c.nats_tls.ca, Certs().ca_cert);
  EXPECT_EQ(c.nats_tls.cert, Certs().client_cert);
  EXPECT_EQ(c.nats_tls.key, Certs().client_key);
  ASSERT_TRUE(ValidateBridgeConfig(&c).ok());
  EXPECT_EQ(c.linstor_urls[0], "https://ctrl:3371");

  c.linstor_tls.ca = dir + "/missing.pem";
  Status st = ValidateBridgeConfig(&c);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "--linstor-ca '" + dir + "/missing.pem': no such file");
}

}  // namespace
}  // namespace lnsim::bridge
