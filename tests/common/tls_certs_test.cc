// GenerateCertificates: the files exist with the right modes, the server and client
// certificates verify against the generated CA (and not against another one), the server's
// names are the loopback ones, and CheckReadableFile names the flag and the problem.
#include "common/tls_certs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/testutil/status_matchers.h"

namespace lnsim::tls {
namespace {

std::string TempDir() {
  std::string tmpl = ::testing::TempDir() + "/lnsim-tls-XXXXXX";
  EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
  return tmpl;
}

X509* ReadCert(const std::string& path) {
  FILE* f = fopen(path.c_str(), "r");
  if (f == nullptr) return nullptr;
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  fclose(f);
  return cert;
}

// X509_verify_cert of `leaf` against `ca` alone, for `purpose`.
bool Verifies(X509* leaf, X509* ca, int purpose) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  const bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return ok;
}

mode_t Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(TlsCertsTest, GeneratesAChainThatVerifiesWithLoopbackNamesAndPrivateKeys) {
  const std::string dir = TempDir() + "/certs";  // created by GenerateCertificates
  auto files = GenerateCertificates(dir);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(Mode(files->ca_key), 0600u);
  EXPECT_EQ(Mode(files->server_key), 0600u);
  EXPECT_EQ(Mode(files->client_key), 0600u);
  EXPECT_EQ(Mode(files->ca_cert), 0644u);

  X509* ca = ReadCert(files->ca_cert);
  X509* server = ReadCert(files->server_cert);
  X509* client = ReadCert(files->client_cert);
  ASSERT_NE(ca, nullptr);
  ASSERT_NE(server, nullptr);
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(Verifies(server, ca, X509_PURPOSE_SSL_SERVER));
  EXPECT_TRUE(Verifies(client, ca, X509_PURPOSE_SSL_CLIENT));
  EXPECT_FALSE(Verifies(client, ca, X509_PURPOSE_SSL_SERVER)) << "client cert must not serve";
  EXPECT_EQ(X509_check_ip_asc(server, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(server, "::1", 0), 1);
  EXPECT_EQ(X509_check_host(server, "localhost", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_host(server, "example.com", 0, 0, nullptr), 1);

  // A second PKI's CA does not vouch for the first one's server.
  auto other = GenerateCertificates(TempDir());
  ASSERT_TRUE(other.ok());
  X509* other_ca = ReadCert(other->ca_cert);
  ASSERT_NE(other_ca, nullptr);
  EXPECT_FALSE(Verifies(server, other_ca, X509_PURPOSE_SSL_SERVER));
  for (X509* c : {ca, server, client, other_ca}) X509_free(c);
}

TEST(TlsCertsTest, RejectsAnIpAddressThatDoesNotParse) {
  CertificateOptions o;
  o.ip_addresses = {"127.0.0.300"};
  EXPECT_THAT(GenerateCertificates(TempDir(), o),
              StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("127.0.0.300")));
}

TEST(TlsCertsTest, CheckReadableFileNamesTheFlagAndTheProblem) {
  const std::string dir = TempDir();
  Status missing = CheckReadableFile(dir + "/nope.pem", "--tls-ca");
  EXPECT_EQ(missing.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.message(), "--tls-ca '" + dir + "/nope.pem': no such file");
  Status directory = CheckReadableFile(dir, "--tls-cert");
  EXPECT_EQ(directory.message(), "--tls-cert '" + dir + "': not a regular file");

  ClientTlsFiles half;
  half.cert = dir + "/client.pem";
  Status st = half.Validate("--linstor");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("--linstor-cert and --linstor-key"), std::string::npos);
}

}  // namespace
}  // namespace lnsim::tls
