// Setup hints (harness/hints.h, docs/report.md "hints") from real runs: stand-in team bridges
// (raw NATS protocol, tests/harness/standin_bridge.h) that make one common mistake each — a wrong
// subject prefix, a wrong cluster token, JetStream messages without Nats-Msg-Id, no stream at
// all — get a hint naming it; lnsim's own bridge on the same scenario gets none (the subject
// watch does not mistake NATS's and lnsim's own subjects for a bridge's).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "common/clock.h"
#include "harness/hints.h"
#include "harness/internal/nats_util.h"
#include "harness/nats_server.h"
#include "harness/run.h"
#include "tests/harness/standin_bridge.h"

namespace lnsim::harness {
namespace {

using ::testing::HasSubstr;

// Publishes three messages on SUBJECT (a Python expression using `cluster`) over core NATS.
std::string CoreBridge(const std::string& subject_expression) {
  return std::string(testing::kStandInConnect) + "subject = " + subject_expression + R"(
open(os.environ["LNSIM_READY_FILE"], "w").close()  # connected: ready (docs/scenarios.md)
for i in range(3):
    body = b'{"not": "an event"}'
    s.sendall(b"PUB %s %d\r\n%s\r\n" % (subject.encode(), len(body), body))
s.sendall(b"PING\r\n")
)" + testing::kStandInStayUp;
}

// Creates the stream LNSIM_STREAM (JetStream API over the raw protocol), signals ready, then
// publishes one message on the cluster's subjects, with a Nats-Msg-Id header when `msg_id`.
std::string JetStreamBridge(bool msg_id) {
  return std::string(testing::kStandInConnect) + "msg_id = " + (msg_id ? "True" : "False") + R"(
stream = os.environ["LNSIM_STREAM"]
config = json.dumps({"name": stream, "subjects": ["linstor.v1.%s.>" % cluster]}).encode()
s.sendall(b"SUB _INBOX.standin 1\r\nPUB $JS.API.STREAM.CREATE.%s _INBOX.standin %d\r\n%s\r\n"
          % (stream.encode(), len(config), config))
while not f.readline().startswith(b"MSG"):
    pass
f.readline()  # the API's answer
open(os.environ["LNSIM_READY_FILE"], "w").close()
subject = ("linstor.v1.%s.node.node-1.online" % cluster).encode()
body = b'{"not": "an event"}'
if msg_id:
    headers = b"NATS/1.0\r\nNats-Msg-Id: standin-1\r\n\r\n"
    s.sendall(b"HPUB %s %d %d\r\n%s%s\r\n" % (subject, len(headers), len(headers) + len(body),
                                              headers, body))
else:
    s.sendall(b"PUB %s %d\r\n%s\r\n" % (subject, len(body), body))
s.sendall(b"PING\r\n")
)" + testing::kStandInStayUp;
}

class HintsTest : public ::testing::Test {
 public:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lnsim-hints-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  // Runs a 2 s scenario with `script` as the team's bridge ("" = lnsim's own bridge).
  RunOutcome Run(const std::string& script, bool jetstream, std::ostringstream* log) {
    const std::string scenario = (dir_ / "hints.yaml").string();
    std::ofstream(scenario) << "cluster:\n  nodes: 3\n  resources: 5\nnats:\n  jetstream: "
                            << (jetstream ? "true" : "false") << "\nduration: 2s\nseed: 1\n";
    RunOptions options;
    options.scenario_path = scenario;
    options.lnsim_binary = LNSIM_BINARY_PATH;
    options.work_dir = (dir_ / "work").string();
    options.command_line = "lnsim run " + scenario;
    if (!script.empty()) {
      const std::string path = (dir_ / "standin.py").string();
      std::ofstream(path) << script;
      options.bridge_command = "exec python3 " + path;
    }
    return RunScenario(options, clock_, *log);
  }
  static std::string Hints(const Report& r) {
    std::string all;
    for (const std::string& h : r.hints) all += h + "\n";
    return all;
  }

 protected:
  std::filesystem::path dir_;
  RealClock clock_;
};

// A core run of CoreBridge(subject_expression) (a quiet world: nothing is owed, so the verdict
// itself may pass, which is why the hint matters): one hint, also in the log.
std::string OneCoreHint(HintsTest* test, const std::string& subject_expression) {
  std::ostringstream log;
  const RunOutcome out = test->Run(CoreBridge(subject_expression), false, &log);
  SCOPED_TRACE(log.str());
  EXPECT_TRUE(out.exit_code == 0 || out.exit_code == 1) << out.error;  // a verdict, not infra
  EXPECT_EQ(out.report.hints.size(), 1u) << HintsTest::Hints(out.report);
  EXPECT_THAT(log.str(), HasSubstr("hint: " + HintsTest::Hints(out.report)));
  return HintsTest::Hints(out.report);
}

TEST_F(HintsTest, WrongSubjectPrefixIsNamed) {
  const std::string hint = OneCoreHint(this, "\"events.%s.node.node-1.online\" % cluster");
  EXPECT_THAT(hint, HasSubstr("3 messages were published outside linstor.v1.> (events."));
  EXPECT_THAT(hint, HasSubstr("events belong on linstor.v1."));
}

TEST_F(HintsTest, WrongClusterTokenIsNamed) {
  const std::string hint = OneCoreHint(this, "\"linstor.v1.prod.node.node-1.online\"");
  EXPECT_THAT(hint, HasSubstr("3 messages carried another cluster token "
                              "(linstor.v1.prod.node.node-1.online)"));
  EXPECT_THAT(hint, HasSubstr("LNSIM_CLUSTER="));
}

TEST_F(HintsTest, JetStreamWithoutMsgIdIsNamedWithMsgIdNot) {
  std::ostringstream log;
  const RunOutcome without = Run(JetStreamBridge(/*msg_id=*/false), true, &log);
  SCOPED_TRACE(log.str());
  ASSERT_TRUE(without.exit_code == 0 || without.exit_code == 1) << without.error;
  EXPECT_THAT(Hints(without.report), HasSubstr("1 of 1 JetStream messages had no Nats-Msg-Id"));
  std::ostringstream log_with;
  const RunOutcome with = Run(JetStreamBridge(/*msg_id=*/true), true, &log_with);
  SCOPED_TRACE(log_with.str());
  ASSERT_TRUE(with.exit_code == 0 || with.exit_code == 1) << with.error;
  EXPECT_EQ(Hints(with.report), "");
}

TEST_F(HintsTest, MissingStreamSaysTheBridgeMustCreateIt) {
  std::ostringstream log;
  const std::string script = std::string(testing::kStandInConnect) +
                             "open(os.environ[\"LNSIM_READY_FILE\"], \"w\").close()\n" +
                             testing::kStandInStayUp;
  const RunOutcome out = Run(script, true, &log);
  SCOPED_TRACE(log.str());
  EXPECT_NE(out.exit_code, 0);
  EXPECT_THAT(out.error, HasSubstr("jetstream error 10059"));
  EXPECT_THAT(out.error, HasSubstr("hint: the bridge must create the stream LNSIM_STREAM="));
}

TEST_F(HintsTest, OwnBridgeGetsNoHints) {
  for (bool jetstream : {false, true}) {
    std::ostringstream log;
    const RunOutcome out = Run("", jetstream, &log);
    SCOPED_TRACE(log.str());
    ASSERT_EQ(out.exit_code, 0) << out.error;
    EXPECT_EQ(Hints(out.report), "") << "jetstream " << jetstream;
  }
}

// The watch on its own against a real server: counts what is outside the run's subjects, ignores
// NATS's own, and stops after kWatchedEvents well-addressed messages only when nothing was stray.
class SubjectWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = NatsServer::Start(NatsServerOptions{}, clock_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    auto nc = internal::ConnectNats(server_->url(), "test-publisher");
    ASSERT_TRUE(nc.ok());
    nc_ = *nc;
  }
  void TearDown() override {
    if (nc_) natsConnection_Destroy(nc_);
  }
  void Publish(const std::string& subject, int times = 1) {
    for (int i = 0; i < times; ++i) {
      ASSERT_EQ(natsConnection_PublishString(nc_, subject.c_str(), "x"), NATS_OK);
    }
    ASSERT_EQ(natsConnection_Flush(nc_), NATS_OK);
  }
  std::unique_ptr<SubjectWatch> StartWatch() {
    auto watch = SubjectWatch::Start(server_->url(), internal::NatsClientAuth{}, "c1");
    EXPECT_TRUE(watch.ok()) << watch.status().ToString();
    return watch.ok() ? std::move(watch).value() : nullptr;
  }

  RealClock clock_;
  std::unique_ptr<NatsServer> server_;
  natsConnection* nc_ = nullptr;
};

TEST_F(SubjectWatchTest, CountsStraySubjectsAndIgnoresNatsOwn) {
  auto watch = StartWatch();
  ASSERT_NE(watch, nullptr);
  Publish("linstor.v1.c1.node.n1.online", 5);
  Publish("linstor.v1.c2.node.n1.online", 2);
  Publish("events.node.n1", 3);
  Publish("$JS.API.INFO");
  Publish("_INBOX.abc");
  HintInputs in;
  watch->Collect(&in);
  EXPECT_EQ(in.cluster, "c1");
  EXPECT_EQ(in.wrong_cluster.count, 2u);
  EXPECT_EQ(in.wrong_cluster.samples, std::vector<std::string>{"linstor.v1.c2.node.n1.online"});
  EXPECT_EQ(in.wrong_prefix.count, 3u);
  EXPECT_EQ(in.wrong_prefix.samples, std::vector<std::string>{"events.node.n1"});
}

TEST_F(SubjectWatchTest, StopsAfterWellAddressedEventsOnlyWhenNothingWasStray) {
  auto stray = StartWatch();
  ASSERT_NE(stray, nullptr);
  Publish("events.node.n1");  // `stray` saw one outside: it keeps watching
  auto fresh = StartWatch();
  ASSERT_NE(fresh, nullptr);
  Publish("linstor.v1.c1.node.n1.online", static_cast<int>(kWatchedEvents));
  HintInputs fresh_in, stray_in;
  fresh->Collect(&fresh_in);  // `fresh` stopped after them, and the server knows
  Publish("events.node.n2");
  fresh->Collect(&fresh_in);
  stray->Collect(&stray_in);
  EXPECT_EQ(fresh_in.wrong_prefix.count, 0u) << "a stopped watch saw a later message";
  EXPECT_EQ(stray_in.wrong_prefix.count, 2u) << "a watch that saw a stray one stopped";
}

}  // namespace
}  // namespace lnsim::harness
