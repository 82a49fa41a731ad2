// `lnsim run` on a 3-member nats-server cluster: scenarios/cluster-leader-loss.yaml shortened with
// time_scale (stream leader killed, the bridge's member killed, the leader's routes cut) must be
// delivered exactly once and in order, with every election measured; a run against a live
// cluster given as a seed list (whose first URL is dead) reaches it from the bridge and the
// consumers alike and creates the stream at the replicas asked for; cluster faults without a
// cluster are configuration errors naming the line; the report's cluster section round-trips.
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "harness/harness_spec.h"
#include "harness/internal/nats_util.h"
#include "harness/nats_cluster.h"
#include "harness/run.h"
#include "harness/scenario_loader.h"
#include "tests/testutil/test_dir.h"

namespace lnsim::harness {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ClusterRunTest : public ::testing::Test {
 protected:
  RunOptions Options(const std::string& path) {
    RunOptions options;
    options.scenario_path = path;
    options.lnsim_binary = LNSIM_BINARY_PATH;
    options.work_dir = (dir_ / "work").string();
    options.command_line = "lnsim run " + path;
    return options;
  }
  // Correctness of a finished run; a missed latency SLO on a loaded machine is not asserted.
  static void ExpectExactlyOnce(const RunOutcome& out) {
    const Report& r = out.report;
    ASSERT_TRUE(out.exit_code == 0 || out.exit_code == 1) << out.error;
    EXPECT_TRUE(r.failed_checks.empty());
    for (const std::string& v : out.invariant_violations) ADD_FAILURE() << "invariant " << v;
    for (const SloResult& slo : r.slos) {
      if (slo.expression.rfind("p", 0) != 0) {
        EXPECT_TRUE(slo.passed) << slo.expression << " measured " << slo.measured;
      }
    }
    EXPECT_GT(r.totals.delivered, 0u);
    EXPECT_EQ(r.totals.lost, 0u);
    EXPECT_EQ(r.totals.duplicated, 0u);
    EXPECT_EQ(r.totals.reordered, 0u);
    EXPECT_EQ(r.totals.phantom, 0u);
    for (const ConsumerVerdict& c : r.per_consumer) EXPECT_TRUE(c.converged) << c.name;
  }
  testutil::TestDir test_dir_{"cluster"};
  const std::filesystem::path dir_ = test_dir_.path();
  RealClock clock_;
};

TEST_F(ClusterRunTest, LeaderLossShortenedIsDeliveredExactlyOnceWithElectionsMeasured) {
  const std::string path = std::string(LNSIM_SOURCE_DIR) + "/scenarios/cluster-leader-loss.yaml";
  RunOptions options = Options(path);
  // 90 s of world time in 27 s: fault windows of 3 s, 4.5 s apart. An election takes nats-server
  // 2.9 several seconds, so a killed leader may be back before another member wins; either ends
  // the window (docs/report.md "cluster"), and a fault on the leader waits for an earlier fault's
  // election to finish.
  options.time_scale = 0.3;
  std::ostringstream log;
  const RunOutcome out = RunScenario(options, clock_, log);
  std::ostringstream table;
  PrintReportTable(out.report, table);
  SCOPED_TRACE(log.str() + table.str());
  ExpectExactlyOnce(out);
  const Report& r = out.report;
  ASSERT_TRUE(r.cluster.has_value());
  EXPECT_EQ(r.cluster->size, 3);
  EXPECT_EQ(r.cluster->replicas, 3);
  ASSERT_EQ(r.cluster->faults.size(), 3u) << "every cluster fault resolved its member";
  // Faults 1 (member=leader) and 3 (routes of the leader) hit the stream's leader.
  for (size_t i : {size_t{0}, size_t{2}}) {
    const ClusterFault& f = r.cluster->faults[i];
    EXPECT_TRUE(f.was_leader) << f.fault << " " << f.member;
    EXPECT_EQ(f.member, f.old_leader);
    EXPECT_TRUE(f.election_ms.has_value()) << f.fault << ": no leader answered afterwards";
    EXPECT_TRUE(f.first_ack_ms.has_value()) << f.fault << ": nothing acknowledged afterwards";
  }
  EXPECT_EQ(r.cluster->faults[0].fault, "nats-restart");
  EXPECT_EQ(r.cluster->faults[2].fault, "network");
  // While the leader was gone the bridge's publishes failed and were retried (the errors are
  // counted by kind), and the verdict above shows nothing was lost to them.
  uint64_t errors = 0;
  for (const auto& [kind, n] : r.cluster->publish_errors) errors += n;
  EXPECT_GT(errors, 0u);
  // The three windows are in the report's fault table, each naming the member it hit.
  ASSERT_EQ(r.faults.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NE(r.faults[i].target.find(r.cluster->faults[i].member), std::string::npos)
        << r.faults[i].target;
  }
}

TEST_F(ClusterRunTest, LiveClusterGivenAsASeedListWithADeadFirstUrl) {
  NatsClusterOptions co;
  auto cluster = NatsCluster::Start(co, clock_);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  auto dead = PickFreePort();
  ASSERT_TRUE(dead.ok());
  const std::string seeds = "nats://127.0.0.1:" + std::to_string(*dead) + "," + (*cluster)->urls();

  // smoke, asking for a 3-replica stream on the live cluster.
  const std::string smoke = std::string(LNSIM_SOURCE_DIR) + "/scenarios/smoke.yaml";
  YAML::Node root = YAML::Load(ReadText(smoke));
  root["nats"]["replicas"] = 3;
  YAML::Emitter emitter;
  emitter << root;
  RunOptions options = Options(smoke);
  options.scenario_text = emitter.c_str();
  options.nats_urls = seeds;
  options.keep_stream = true;  // inspected below; a live run deletes its stream otherwise
  std::ostringstream log;
  const RunOutcome out = RunScenario(options, clock_, log);
  SCOPED_TRACE(log.str());
  ExpectExactlyOnce(out);
  EXPECT_FALSE(out.report.cluster.has_value()) << "a live cluster is not lnsim's to report on";

  // The run's stream (LNSIM_<ID>_LINSTOR_LNSIM) exists on the live cluster with 3 replicas.
  auto nc = internal::ConnectNats((*cluster)->urls(), "check");
  ASSERT_TRUE(nc.ok()) << nc.status().ToString();
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&js, *nc, nullptr), NATS_OK);
  jsStreamInfoList* list = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  ASSERT_EQ(js_Streams(&list, js, nullptr, &jerr), NATS_OK) << jerr;
  int linstor_streams = 0;
  for (int i = 0; i < list->Count; ++i) {
    const jsStreamConfig* c = list->List[i]->Config;
    if (std::string(c->Name).rfind("LNSIM_", 0) != 0) continue;
    ++linstor_streams;
    EXPECT_EQ(c->Replicas, 3) << c->Name;
  }
  EXPECT_EQ(linstor_streams, 1);
  jsStreamInfoList_Destroy(list);
  jsCtx_Destroy(js);
  natsConnection_Destroy(*nc);
}

TEST(ClusterReportTest, ClusterSectionSurvivesJsonAndShowsInTheTable) {
  Report r;
  ClusterSummary c;
  c.size = 3;
  c.replicas = 3;
  ClusterFault f;
  f.fault = "nats-restart";
  f.member = "lnsim-2";
  f.was_leader = true;
  f.old_leader = "lnsim-2";
  f.new_leader = "lnsim-3";
  f.at_ms = 20004.5;
  f.election_ms = 4592.25;
  f.first_ack_ms = 4379.5;
  c.faults.push_back(f);
  ClusterFault g;
  g.fault = "nats-restart";
  g.member = "lnsim-1";
  g.at_ms = 45000;
  g.first_ack_ms = 5910;
  c.faults.push_back(g);
  c.publish_errors = {{"nats_ack_timeout", 2}, {"nats_no_responders", 471}};
  r.cluster = c;
  const std::string json = ReportToJson(r);
  auto back = ReportFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->cluster.has_value());
  EXPECT_EQ(back->cluster->size, 3);
  EXPECT_EQ(back->cluster->replicas, 3);
  ASSERT_EQ(back->cluster->faults.size(), 2u);
  const ClusterFault& b = back->cluster->faults[0];
  EXPECT_EQ(b.member, "lnsim-2");
  EXPECT_TRUE(b.was_leader);
  EXPECT_EQ(b.new_leader, "lnsim-3");
  ASSERT_TRUE(b.election_ms.has_value());
  EXPECT_DOUBLE_EQ(*b.election_ms, 4592.25);
  EXPECT_FALSE(back->cluster->faults[1].election_ms.has_value()) << "null stays null";
  EXPECT_EQ(back->cluster->publish_errors, c.publish_errors);

  std::ostringstream table;
  PrintReportTable(r, table);
  EXPECT_NE(table.str().find("nats cluster: 3 members, stream R3"), std::string::npos)
      << table.str();
  EXPECT_NE(table.str().find("lnsim-2 (stream leader) at 20.005s  election 4592ms -> lnsim-3"),
            std::string::npos)
      << table.str();
  EXPECT_NE(table.str().find("nats_no_responders 471"), std::string::npos) << table.str();

  Report plain;
  EXPECT_EQ(ReportToJson(plain).find("\"cluster\""), std::string::npos)
      << "no cluster section without a cluster";
}

StatusOr<HarnessSpec> Parse(const std::string& text) {
  auto scenario = LoadScenarioText(text, "c.yaml");
  if (!scenario.ok()) return scenario.status();
  return ParseHarnessSections(*scenario);
}

TEST(ClusterSpecTest, ClusterFaultsNeedAClusterAndNameTheLine) {
  const std::string base = "cluster:\n  nodes: 3\nduration: 10s\n";
  auto routes = Parse(base +
                      "faults:\n  - kind: network\n    at: 1s\n    duration: 1s\n"
                      "    params: target=routes\n");
  ASSERT_EQ(routes.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(routes.status().message().find("c.yaml:5"), std::string::npos)
      << routes.status().message();
  EXPECT_NE(routes.status().message().find("nats.cluster"), std::string::npos);

  auto too_big = Parse(base + "nats:\n  cluster: 12\n");
  ASSERT_EQ(too_big.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(too_big.status().message().find("c.yaml:5: nats.cluster: must be 1..9"),
            std::string::npos)
      << too_big.status().message();

  auto member = Parse(base +
                      "nats:\n  cluster: 3\nfaults:\n  - kind: nats-restart\n    at: 1s\n"
                      "    duration: 1s\n    params: member=4\n");
  ASSERT_EQ(member.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(member.status().message().find("member=4 but nats.cluster is 3"), std::string::npos)
      << member.status().message();

  auto bad_member = Parse(base +
                          "nats:\n  cluster: 3\nfaults:\n  - kind: nats-restart\n    at: 1s\n"
                          "    duration: 1s\n    params: member=follower\n");
  ASSERT_EQ(bad_member.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_member.status().message().find("must be leader, bridge or a member number"),
            std::string::npos)
      << bad_member.status().message();

  auto ok = Parse(base +
                  "nats:\n  cluster: 3\nfaults:\n  - kind: network\n    at: 1s\n"
                  "    duration: 1s\n    params: target=routes\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->nats.cluster, 3);
  EXPECT_FALSE(ok->network.bridge_proxy) << "a route cut needs no proxy on the bridge's link";
}

}  // namespace
}  // namespace lnsim::harness
