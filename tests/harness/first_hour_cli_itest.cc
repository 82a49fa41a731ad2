// One command line (issue 20, part 4), as a user meets it: the real `lnsim` binary with bad
// seeds, URLs and ports (exit 2 before anything starts, a message naming flag, value and why),
// the deprecated output flag spellings (still work, one warning), every subcommand's --help
// (defaults as a user writes them, no float noise) and `lnsim sim --time-scale`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "tests/testutil/test_dir.h"

namespace lnsim {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class FirstHourCliTest : public ::testing::Test {
 protected:
  // Runs `lnsim ARGS...` to completion with stdin from /dev/null.
  Result Lnsim(const std::vector<std::string>& args) {
    std::string cmd = Quote(LNSIM_BINARY_PATH);
    for (const auto& a : args) cmd += " " + Quote(a);
    const std::string out = (dir_ / "stdout").string(), err = (dir_ / "stderr").string();
    cmd += " </dev/null >" + Quote(out) + " 2>" + Quote(err);
    const int status = std::system(cmd.c_str());
    Result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = Slurp(out);
    r.err = Slurp(err);
    return r;
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  testutil::TestDir test_dir_{"first-hour-cli"};
  const std::filesystem::path dir_ = test_dir_.path();
};

const std::string kSmoke = std::string(LNSIM_SOURCE_DIR) + "/scenarios/smoke.yaml";

// Asserts exit 2 with `message` on stderr and nothing on stdout (nothing started).
void ExpectUsage(const Result& r, const std::string& message, const std::string& what) {
  EXPECT_EQ(r.exit_code, 2) << what << "\n" << r.err;
  EXPECT_THAT(r.err, HasSubstr(message)) << what;
  EXPECT_EQ(r.out, "") << what;
}

TEST_F(FirstHourCliTest, BadSeedsAreRefusedInEverySubcommandThatTakesOne) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"-1", "--seed '-1' must not be negative (want a whole number 0..18446744073709551615)"},
      {"abc", "--seed 'abc' is not a whole number"},
      {"12x", "--seed '12x' is not a whole number"},
      {"18446744073709551616", "--seed '18446744073709551616' is too large"}};
  const std::vector<std::vector<std::string>> commands = {
      {"sim", kSmoke},
      {"run", kSmoke, "--no-progress"},
      {"sweep", kSmoke, "--vary", "rate=1..2", "--out-dir", Path("sweep")},
      {"mock-linstor", "--port", "0"}};
  for (const auto& command : commands) {
    for (const auto& [seed, message] : bad) {
      std::vector<std::string> args = command;
      args.push_back("--seed");
      args.push_back(seed);
      ExpectUsage(Lnsim(args), "lnsim " + command[0] + ": " + message, command[0] + " " + seed);
    }
  }
  EXPECT_FALSE(std::filesystem::exists(Path("sweep"))) << "a refused sweep writes nothing";
  ExpectUsage(Lnsim({"run", kSmoke, "--seeds", "-1..3"}),
              "lnsim run: --seeds '-1' must not be negative", "--seeds -1..3");
  ExpectUsage(Lnsim({"run", kSmoke, "--seeds", "1..x"}), "lnsim run: --seeds 'x' is not a whole",
              "--seeds 1..x");
  // The other whole-number flags do not wrap around either.
  ExpectUsage(Lnsim({"tail", "--count", "-1"}), "lnsim tail: --count '-1' must not be negative",
              "--count -1");
  ExpectUsage(Lnsim({"compare", "a", "b", "--min-repeats", "-3"}),
              "lnsim compare: --min-repeats '-3' must not be negative", "--min-repeats -3");
  ExpectUsage(Lnsim({"mock-linstor", "--threads", "-1"}),
              "lnsim mock-linstor: --threads '-1' must not be negative", "--threads -1");
}

TEST_F(FirstHourCliTest, NatsUrlsAreCheckedBeforeAnythingStarts) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"notaurl", "'notaurl': not a NATS URL (want nats://HOST[:PORT] or tls://HOST[:PORT])"},
      {"http://127.0.0.1:4222", "'http://127.0.0.1:4222': scheme 'http' is not NATS's"},
      {"nats://127.0.0.1:99999", "'nats://127.0.0.1:99999': port 99999 is not 1..65535"},
      {"nats://:4222", "'nats://:4222': empty host"},
      {"nats://127.0.0.1:4222,", "'nats://127.0.0.1:4222,': '': empty URL"},
      {"nats://127.0.0.1:4222,tls://x:0",
       "'nats://127.0.0.1:4222,tls://x:0': 'tls://x:0': port 0 is not 1..65535"}};
  const std::vector<std::vector<std::string>> commands = {
      {"run", kSmoke, "--no-progress", "--work-dir", Path("work")},
      {"tail"},
      {"bridge", "--linstor", "http://127.0.0.1:3370", "--cluster", "c"}};
  for (const auto& command : commands) {
    for (const auto& [url, message] : bad) {
      // The bridge reads its lists item by item, and an empty item is no item (SplitList).
      if (command[0] == "bridge" && url.back() == ',') continue;
      std::vector<std::string> args = command;
      args.push_back("--nats");
      args.push_back(url);
      ExpectUsage(Lnsim(args), "lnsim " + command[0] + ": --nats " + message,
                  command[0] + " " + url);
    }
  }
  EXPECT_FALSE(std::filesystem::exists(Path("work"))) << "a refused run starts nothing";
  // What nats.c takes passes the check: a list of nats:// and tls:// URLs, a bare HOST:PORT,
  // credentials in the URL. Nothing listens there, so it is an infrastructure failure (exit 3).
  const Result ok = Lnsim(
      {"tail", "--nats", "nats://u:p@127.0.0.1:1, tls://127.0.0.1:2,127.0.0.1:3", "--count", "1"});
  EXPECT_EQ(ok.exit_code, 3) << ok.err;
  EXPECT_THAT(ok.err, Not(HasSubstr("--nats '")));
}

TEST_F(FirstHourCliTest, PortsAndLinstorUrlsAreCheckedInEverySubcommand) {
  ExpectUsage(Lnsim({"mock-linstor", "--port", "99999"}),
              "lnsim mock-linstor: --port 99999: must be 0..65535", "--port 99999");
  ExpectUsage(Lnsim({"mock-linstor", "--port", "-1"}),
              "lnsim mock-linstor: --port -1: must be 0..65535", "--port -1");
  ExpectUsage(Lnsim({"mock-linstor", "--port", "http"}), "--port", "--port http");
  ExpectUsage(Lnsim({"mock-linstor", "--https-port", "70000"}),
              "lnsim mock-linstor: --https-port 70000: must be 0..65535", "--https-port 70000");
  const std::vector<std::pair<std::string, std::string>> linstor = {
      {"http://127.0.0.1:99999", "'http://127.0.0.1:99999': port 99999 is not 1..65535"},
      {"ftp://127.0.0.1", "'ftp://127.0.0.1': scheme must be http or https"},
      {"http://:3370", "'http://:3370': empty host"},
      {"https://ctrl:x", "'https://ctrl:x': port 'x' is not a number 1..65535"}};
  for (const auto& [url, message] : linstor) {
    ExpectUsage(
        Lnsim({"bridge", "--linstor", url, "--nats", "nats://127.0.0.1:4222", "--cluster", "c"}),
        "lnsim bridge: --linstor: LINSTOR URL " + message, url);
  }
  ExpectUsage(
      Lnsim({"bridge", "--linstor", "http://127.0.0.1:3370", "--nats", "nats://127.0.0.1:4222",
             "--cluster", "c", "--metrics-addr", "127.0.0.1:99999"}),
      "lnsim bridge: --metrics-addr '127.0.0.1:99999': port 99999 is not 0..65535",
      "--metrics-addr");
}

TEST_F(FirstHourCliTest, DeprecatedOutputFlagsStillWorkAndWarnOnce) {
  // compare --json FILE is --report FILE.
  const std::string report =
      std::string(LNSIM_SOURCE_DIR) + "/bench/baselines/e2e/smoke/run-1.json";
  Result r = Lnsim({"compare", report, report, "--json", Path("old.json")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "lnsim compare: warning: --json is deprecated; use --report\n");
  EXPECT_THAT(Slurp(Path("old.json")), HasSubstr("lnsim.compare/v1"));
  r = Lnsim({"compare", report, report, "--report", Path("new.json")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(Slurp(Path("new.json")), Slurp(Path("old.json")));
  ExpectUsage(Lnsim({"compare", report, report, "--json", "a", "--report", "b"}),
              "--json is the deprecated spelling of --report; give only --report", "both");
  // Its path is checked before the reports are read, as run's --report is.
  r = Lnsim({"compare", report, report, "--report", Path("no-such-dir") + "/c.json"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("lnsim compare: --report"));
  EXPECT_THAT(r.err, HasSubstr("no-such-dir/c.json"));
  EXPECT_EQ(r.out, "");

  // run --record DIR is --bundle DIR (shown by the rule that --bundle takes one run).
  r = Lnsim({"run", kSmoke, "--record", Path("b"), "--seeds", "1..2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("lnsim run: warning: --record is deprecated; use --bundle\n"));
  EXPECT_THAT(r.err, HasSubstr("lnsim run: --bundle takes one run; not with --seeds"));
  // A whole run with --record writes the bundle, and its reproduce line says --bundle.
  r = Lnsim({"run", kSmoke, "--no-progress", "--seed", "3", "--record", Path("bundle")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("lnsim run: warning: --record is deprecated; use --bundle\n"));
  EXPECT_THAT(r.out, HasSubstr("--seed 3 --bundle " + Path("bundle") + "\n"));
  EXPECT_TRUE(std::filesystem::exists(Path("bundle") + "/report.json"));
  // replay --record DIR is --bundle DIR; the recorded bundle stays the positional DIR.
  r = Lnsim({"replay", Path("no-such-bundle"), "--record", Path("b")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("lnsim replay: warning: --record is deprecated; use --bundle\n"));
  EXPECT_THAT(r.err, HasSubstr("no-such-bundle"));
  // sweep --out DIR is --out-dir DIR: the next missing thing is --vary, not the directory.
  r = Lnsim({"sweep", kSmoke, "--out", Path("sweep")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("lnsim sweep: warning: --out is deprecated; use --out-dir\n"));
  EXPECT_THAT(r.err, HasSubstr("missing --vary rate=LO..HI"));
  r = Lnsim({"sweep", kSmoke, "--vary", "rate=1..2"});
  EXPECT_THAT(r.err, HasSubstr("lnsim sweep: missing --out-dir DIR"));
  // auth init --dir DIR is the positional DIR (--out-dir).
  r = Lnsim({"auth", "init", "--dir", Path("auth"), "--cluster", "c"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "lnsim auth: warning: --dir is deprecated; use --out-dir\n");
  EXPECT_TRUE(std::filesystem::exists(Path("auth") + "/server.conf"));
}

// The help of one subcommand as option -> its text (wrapped lines joined).
std::map<std::string, std::string> HelpEntries(const std::string& help) {
  std::map<std::string, std::string> entries;
  std::string current;
  std::istringstream in(help);
  for (std::string line; std::getline(in, line);) {
    const size_t dashes = line.find("--");
    if (line.rfind("  --", 0) == 0) {
      current = line.substr(4, line.find(' ', 4) - 4);
      entries[current] = line.substr(2);
    } else if (!current.empty() && line.rfind("        ", 0) == 0) {
      entries[current] += " " + line.substr(line.find_first_not_of(' '));
    } else if (dashes == std::string::npos || line.rfind("  -h", 0) == 0) {
      current.clear();
    }
  }
  for (auto& [name, text] : entries) {
    text = std::regex_replace(text, std::regex(" +"), " ");
  }
  return entries;
}

TEST_F(FirstHourCliTest, HelpShowsEveryDefaultAsAUserWritesIt) {
  const std::vector<std::vector<std::string>> subcommands = {
      {"run"},  {"sim"},          {"sweep"},  {"compare"},     {"replay"},
      {"tail"}, {"mock-linstor"}, {"bridge"}, {"auth", "init"}};
  std::map<std::string, std::map<std::string, std::string>> help;
  const std::regex float_noise("[0-9]\\.[0-9]{10,}");
  for (const auto& sub : subcommands) {
    std::vector<std::string> args = sub;
    args.push_back("--help");
    const Result r = Lnsim(args);
    ASSERT_EQ(r.exit_code, 0) << sub[0] << r.err;
    EXPECT_FALSE(std::regex_search(r.out, float_noise)) << sub[0] << ":\n" << r.out;
    EXPECT_THAT(r.out, Not(HasSubstr("(="))) << sub[0] << ": boost's default style";
    EXPECT_THAT(r.out, Not(HasSubstr(" arg "))) << sub[0] << ": every value has a name";
    help[sub[0]] = HelpEntries(r.out);
    EXPECT_GT(help[sub[0]].size(), 1u) << sub[0] << ":\n" << r.out;
  }
  const std::vector<std::tuple<std::string, std::string, std::string>> defaults = {
      {"compare", "alpha", "--alpha P significance level (repeats) (default: 0.05)"},
      {"compare", "min-latency-delta", "(default: 1ms)"},
      {"compare", "latency-threshold", "(default: 20%)"},
      {"compare", "min-repeats", "(default: 3)"},
      {"bridge", "poll-interval", "--poll-interval D time between full polls (default: 500ms)"},
      {"bridge", "request-timeout", "(default: 2s)"},
      {"bridge", "stream", "(default: LINSTOR_<CLUSTER>)"},
      {"bridge", "drain-timeout", "(default: 15s)"},
      {"sweep", "tolerance", "(default: 0.1)"},
      {"sweep", "probe-length", "--probe-length D"},
      {"sweep", "probe-length", "(default: 5s)"},
      {"sweep", "drain", "(default: 10s)"},
      {"sweep", "repeats", "(default: 1)"},
      {"tail", "nats", "(default: nats://127.0.0.1:4222)"},
      {"tail", "subject", "(default: linstor.v1.>)"},
      {"tail", "count", "(default: 0)"},
      {"mock-linstor", "port", "--port PORT"},
      {"mock-linstor", "port", "(default: 3370)"},
      {"mock-linstor", "bind", "(default: 127.0.0.1)"},
      {"mock-linstor", "threads", "(default: 128)"},
      {"run", "drain", "(default: the scenario's, else 30s)"},
      {"run", "seed", "--seed N"},
      {"run", "bundle", "--bundle DIR"},
      {"run", "report", "--report FILE"},
      {"sim", "time-scale", "--time-scale X"},
      {"sim", "duration", "(default: the scenario's `duration`, else 60s)"},
      {"auth", "account-name", "(default: LINSTOR)"},
      {"auth", "stream", "(default: LINSTOR_<CLUSTER>, as lnsim bridge)"}};
  for (const auto& [sub, option, text] : defaults) {
    ASSERT_TRUE(help[sub].count(option)) << sub << " --" << option;
    EXPECT_THAT(help[sub][option], HasSubstr(text)) << sub << " --" << option;
  }
  // The deprecated spellings are not shown.
  EXPECT_FALSE(help["compare"].count("json"));
  EXPECT_FALSE(help["run"].count("record"));
  EXPECT_FALSE(help["sweep"].count("out"));
}

// `lnsim sim --time-scale X` means what `lnsim run --time-scale X` and the scenario's
// `time_scale: X` mean: the same world (same digest) as the scenario with that key.
TEST_F(FirstHourCliTest, SimTakesTimeScaleAsTheScenarioKeyDoes) {
  std::string text = Slurp(kSmoke);
  const size_t at = text.find("time_scale: 0.1");
  ASSERT_NE(at, std::string::npos);
  const std::string scaled = Path("scaled.yaml");
  std::ofstream(scaled) << text.replace(at, 15, "time_scale: 0.2");
  const Result flag = Lnsim({"sim", kSmoke, "--time-scale", "0.2"});
  const Result key = Lnsim({"sim", scaled});
  const Result plain = Lnsim({"sim", kSmoke});
  ASSERT_EQ(flag.exit_code, 0) << flag.err;
  ASSERT_EQ(key.exit_code, 0) << key.err;
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  auto digest = [](const std::string& out) { return out.substr(out.rfind("trace digest: ")); };
  EXPECT_EQ(digest(flag.out), digest(key.out));
  EXPECT_NE(digest(flag.out), digest(plain.out));
  EXPECT_THAT(flag.out, HasSubstr("world time: 6s (duration 30s x time_scale 0.2)"));
  EXPECT_THAT(flag.out, HasSubstr("--time-scale 0.2\n"));
  for (const std::string bad : {"0", "-1", "1e9", "inf", "fast", "0.5x"}) {
    ExpectUsage(Lnsim({"sim", kSmoke, "--time-scale", bad}),
                "lnsim sim: --time-scale '" + bad +
                    "' must be a factor 0.000001..1000000 (0.1 = ten times faster)",
                bad);
  }
}

}  // namespace
}  // namespace lnsim
