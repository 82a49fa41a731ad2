// `lnsim run` over a TLS-only bus: scenarios/tls.yaml (`nats.tls: verify`, `bridge.https`) starts
// the embedded nats-server with generated certificates and client-certificate verification and
// the mock with an HTTPS listener the bridge watches; the bridge and
// both consumers connect with the CA and the client certificate (a client without them is
// refused by the server, so a delivery proves the TLS connection), a nats-server restart
// reconnects through the handshake again, and the verdict passes with nothing lost. `lnsim
// tail` (RunTail) reads a TLS-only server with --tls-ca and is refused without it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "common/clock.h"
#include "common/tls_certs.h"
#include "harness/internal/nats_util.h"
#include "harness/nats_server.h"
#include "harness/run.h"
#include "harness/tail.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(TlsRunTest, TlsVerifyScenarioPassesWithEveryClientOnMutualTls) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("lnsim-tls-run-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  RunOptions o;
  o.scenario_path = std::string(LNSIM_SOURCE_DIR) + "/scenarios/tls.yaml";
  o.lnsim_binary = LNSIM_BINARY_PATH;
  o.work_dir = (dir / "work").string();
  o.keep_work_dir = true;
  o.command_line = "lnsim run scenarios/tls.yaml";
  RealClock clock;
  std::ostringstream log;
  RunOutcome out = RunScenario(o, clock, log);
  ASSERT_EQ(out.exit_code, 0) << out.error << "\n" << log.str();
  EXPECT_TRUE(out.report.passed);
  EXPECT_EQ(out.report.totals.lost, 0u);
  EXPECT_EQ(out.report.totals.duplicated, 0u);
  EXPECT_EQ(out.report.totals.phantom, 0u);
  ASSERT_EQ(out.report.per_consumer.size(), 2u);
  for (const auto& c : out.report.per_consumer) {
    EXPECT_GT(c.counters.delivered, 0u) << c.name;
    EXPECT_TRUE(c.converged) << c.name;
  }
  EXPECT_NE(log.str().find("TLS with client certificates"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("mock LINSTOR controller HTTPS on https://127.0.0.1:"),
            std::string::npos)
      << log.str();
  // The bridge polled and followed SSE over HTTPS: its log names the https URL and shows no TLS
  // refusal.
  const std::string bridge_log = ReadAll(o.work_dir + "/bridge.log");
  EXPECT_NE(bridge_log.find("linstor=https://127.0.0.1:"), std::string::npos) << bridge_log;
  EXPECT_EQ(bridge_log.find("SSLServerVerification"), std::string::npos) << bridge_log;

  // The server really required TLS with client certificates, before and after the restart.
  const std::string nats_log = ReadAll(o.work_dir + "/nats/nats-server.log");
  size_t starts = 0, verifying = 0;
  for (size_t p = 0; (p = nats_log.find("---- lnsim: starting", p)) != std::string::npos; ++p) {
    ++starts;
    const size_t eol = nats_log.find('\n', p);
    verifying += nats_log.substr(p, eol - p).find("--tlsverify") != std::string::npos;
  }
  EXPECT_EQ(starts, 2u) << "one start and one restart";
  EXPECT_EQ(verifying, starts);
  EXPECT_NE(nats_log.find("TLS required for client connections"), std::string::npos);

  // The generated private keys are private.
  for (const char* key : {"ca-key.pem", "server-key.pem", "client-key.pem"}) {
    const auto perms = std::filesystem::status(o.work_dir + "/tls/" + key).permissions();
    EXPECT_EQ(perms & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
        << key;
  }
  std::filesystem::remove_all(dir);
}

// Operator-mode auth and mutual TLS together: every client presents its creds over a TLS
// connection with its client certificate (the server is started with both -c and --tlsverify).
TEST(TlsRunTest, JwtAuthOverMutualTlsPasses) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("lnsim-tls-auth-run-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::string text = ReadAll(std::string(LNSIM_SOURCE_DIR) + "/scenarios/smoke.yaml");
  text += "\nnats:\n  auth: jwt\n  tls: verify\nbridge:\n  https: true\n";
  RunOptions o;
  o.scenario_path = "smoke+auth+tls.yaml";
  o.scenario_text = text;
  o.lnsim_binary = LNSIM_BINARY_PATH;
  o.work_dir = (dir / "work").string();
  o.keep_work_dir = true;
  o.command_line = "lnsim run smoke+auth+tls.yaml";
  RealClock clock;
  std::ostringstream log;
  RunOutcome out = RunScenario(o, clock, log);
  ASSERT_EQ(out.exit_code, 0) << out.error << "\n" << log.str();
  EXPECT_TRUE(out.report.passed);
  EXPECT_EQ(out.report.totals.lost, 0u);
  EXPECT_EQ(out.report.totals.phantom, 0u);
  EXPECT_GT(out.report.totals.delivered, 0u);
  const std::string nats_log = ReadAll(o.work_dir + "/nats/nats-server.log");
  const size_t start = nats_log.find("---- lnsim: starting");
  ASSERT_NE(start, std::string::npos);
  const std::string command = nats_log.substr(start, nats_log.find('\n', start) - start);
  EXPECT_NE(command.find("--tlsverify"), std::string::npos) << command;
  EXPECT_NE(command.find(" -c "), std::string::npos) << command;
  std::filesystem::remove_all(dir);
}

TEST(TlsTailTest, TailReadsATlsServerWithTheCaAndIsRefusedWithoutIt) {
  RealClock clock;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("lnsim-tls-tail-" + std::to_string(getpid()));
  auto certs = tls::GenerateCertificates(dir.string());
  ASSERT_TRUE(certs.ok()) << certs.status().ToString();
  NatsServerOptions so;
  so.tls_cert = certs->server_cert;
  so.tls_key = certs->server_key;
  auto server = NatsServer::Start(so, clock);
  ASSERT_TRUE(server.ok()) << server.status().ToString();

  TailOptions to;
  to.url = (*server)->url();
  to.subject = "linstor.v1.>";
  to.count = 1;
  to.idle_timeout = std::chrono::seconds(20);
  auto refused = RunTail(to, clock, std::cout, nullptr);
  ASSERT_THAT(refused, StatusIs(StatusCode::kUnavailable, ::testing::HasSubstr("--tls-ca")));

  to.tls.ca = certs->ca_cert;
  std::ostringstream out;
  StatusOr<uint64_t> got = 0;
  std::atomic<bool> finished{false};
  std::thread tail([&] {
    got = RunTail(to, clock, out, nullptr);
    finished.store(true);
  });
  internal::NatsClientAuth auth;
  auth.tls.ca = certs->ca_cert;
  auto pub = internal::ConnectNats((*server)->url(), "publisher", auth);
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  // Publish until the tail has its message (it subscribes a moment after starting).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!finished.load() && std::chrono::steady_clock::now() < deadline) {
    natsConnection_PublishString(*pub, "linstor.v1.c.node.n1", "not an envelope");
    natsConnection_Flush(*pub);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  tail.join();
  natsConnection_Destroy(*pub);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, 1u);
  EXPECT_NE(out.str().find("undecodable"), std::string::npos) << out.str();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lnsim::harness
