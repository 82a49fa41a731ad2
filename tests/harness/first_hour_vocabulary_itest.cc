// One vocabulary on a real run (issue 20): `lnsim run scenarios/smoke.yaml` writes a report whose
// counters keep the sum the table shows (delivered = matched + unjudged + other, 0 <= other <=
// redelivered + phantom, latency counted over the matched events), prints that sum per consumer
// and the world changes, and — stderr not being a terminal — names its phases in plain lines.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "harness/child_process.h"
#include "harness/report.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The index of the first line starting with `prefix`, or -1.
int FindLine(const std::vector<std::string>& lines, const std::string& prefix) {
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind(prefix, 0) == 0) return static_cast<int>(i);
  }
  return -1;
}

std::string Collapsed(std::string line) {
  line.erase(
      std::unique(line.begin(), line.end(), [](char a, char b) { return a == ' ' && b == ' '; }),
      line.end());
  return line;
}

void ExpectTheSumHolds(const std::string& who, const VerdictCounters& c) {
  SCOPED_TRACE(who + ": " + DeliveredSumText(c));
  EXPECT_GE(OtherReceipts(c), 0) << "matched + unjudged never exceed delivered";
  EXPECT_LE(OtherReceipts(c), static_cast<int64_t>(c.redelivered + c.phantom + c.invalid))
      << "the rest are repeat receipts (in redelivered), phantom first receipts and invalid "
         "messages";
}

class FirstHourVocabularyItest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lnsim-vocabulary-itest-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;
};

TEST_F(FirstHourVocabularyItest, SmokeRunAddsUpAndNamesItsPhases) {
  const std::filesystem::path report_path = dir_ / "report.json";
  const std::filesystem::path stderr_path = dir_ / "stderr.txt";
  // Through a shell to keep stderr apart from the table (RunAndCapture captures stdout); stderr
  // is a file, so the progress is the plain lines a CI log gets.
  const std::string command = std::string("'") + LNSIM_BINARY_PATH + "' run '" + LNSIM_SOURCE_DIR +
                              "/scenarios/smoke.yaml' --report '" + report_path.string() +
                              "' --work-dir '" + (dir_ / "work").string() + "' 2>'" +
                              stderr_path.string() + "'";
  RealClock clock;
  auto table = RunAndCapture({"/bin/sh", "-c", command}, std::chrono::minutes(3), clock);
  const std::string err = ReadFile(stderr_path);
  ASSERT_THAT(table, IsOk()) << err;
  auto report = ReportFromJson(ReadFile(report_path));
  ASSERT_THAT(report, IsOk());
  const Report& r = *report;
  SCOPED_TRACE(*table + err);

  // The verifier's counters keep the sum, per consumer and in total.
  ASSERT_FALSE(r.per_consumer.empty());
  for (const ConsumerVerdict& c : r.per_consumer) ExpectTheSumHolds(c.name, c.counters);
  ExpectTheSumHolds("total", r.totals);
  EXPECT_GT(r.totals.matched, 0u);
  EXPECT_EQ(r.stage(Stage::kEndToEnd).count, r.totals.matched) << "latency is over matched events";

  // The table prints that sum per row, names world changes and says what latency counts.
  const std::vector<std::string> rows = Lines(*table);
  const int total = FindLine(rows, "total ");
  ASSERT_GE(total, 0);
  const VerdictCounters& t = r.totals;
  EXPECT_EQ(Collapsed(rows[total]),
            "total " + std::to_string(t.delivered) + " = " + std::to_string(t.matched) + " + " +
                std::to_string(t.unjudged) + " + " + std::to_string(OtherReceipts(t)) + " " +
                std::to_string(t.coalesced));
  EXPECT_THAT(*table, HasSubstr("world changes " + std::to_string(r.events) + ": "));
  EXPECT_THAT(*table,
              HasSubstr("latency ms, over the " + std::to_string(t.matched) + " matched events"));
  EXPECT_GE(FindLine(rows, "legend"), 0);

  // Progress: the phases in order, each with its counts, as plain lines (no carriage returns).
  EXPECT_EQ(err.find('\r'), std::string::npos);
  const std::vector<std::string> lines = Lines(err);
  const int world = FindLine(lines, "  world   ");
  const int drain = FindLine(lines, "  drain   done after ");
  const int verdict =
      FindLine(lines, "  verdict judging " + std::to_string(t.delivered) + " received events");
  ASSERT_GE(world, 0);
  ASSERT_GT(drain, world);
  ASSERT_GT(verdict, drain);
  EXPECT_THAT(lines[world], HasSubstr("/3.0s done  delivered "));
  EXPECT_THAT(lines[world], HasSubstr(" published "));
  EXPECT_THAT(lines[drain], HasSubstr("  slowest consumer has "));
}

}  // namespace
}  // namespace lnsim::harness
