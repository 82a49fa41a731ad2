// lnsim-test-bridge is the real `lnsim bridge` main: the flags built from the option table
// parse back to the configuration BridgeArgv wrote (--print-config), and the test-only flags
// reject what they do not know.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <sstream>

#include "bridge/options.h"
#include "tests/bridge/testutil_bridge.h"

namespace lnsim::bridge {
namespace {

std::string Quote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `lnsim-test-bridge bridge ARGS` with an empty environment for the bridge's variables;
// returns its stdout lines and sets *exit_code.
std::vector<std::string> RunTestBridge(const std::vector<std::string>& args, int* exit_code) {
  std::string command =
      "env -u LS_CONTROLLERS -u NATS_URL -u LS_ROOT_CA -u LS_USER_CERTIFICATE "
      "-u LS_USER_KEY " +
      Quote(LNSIM_TEST_BRIDGE_PATH) + " bridge";
  for (const auto& a : args) command += " " + Quote(a);
  command += " 2>/dev/null";
  std::FILE* pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr) << command;
  std::vector<std::string> lines;
  if (pipe == nullptr) return lines;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

TEST(TestBridgeTest, FlagsRoundTripThroughTheRealCommandLine) {
  // Every option changed, less the files the real binary would open and the names it derives.
  BridgeConfig c = testing::EveryOptionSet();
  c.linstor_urls = {"http://ctrl-1:3370", "http://ctrl-2:3371"};
  c.linstor_tls = {};
  c.nats_tls = {};
  c.nkey_seed_file.clear();
  c.timing_file.clear();
  c.stream.clear();
  c.bucket.clear();
  c.metrics_addr = "127.0.0.1:0";
  ASSERT_TRUE(ValidateBridgeConfig(&c).ok());  // fills stream and bucket as the bridge does
  const std::vector<std::string> argv = BridgeArgv(c);
  std::vector<std::string> args = argv;
  args.push_back("--print-config");
  int code = -1;
  EXPECT_EQ(RunTestBridge(args, &code), argv);
  EXPECT_EQ(code, 0);
}

TEST(TestBridgeTest, BadValuesAreUsageErrors) {
  int code = -1;
  RunTestBridge({"--linstor", "c", "--nats", "nats://n", "--cluster", "x", "--replicas", "x",
                 "--print-config"},
                &code);
  EXPECT_EQ(code, 2);
  RunTestBridge(
      {"--linstor", "c", "--nats", "nats://127.0.0.1:1", "--cluster", "x", "--plant", "nothing"},
      &code);
  EXPECT_EQ(code, 2);
  RunTestBridge(
      {"--linstor", "c", "--nats", "nats://127.0.0.1:1", "--cluster", "x", "--publish-delay", "2"},
      &code);
  EXPECT_EQ(code, 2);
}

}  // namespace
}  // namespace lnsim::bridge
