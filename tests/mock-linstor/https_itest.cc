// The mock's HTTPS listener (a real controller serves HTTPS on 3371): the same API and world as
// the HTTP listener, behind a certificate a client verifies with the generated CA (and refuses
// without it); a controller_down fault closes and reopens both listeners; a certificate that
// does not load is a configuration error naming the files.
#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <memory>

#include "common/tls_certs.h"
#include "mock-linstor/server.h"
#include "sim/world.h"
#include "tests/mock-linstor/testutil_http.h"

namespace lnsim::mock {
namespace {

using testing::CanConnect;
using testing::WaitFor;

const tls::CertificateFiles& Certs() {
  static const tls::CertificateFiles files = [] {
    std::string dir = ::testing::TempDir() + "/lnsim-mock-https-XXXXXX";
    LNSIM_CHECK(mkdtemp(dir.data()) != nullptr);
    auto f = tls::GenerateCertificates(dir);
    LNSIM_CHECK(f.ok()) << f.status().ToString();
    return *f;
  }();
  return files;
}

class HttpsServerTest : public ::testing::Test {
 protected:
  Status StartWith(ServerOptions options) {
    sim::WorldSpec spec;
    spec.cluster.nodes = 3;
    spec.cluster.resources = 3;
    spec.seed = 3;
    auto world = sim::World::Create(spec, spec.seed);
    LNSIM_CHECK(world.ok());
    options.port = 0;
    options.https_port = 0;
    options.epoch_unix_ms = 1795466932000LL;
    options.tick = std::chrono::milliseconds(2);
    server_ = std::make_unique<MockServer>(std::move(world).value(), clock_, options);
    return server_->Start();
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  std::unique_ptr<httplib::SSLClient> Https(bool trust) {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", server_->https_port());
    c->enable_server_certificate_verification(true);
    if (trust) c->set_ca_cert_path(Certs().ca_cert.c_str());
    c->set_read_timeout(std::chrono::seconds(20));
    c->set_decompress(false);
    return c;
  }

  SimulatedClock clock_{Duration::zero(), 1795466932000LL * 1000000};
  std::unique_ptr<MockServer> server_;
};

TEST_F(HttpsServerTest, ServesTheSameApiOverHttpsAndGoesDownWithTheController) {
  ServerOptions o;
  o.tls_cert_file = Certs().server_cert;
  o.tls_key_file = Certs().server_key;
  const Status st = StartWith(o);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_GT(server_->https_port(), 0);
  ASSERT_NE(server_->https_port(), server_->port());

  auto secure = Https(/*trust=*/true)->Get("/v1/nodes");
  ASSERT_TRUE(secure) << httplib::to_string(secure.error());
  EXPECT_EQ(secure->status, 200);
  httplib::Client plain("127.0.0.1", server_->port());
  plain.set_decompress(false);
  auto same = plain.Get("/v1/nodes");
  ASSERT_TRUE(same);
  EXPECT_EQ(secure->body, same->body) << "one world behind both listeners";

  auto untrusted = Https(/*trust=*/false)->Get("/v1/nodes");  // system CAs only
  ASSERT_FALSE(untrusted);
  EXPECT_EQ(untrusted.error(), httplib::Error::SSLServerVerification);

  auto post = plain.Post("/lnsim/v1/faults", R"({"kind":"controller_down","duration":"10s"})",
                         "application/json");
  ASSERT_TRUE(post);
  ASSERT_EQ(post->status, 201);
  server_->TickNow();
  EXPECT_FALSE(CanConnect(server_->https_port())) << "the HTTPS socket must close too";
  EXPECT_FALSE(CanConnect(server_->port()));
  clock_.Advance(std::chrono::seconds(11));
  server_->TickNow();
  ASSERT_TRUE(WaitFor([&] { return CanConnect(server_->https_port()); }));
  auto back = Https(/*trust=*/true)->Get("/v1/controller/version");
  ASSERT_TRUE(back) << httplib::to_string(back.error());
  EXPECT_EQ(back->status, 200);
}

TEST_F(HttpsServerTest, CertificateThatDoesNotLoadIsAConfigurationError) {
  ServerOptions o;
  o.tls_cert_file = Certs().server_cert;
  o.tls_key_file = Certs().client_key;  // not the certificate's key
  const Status st = StartWith(o);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find(Certs().server_cert), std::string::npos) << st.message();
  server_.reset();
}

}  // namespace
}  // namespace lnsim::mock
