// `lnsim run --nats URL` against a live server (a real nats-server this test starts, which the
// run did not): what the run created there — its stream, state mirror KV bucket and durable
// consumers — is gone at the end, also after a failed run, and --keep-stream keeps it and names
// it. Streams of others on the server are left alone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <set>
#include <sstream>

#include "common/clock.h"
#include "harness/nats_server.h"
#include "harness/run.h"
#include "tests/testutil/test_dir.h"

namespace lnsim::harness {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class LiveCleanupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = NatsServer::Start(NatsServerOptions{}, clock_);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(*server);
    ASSERT_EQ(natsConnection_ConnectTo(&nc_, server_->url().c_str()), NATS_OK);
    ASSERT_EQ(natsConnection_JetStream(&js_, nc_, nullptr), NATS_OK);
    // Someone else's stream on the live server: the run must not touch it.
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = "OTHER_TEAM";
    const char* subjects[] = {"other.>"};
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    jsStreamInfo* si = nullptr;
    ASSERT_EQ(js_AddStream(&si, js_, &sc, nullptr, nullptr), NATS_OK);
    jsStreamInfo_Destroy(si);
  }
  void TearDown() override {
    if (js_) jsCtx_Destroy(js_);
    if (nc_) natsConnection_Destroy(nc_);
  }

  RunOutcome Run(RunOptions options) {
    options.scenario_path = std::string(LNSIM_SOURCE_DIR) + "/scenarios/smoke.yaml";
    options.lnsim_binary = LNSIM_BINARY_PATH;
    options.work_dir = (test_dir_.path() / ("work" + std::to_string(runs_++))).string();
    options.nats_urls = server_->url();
    options.jetstream = true;
    options.duration = std::chrono::seconds(10);
    std::ostringstream log;
    RunOutcome out = RunScenario(options, clock_, log);
    log_ = log.str();
    return out;
  }

  std::set<std::string> Streams() {
    std::set<std::string> out;
    jsStreamNamesList* list = nullptr;
    natsStatus s = js_StreamNames(&list, js_, nullptr, nullptr);
    if (s == NATS_NOT_FOUND) return out;
    EXPECT_EQ(s, NATS_OK) << natsStatus_GetText(s);
    if (list == nullptr) return out;
    for (int i = 0; i < list->Count; ++i) out.insert(list->List[i]);
    jsStreamNamesList_Destroy(list);
    return out;
  }

  // The value after `what ` in the kept line: "stream X, KV bucket Y, durable consumers Z".
  std::string Kept(const std::string& what) {
    const std::string line = log_.substr(log_.find("kept (--keep-stream): "));
    const size_t at = line.find(what + " ");
    if (at == std::string::npos) return "";
    const size_t from = at + what.size() + 1;
    return line.substr(from, line.find_first_of(",\n", from) - from);
  }

  testutil::TestDir test_dir_{"live-cleanup"};
  RealClock clock_;
  std::unique_ptr<NatsServer> server_;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  std::string log_;
  int runs_ = 0;
};

TEST_F(LiveCleanupTest, APassingRunLeavesNothingOfItsOwn) {
  const RunOutcome out = Run({});
  ASSERT_EQ(out.exit_code, 0) << out.error << "\n" << log_;
  // It did create them (the bridge's stream and bucket, the consumer's durable) ...
  EXPECT_THAT(log_, HasSubstr("live server: deleted durable consumer "));
  EXPECT_THAT(log_, HasSubstr(", stream LNSIM_"));
  EXPECT_THAT(log_, HasSubstr(", KV bucket lnsim_"));
  // ... and nothing of them remains; the other team's stream does.
  EXPECT_EQ(Streams(), std::set<std::string>{"OTHER_TEAM"});
}

TEST_F(LiveCleanupTest, AFailedRunLeavesNothingOfItsOwnEither) {
  RunOptions options;
  options.slo_expressions = {"delivered > 100000000"};
  const RunOutcome out = Run(options);
  ASSERT_EQ(out.exit_code, 1) << out.error << "\n" << log_;
  EXPECT_THAT(log_, HasSubstr("live server: deleted "));
  EXPECT_EQ(Streams(), std::set<std::string>{"OTHER_TEAM"});
}

TEST_F(LiveCleanupTest, KeepStreamKeepsThemAndNamesThem) {
  RunOptions options;
  options.keep_stream = true;
  const RunOutcome out = Run(options);
  ASSERT_EQ(out.exit_code, 0) << out.error << "\n" << log_;
  EXPECT_THAT(log_, Not(HasSubstr("live server: deleted")));
  const std::string stream = Kept("stream");
  const std::string bucket = Kept("KV bucket");
  const std::string consumer = Kept("durable consumers");
  ASSERT_THAT(stream, ::testing::StartsWith("LNSIM_")) << log_;
  ASSERT_THAT(bucket, ::testing::StartsWith("lnsim_")) << log_;
  ASSERT_FALSE(consumer.empty()) << log_;
  EXPECT_EQ(Streams(), (std::set<std::string>{"OTHER_TEAM", stream, "KV_" + bucket}));
  jsConsumerInfo* ci = nullptr;
  EXPECT_EQ(js_GetConsumerInfo(&ci, js_, stream.c_str(), consumer.c_str(), nullptr, nullptr),
            NATS_OK);
  if (ci) jsConsumerInfo_Destroy(ci);
}

}  // namespace
}  // namespace lnsim::harness
