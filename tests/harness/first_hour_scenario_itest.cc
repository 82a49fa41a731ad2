// The real `lnsim run` (and `sim`, `sweep`) on bad scenario files: every mistake is exit 2 with
// `file:line: key: what` before anything starts, and no `lnsim-run-*` work dir is left behind
// (each child gets a fresh TMPDIR of its own, which must stay empty). Warnings reach the terminal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "harness/child_process.h"
#include "tests/testutil/test_dir.h"

namespace lnsim::harness {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Result {
  int exit_code = -1;
  std::string output;  // stdout and stderr
  std::vector<std::string> tmp_entries;
};

class FirstHourScenario : public ::testing::Test {
 protected:
  void SetUp() override { std::filesystem::create_directories(dir_ + "/tmp"); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  // Runs `lnsim ARGS...` with TMPDIR = a fresh dir of its own; what it left there is returned.
  Result Lnsim(std::vector<std::string> args) {
    static int run = 0;
    const std::string tmp = dir_ + "/tmp/" + std::to_string(++run);
    std::filesystem::create_directories(tmp);
    ChildOptions options;
    options.argv = {LNSIM_BINARY_PATH};
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    options.env = {"TMPDIR=" + tmp};
    options.log_path = tmp + ".log";
    options.working_dir = dir_;
    Result r;
    auto child = ChildProcess::Spawn(options, clock_);
    EXPECT_TRUE(child.ok()) << child.status().ToString();
    if (!child.ok()) return r;
    auto status = (*child)->Wait(std::chrono::seconds(60));
    EXPECT_TRUE(status.ok()) << status.status().ToString();
    if (status.ok() && status->exited) r.exit_code = status->code;
    std::ifstream in(options.log_path);
    std::stringstream text;
    text << in.rdbuf();
    r.output = text.str();
    for (const auto& e : std::filesystem::directory_iterator(tmp)) {
      r.tmp_entries.push_back(e.path().filename().string());
    }
    return r;
  }

  // `lnsim run FILE` must refuse the file with exit 2 and `message`, having started nothing.
  void ExpectRefused(const std::string& file, const std::string& message) {
    const Result r = Lnsim({"run", file});
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr(message));
    EXPECT_THAT(r.output, ::testing::Not(HasSubstr("nats-server")));
    EXPECT_THAT(r.tmp_entries, IsEmpty()) << "a config error left a work dir behind";
  }

  RealClock clock_;
  testutil::TestDir test_dir_{"first-hour-scenario"};
  const std::string dir_ = test_dir_.path().string();
};

TEST_F(FirstHourScenario, ReplicasBeyondNodesIsRefusedWithTheLine) {
  Write("r.yaml", "cluster:\n  nodes: 3\n  replicas: 5\n");
  ExpectRefused("r.yaml",
                "lnsim run: r.yaml:3: cluster.replicas: 5 replicas per resource need at least 5 "
                "storage nodes, cluster.nodes is 3");
}

TEST_F(FirstHourScenario, PlacementThatFailsIsRefusedBeforeAnythingStarts) {
  // The lower bound of the space fits; the seeded volume sizes do not (World::Create, run early).
  Write("p.yaml", "cluster:\n  nodes: 3\n  pool_kind: LVM\n  pool_size: 12GiB\n  resources: 10\n");
  ExpectRefused("p.yaml", "lnsim run: p.yaml:1: cluster: not enough free space to place resource");
}

TEST_F(FirstHourScenario, FaultTargetsAndParams) {
  Write("n.yaml", "workload: {attach_rate: 1}\nfaults:\n  - kind: node-crash\n    nodes: node-7\n");
  ExpectRefused("n.yaml", "n.yaml:4: faults[0].nodes: no node 'node-7' in the cluster");
  Write("q.yaml", "faults:\n  - kind: node-crash\n    params: {evict_aftr: 1h}\n");
  ExpectRefused("q.yaml",
                "q.yaml:3: faults[0].params.evict_aftr: unknown key (did you mean "
                "'evict_after'?)");
  Write("a.yaml", "faults:\n  - kind: api-fault\n    params: kind=sse-drop\n");
  ExpectRefused("a.yaml",
                "a.yaml:2: faults[0].params.kind: unknown api fault 'sse-drop' (did you "
                "mean 'sse_drop'?)");
}

TEST_F(FirstHourScenario, OverridesAreCheckedWithTheFile) {
  Write("c.yaml",
        "workload: {attach_rate: 1}\nconsumers:\n  - name: js-a\n    mode: jetstream-ack\n");
  const Result r = Lnsim({"run", "c.yaml", "--core"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("lnsim run: c.yaml:3: consumers[0]: consumer 'js-a' is "
                                  "jetstream-ack but the bridge publishes to core NATS"));
  EXPECT_THAT(r.tmp_entries, IsEmpty());
}

TEST_F(FirstHourScenario, DuplicateKeysAtAnyLevel) {
  Write("d.yaml", "cluster:\n  nodes: 3\nworkload:\n  attach_rate: 1\n  attach_rate: 2\n");
  ExpectRefused("d.yaml",
                "d.yaml:5: workload.attach_rate: duplicate key (first at line 4); give each key "
                "once");
  Write("b.yaml", "bridge:\n  poll_interval: 1s\n  poll_interval: 2s\n");
  ExpectRefused("b.yaml", "b.yaml:3: bridge.poll_interval: duplicate key (first at line 2)");
  Write("j.json", "{\"cluster\": {\"nodes\": 3, \"nodes\": 4}}\n");
  ExpectRefused("j.json", "j.json:1: cluster.nodes: duplicate key (first at line 1, column 14)");
}

TEST_F(FirstHourScenario, FilesThatAreNotScenarios) {
  ExpectRefused("missing.yaml", "lnsim run: missing.yaml: cannot open: No such file or directory");
  std::filesystem::create_directories(dir_ + "/adir");
  ExpectRefused("adir", "lnsim run: adir: cannot open: is a directory, not a scenario file");
  Write("empty.yaml", "");
  ExpectRefused("empty.yaml", "lnsim run: empty.yaml: the file is empty");
  Write("comments.yaml", "# nothing yet\n\n");
  ExpectRefused("comments.yaml", "comments.yaml:1: (document): no sections");
  Write("README", "lnsim scenarios\n\nThese files describe a cluster.\n");
  ExpectRefused("README",
                "README:1: (document): not a YAML mapping: plain text ('lnsim "
                "scenarios These files describe a c...')");
  Write("NOTES.md", "# Notes\n\nTo do: more faults\n");
  ExpectRefused("NOTES.md",
                "NOTES.md:3: (document): not a scenario: no top-level key is a section (line 3 "
                "reads 'To do')");
  Write("bad.json", "{\"cluster\": {\"nodes\": 3, \"replicas\": 4}}\n");
  ExpectRefused("bad.json", "bad.json:1: cluster.replicas: 4 replicas per resource need at least");
}

TEST_F(FirstHourScenario, WarningsReachTheTerminal) {
  Write("w.yaml",
        "workload: {attach_rate: 1}\nduration: 10s\nfaults:\n  - kind: node-crash\n"
        "    at: 20s\n");
  const std::string warning =
      "warning: w.yaml:5: faults[0].at: node-crash at 20s is at or after the end of the run "
      "(duration 10s): it never fires";
  Result r = Lnsim({"sim", "w.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("lnsim sim: " + warning));
  // `lnsim run` warns before it starts anything (here nats-server cannot start: exit 3).
  r = Lnsim({"run", "w.yaml", "--nats-server-bin", dir_ + "/no-such-nats-server"});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  ASSERT_THAT(r.output, HasSubstr(warning));
  EXPECT_LT(r.output.find(warning), r.output.find("lnsim run w.yaml")) << r.output;
  // --duration moves the end: the same fault then fires, no warning.
  r = Lnsim({"run", "w.yaml", "--duration", "30s", "--nats-server-bin", dir_ + "/none"});
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("warning:"))) << r.output;
  // lnsim sim judges the warnings with its own --duration too, both ways.
  r = Lnsim({"sim", "w.yaml", "--duration", "30s"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("warning:"))) << r.output;
  Write("w30.yaml",
        "workload: {attach_rate: 1}\nduration: 30s\nfaults:\n  - kind: node-crash\n"
        "    at: 20s\n");
  r = Lnsim({"sim", "w30.yaml", "--duration", "10s"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("lnsim sim: warning: w30.yaml:5: faults[0].at: node-crash at 20s "
                                  "is at or after the end of the run (duration 10s)"));
  Write("nothing.yaml", "cluster: {resources: 0}\n");
  r = Lnsim({"sim", "nothing.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("lnsim sim: warning: nothing.yaml:1: cluster.resources: 0 and "
                                  "no provisioning"));
}

TEST_F(FirstHourScenario, SweepUsesTheSameChecks) {
  // --slo and --seed given: the scenario is still read by the shared loader first.
  Write("d.yaml", "cluster:\n  nodes: 3\n  nodes: 4\n");
  const Result r = Lnsim({"sweep", "d.yaml", "--out-dir", dir_ + "/out", "--vary", "rate=1..2",
                          "--slo", "lost == 0", "--seed", "1"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("d.yaml:3: cluster.nodes: duplicate key (first at line 2)"));
  EXPECT_THAT(r.tmp_entries, IsEmpty());
}

}  // namespace
}  // namespace lnsim::harness
