// Planted faults for the documented promises (issue 16 item 2): stand-in "team bridges" (Python,
// raw NATS protocol, run through bridge.command) publish events of a resource the world really
// has, in the wrong order, with a JetStream sequence skipped, or on an upper-case subject token.
// Each run must fail on the counter of that promise, with an example naming the key and rule.
// The event bodies are encoded here with bridge/event.h (so a format change reaches them too);
// the script only fills in the run's cluster and the names it reads from LINSTOR's REST API.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bridge/event.h"
#include "common/clock.h"
#include "harness/run.h"
#include "tests/harness/standin_bridge.h"

namespace lnsim::harness {
namespace {

using bridge::EventType;

constexpr char kCluster[] = "zzcluster";
constexpr char kResource[] = "zzres";
constexpr char kNode[] = "zznode";

std::string Body(EventType type, uint64_t seq) {
  bridge::Event e;
  e.cluster = kCluster;
  e.body.type = type;
  e.body.resource = kResource;
  e.body.node = kNode;
  e.body.volumes = {{}};
  e.body.volumes[0].volume_number = 0;
  e.body.volumes[0].size_kib = 1024;
  e.body.volumes[0].disk_state = "UpToDate";
  e.partition_key = bridge::PartitionKey(e.body);
  e.sequence = seq;
  e.time_unix_ns = 1'700'000'000'000'000'000;
  return bridge::EncodeEvent(e);
}

// A Python string literal of one line of JSON.
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\\' || c == '"') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// The script: reads the first replica from LINSTOR, creates the stream in JetStream mode, then
// publishes BODIES (subject taken from each body) with the placeholders filled in.
std::string Script(const std::vector<std::string>& bodies) {
  std::string list = "BODIES = [\n";
  for (const std::string& b : bodies) list += "    " + Quote(b) + ",\n";
  list += "]\n";
  return std::string(testing::kStandInConnect) + list + R"(
import urllib.request
base = os.environ["LNSIM_LINSTOR_URL"].rstrip("/")
rows = json.load(urllib.request.urlopen(base + "/v1/view/resources"))
res, node = rows[0]["name"], rows[0]["node_name"]
def fill(text):
    return text.replace("zzcluster", cluster).replace("zzres", res).replace("zznode", node)
def request(subject, payload):
    s.sendall(b"SUB _INBOX.plant 1\r\nPUB %s _INBOX.plant %d\r\n%s\r\n" %
              (subject.encode(), len(payload), payload))
    while not f.readline().startswith(b"MSG"):
        pass
    f.readline()
if os.environ.get("LNSIM_JETSTREAM") == "1":
    stream = os.environ["LNSIM_STREAM"]
    request("$JS.API.STREAM.CREATE." + stream, json.dumps(
        {"name": stream, "subjects": ["linstor.v1.%s.>" % cluster]}).encode())
open(os.environ["LNSIM_READY_FILE"], "w").close()
for text in BODIES:
    body = json.loads(fill(text))
    subject = body["subject"]
    if UPPER:
        subject = subject.replace("." + node.lower() + ".", "." + node.upper() + ".")
        body["subject"] = subject
    data = json.dumps(body).encode()
    publish_event(subject, data)
s.sendall(b"PING\r\n")
)" + testing::kStandInStayUp;
}

class PromiseChecksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lnsim-promises-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  RunOutcome Run(const std::vector<std::string>& bodies, bool jetstream, bool upper = false) {
    const std::string script = (dir_ / "planted.py").string();
    std::ofstream(script) << "UPPER = " << (upper ? "True" : "False") << "\n" << Script(bodies);
    const std::string path = (dir_ / "planted.yaml").string();
    std::ofstream(path) << "cluster:\n  nodes: 3\n  resources: 5\nnats:\n  jetstream: "
                        << (jetstream ? "true" : "false") << "\nduration: 2s\nseed: 1\n";
    RunOptions options;
    options.scenario_path = path;
    options.lnsim_binary = LNSIM_BINARY_PATH;
    options.work_dir = (dir_ / "work").string();
    options.command_line = "lnsim run " + path;
    options.bridge_command = "exec python3 " + script;
    std::ostringstream log;
    RunOutcome out = RunScenario(options, clock_, log);
    log_ = log.str();
    return out;
  }

  static const Example* Find(const Report& r, const std::string& counter) {
    for (const Example& e : r.examples) {
      if (e.counter == counter) return &e;
    }
    return nullptr;
  }

  std::filesystem::path dir_;
  std::string log_;
  RealClock clock_;
};

TEST_F(PromiseChecksTest, AReplicaCreatedBeforeItsResourceCreatedFailsAsMisordered) {
  const RunOutcome out =
      Run({Body(EventType::kReplicaCreated, 1), Body(EventType::kResourceCreated, 2)}, false);
  SCOPED_TRACE(log_);
  ASSERT_EQ(out.exit_code, 1) << out.error;
  EXPECT_EQ(out.report.totals.misordered, 1u);
  const Example* e = Find(out.report, "misordered");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->consumer, "core-1");
  EXPECT_EQ(e->key.rfind("resource.", 0), 0u) << e->key;
  ASSERT_EQ(e->events.size(), 2u);
  EXPECT_NE(e->events[0].find("seq 1 replica.created"), std::string::npos) << e->events[0];
  EXPECT_NE(e->events[1].find("seq 2 resource.created"), std::string::npos) << e->events[1];
}

TEST_F(PromiseChecksTest, ASkippedJetStreamSequenceFailsAsASequenceGap) {
  const RunOutcome out =
      Run({Body(EventType::kVolumeAttached, 1), Body(EventType::kVolumeDetached, 3)}, true);
  SCOPED_TRACE(log_);
  ASSERT_EQ(out.exit_code, 1) << out.error;
  EXPECT_EQ(out.report.totals.sequence_gaps, 1u);
  const Example* e = Find(out.report, "sequence_gaps");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->events.size(), 1u);
  EXPECT_EQ(e->events[0], "seq 1 then seq 3 (1 never arrived)");
}

TEST_F(PromiseChecksTest, AnUpperCaseSubjectTokenFailsAsInvalidNamingTheRule) {
  const RunOutcome out = Run({Body(EventType::kVolumeAttached, 1)}, false, /*upper=*/true);
  SCOPED_TRACE(log_);
  ASSERT_EQ(out.exit_code, 1) << out.error;
  EXPECT_EQ(out.report.totals.invalid, 1u);
  EXPECT_EQ(out.report.totals.phantom, 0u);
  const Example* e = Find(out.report, "invalid");
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->rule.find("is not lower-case (docs/subjects.md \"Case\")"), std::string::npos)
      << e->rule;
  EXPECT_NE(e->key.find(".volume."), std::string::npos) << e->key;
}

}  // namespace
}  // namespace lnsim::harness
