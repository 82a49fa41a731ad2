// The bridge's option table (bridge/options.h): its defaults are BridgeConfig's, every option
// round-trips through BridgeArgv / SetBridgeOption / the config file, bad values name the
// option (or FILE:LINE), and docs/bridge.md lists exactly the table's options with its defaults.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "bridge/options.h"
#include "tests/bridge/testutil_bridge.h"

namespace lnsim::bridge {
namespace {

// Applies BridgeArgv's output with SetBridgeOption, as a parser of the flags would.
BridgeConfig FromArgv(const std::vector<std::string>& argv) {
  BridgeConfig c;
  for (size_t i = 0; i < argv.size(); ++i) {
    EXPECT_EQ(argv[i].rfind("--", 0), 0u) << argv[i];
    const std::string name = argv[i].substr(2);
    const BridgeOption* o = FindBridgeOption(name);
    EXPECT_NE(o, nullptr) << name;
    if (o == nullptr) continue;
    std::string value = "true";
    if (o->type != OptionType::kSwitch) value = argv.at(++i);
    Status st = SetBridgeOption(c, name, value);
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  return c;
}

TEST(BridgeOptionsTest, TableDefaultsAreBridgeConfigDefaults) {
  const BridgeConfig defaults;
  std::set<std::string_view> names;
  for (const auto& o : BridgeOptions()) {
    EXPECT_TRUE(names.insert(o.name).second) << "duplicate option " << o.name;
    EXPECT_FALSE(o.help.empty()) << o.name;
    const std::string value = o.get(defaults);
    switch (o.type) {
      case OptionType::kSwitch:
        EXPECT_EQ(o.default_doc, "off") << o.name;
        EXPECT_EQ(value, "false") << o.name;
        EXPECT_TRUE(o.value_name.empty()) << o.name;
        break;
      case OptionType::kInt:
      case OptionType::kSize:
      case OptionType::kDouble:
      case OptionType::kDuration:
        EXPECT_EQ(o.default_doc, "`" + value + "`") << o.name;
        break;
      case OptionType::kString:
      case OptionType::kList:
        EXPECT_EQ(value, "") << o.name;  // the doc describes what empty means
        break;
    }
  }
  // The one default of each setting the harness and the bridge used to disagree on.
  EXPECT_EQ(defaults.poll_interval, std::chrono::milliseconds(500));
  EXPECT_EQ(defaults.request_timeout, std::chrono::seconds(2));
  EXPECT_TRUE(BridgeArgv(defaults).empty());
}

TEST(BridgeOptionsTest, ArgvRoundTripsEveryOption) {
  const BridgeConfig c = testing::EveryOptionSet();
  const std::vector<std::string> argv = BridgeArgv(c);
  std::set<std::string> flags;
  for (const auto& a : argv) {
    if (a.rfind("--", 0) == 0) flags.insert(a.substr(2));
  }
  EXPECT_EQ(flags.size(), BridgeOptions().size()) << "EveryOptionSet misses an option";
  EXPECT_EQ(BridgeArgv(FromArgv(argv)), argv);
  const BridgeConfig back = FromArgv(argv);
  EXPECT_EQ(back.linstor_urls, c.linstor_urls);
  EXPECT_EQ(back.poll_interval, c.poll_interval);
  EXPECT_EQ(back.pool_low_threshold_percent, 12.5);
  EXPECT_FALSE(back.sse);
  EXPECT_EQ(back.page_size, 0u);
  // Only what differs from the default, switches without a value.
  BridgeConfig one;
  one.poll_interval = std::chrono::seconds(1);
  one.jetstream = true;
  EXPECT_EQ(BridgeArgv(one), (std::vector<std::string>{"--jetstream", "--poll-interval", "1s"}));
}

TEST(BridgeOptionsTest, BadValuesNameTheOptionAndValue) {
  BridgeConfig c;
  Status st = SetBridgeOption(c, "poll-interval", "10");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("--poll-interval '10': ", 0), 0u) << st.message();
  st = SetBridgeOption(c, "replicas", "three");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "--replicas 'three': must be an integer");
  st = SetBridgeOption(c, "page-size", "-1");
  EXPECT_EQ(st.message(), "--page-size '-1': must be a non-negative integer");
  st = SetBridgeOption(c, "pool-low-threshold", "10%");
  EXPECT_EQ(st.message(), "--pool-low-threshold '10%': must be a number");
  st = SetBridgeOption(c, "jetstream", "maybe");
  EXPECT_EQ(st.message(), "--jetstream 'maybe': must be true or false");
  st = SetBridgeOption(c, "poll_interval", "1s");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "unknown bridge option 'poll_interval'");
  EXPECT_EQ(c.poll_interval, BridgeConfig().poll_interval);  // untouched by the failures
}

TEST(BridgeOptionsTest, EnvironmentFillsOnlyItsOptions) {
  const std::map<std::string, std::string> env = {{"LS_CONTROLLERS", "a, b"},
                                                  {"NATS_URL", "nats://n:4222"},
                                                  {"LS_ROOT_CA", "PEM TEXT"},
                                                  {"LS_USER_KEY", ""}};
  BridgeConfig c;
  ASSERT_TRUE(ApplyBridgeEnvironment(&c, [&](const char* name) -> const char* {
                auto it = env.find(name);
                return it == env.end() ? nullptr : it->second.c_str();
              }).ok());
  EXPECT_EQ(c.linstor_urls, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.nats_urls, (std::vector<std::string>{"nats://n:4222"}));
  EXPECT_EQ(c.linstor_tls.ca, "PEM TEXT");
  EXPECT_EQ(c.linstor_tls.key, "");
}

TEST(BridgeOptionsTest, ConfigFileRoundTripsEveryOption) {
  const BridgeConfig c = testing::EveryOptionSet();
  const std::vector<std::string> argv = BridgeArgv(c);
  std::ostringstream yaml;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string name = argv[i].substr(2);
    const bool is_switch = FindBridgeOption(name)->type == OptionType::kSwitch;
    yaml << name << ": \"" << (is_switch ? "true" : argv[++i]) << "\"\n";
  }
  const std::string dir = testing::MakeTempDir("lnsim-bridge-opts-");
  const std::string path = testing::WriteFile(dir, "all.yaml", yaml.str());
  BridgeConfig back;
  Status st = LoadBridgeConfigFile(path, &back);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(BridgeArgv(back), argv);
}

TEST(BridgeOptionsTest, ConfigFileErrorsNameFileLineAndKey) {
  const std::string dir = testing::MakeTempDir("lnsim-bridge-opts-");
  struct Case {
    std::string text;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"cluster: prod\nreplicas: three\n", ":2: replicas: 'three' must be an integer"},
      {"jetstream: maybe\n", ":1: jetstream: 'maybe' must be true or false"},
      {"cluster: [a, b]\n", ":1: cluster: must be a single value"},
      {"\n\npoll_interval: 1s\n", ":3: poll_interval: unknown key"},
      {"sse: sometimes\n", ":1: sse: must be true or false"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string path = testing::WriteFile(dir, std::to_string(i) + ".yaml", cases[i].text);
    BridgeConfig c;
    Status st = LoadBridgeConfigFile(path, &c);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << cases[i].text;
    EXPECT_EQ(st.message(), path + cases[i].error) << cases[i].text;
  }
}

TEST(BridgeOptionsTest, ConfigFileReadsTheOldSseSpelling) {
  const std::string dir = testing::MakeTempDir("lnsim-bridge-opts-");
  BridgeConfig c;
  ASSERT_TRUE(LoadBridgeConfigFile(testing::WriteFile(dir, "a.yaml", "sse: false\n"), &c).ok());
  EXPECT_FALSE(c.sse);
  ASSERT_TRUE(LoadBridgeConfigFile(testing::WriteFile(dir, "b.yaml", "sse: true\n"), &c).ok());
  EXPECT_TRUE(c.sse);
  ASSERT_TRUE(LoadBridgeConfigFile(testing::WriteFile(dir, "c.yaml", "no-sse: true\n"), &c).ok());
  EXPECT_FALSE(c.sse);
}

// docs/bridge.md's options table: one row per option of the table plus --config, each
// "| `--NAME VALUE` | DEFAULT | meaning |" with the table's value name and default.
TEST(BridgeOptionsTest, DocsListEveryOptionWithItsDefault) {
  std::ifstream in(std::string(LNSIM_SOURCE_DIR) + "/docs/bridge.md");
  ASSERT_TRUE(in) << "docs/bridge.md";
  std::map<std::string, std::pair<std::string, std::string>> rows;  // name -> (flag cell, default)
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `--", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    std::string cell;
    while (std::getline(ss, cell, '|')) {
      while (!cell.empty() && cell.front() == ' ') cell.erase(0, 1);
      while (!cell.empty() && cell.back() == ' ') cell.pop_back();
      cells.push_back(cell);
    }
    ASSERT_GE(cells.size(), 3u) << line;
    const std::string flag = cells[0].substr(3, cells[0].find_first_of(" `", 3) - 3);
    EXPECT_TRUE(rows.emplace(flag, std::pair{cells[0], cells[1]}).second)
        << "--" << flag << " is documented twice";
  }
  for (const auto& o : BridgeOptions()) {
    const std::string name(o.name);
    auto it = rows.find(name);
    if (it == rows.end()) {
      ADD_FAILURE() << "docs/bridge.md does not document --" << name;
      continue;
    }
    std::string flag = "`--" + name;
    if (!o.value_name.empty()) flag += " " + std::string(o.value_name);
    EXPECT_EQ(it->second.first, flag + "`");
    EXPECT_EQ(it->second.second, o.default_doc) << "--" << name;
    rows.erase(it);
  }
  rows.erase("config");  // the one flag that is not a setting
  for (const auto& [name, row] : rows) {
    ADD_FAILURE() << "docs/bridge.md documents --" << name << ", which is no bridge option";
  }
}

}  // namespace
}  // namespace lnsim::bridge
