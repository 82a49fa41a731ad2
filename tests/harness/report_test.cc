// Report renderings: the JSON schema's fields and round trip, JUnit XML and the human table.
#include "harness/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/slo.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

Report FullReport() {
  Report r;
  r.totals = VerdictCounters{.delivered = 1000,
                             .matched = 990,
                             .coalesced = 4,
                             .lost = 1,
                             .duplicated = 2,
                             .redelivered = 3,
                             .reordered = 4,
                             .phantom = 5,
                             .late = 6};
  r.per_consumer.push_back({"js-1", "jetstream-acksync", r.totals, true});
  r.per_consumer.push_back({"core-1", "core", VerdictCounters{.delivered = 7, .lost = 1}, false});
  Histogram h;
  for (uint64_t v = 1; v <= 1000; ++v) h.Record(v * 1'000'000);  // 1..1000 ms
  r.stage(Stage::kEndToEnd) = StageSummary::From(h);
  r.duration_s = 10;
  r.throughput = 100;
  r.events = 1004;
  r.faults.push_back({"nats-restart", "nats", 2000, 2500, 120.5, std::nullopt, 800, 42});
  r.environment = CollectEnvironment();
  r.environment.lnsim_version = "0.1.0";
  r.environment.nats_server_version = "2.9.10";
  r.environment.git_commit = "abc123";
  r.trace_digest = "0123456789abcdef";
  r.seed = 42;
  r.scenario = "scenarios/smoke.yaml";
  r.command = "lnsim run scenarios/smoke.yaml --seed 42";
  auto slos = ParseSlos({"p99_end_to_end < 2s", "lost == 0"});
  LNSIM_CHECK(slos.ok());
  ApplySlos(*slos, &r);
  return r;
}

TEST(ReportTest, JsonHasTheSchemaFields) {
  const Report r = FullReport();
  const auto j = nlohmann::json::parse(ReportToJson(r));
  EXPECT_EQ(j["schema"], "lnsim.report/v1");
  for (const char* key : {"passed", "lost", "duplicated", "redelivered", "reordered", "phantom",
                          "late", "per_consumer"}) {
    EXPECT_TRUE(j["verdict"].contains(key)) << key;
  }
  EXPECT_EQ(j["verdict"]["passed"], false);
  EXPECT_EQ(j["verdict"]["lost"], 1);
  EXPECT_EQ(j["verdict"]["per_consumer"][1]["name"], "core-1");
  EXPECT_EQ(j["verdict"]["per_consumer"][1]["converged"], false);
  for (const char* stage : {"observe", "publish", "deliver", "end_to_end"}) {
    for (const char* key : {"p50", "p90", "p99", "p999", "max", "count"}) {
      EXPECT_TRUE(j["latency_ms"][stage].contains(key)) << stage << "." << key;
    }
  }
  // 1..1000 ms: percentiles within the histogram's 1% bound.
  EXPECT_NEAR(j["latency_ms"]["end_to_end"]["p50"].get<double>(), 500, 5);
  EXPECT_NEAR(j["latency_ms"]["end_to_end"]["p99"].get<double>(), 990, 10);
  EXPECT_EQ(j["latency_ms"]["end_to_end"]["max"].get<double>(), 1000);
  EXPECT_EQ(j["latency_ms"]["end_to_end"]["count"], 1000);
  EXPECT_EQ(j["faults"][0]["detect"], 120.5);
  EXPECT_TRUE(j["faults"][0]["recover"].is_null());
  EXPECT_EQ(j["faults"][0]["events_in_window"], 42);
  for (const char* key :
       {"lnsim_version", "nats_server_version", "nats_c_version", "cpu_model", "git_commit"}) {
    EXPECT_TRUE(j["environment"].contains(key)) << key;
  }
  EXPECT_FALSE(j["environment"]["nats_c_version"].get<std::string>().empty());
  EXPECT_EQ(j["seed"], 42);
  EXPECT_EQ(j["trace_digest"], "0123456789abcdef");
  EXPECT_EQ(j["command"], "lnsim run scenarios/smoke.yaml --seed 42");
}

TEST(ReportTest, JsonRoundTrips) {
  const Report r = FullReport();
  auto back = ReportFromJson(ReportToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->totals, r.totals);
  ASSERT_EQ(back->per_consumer.size(), 2u);
  EXPECT_EQ(back->per_consumer[1].counters, r.per_consumer[1].counters);
  EXPECT_EQ(back->stage(Stage::kEndToEnd).p99_ns, r.stage(Stage::kEndToEnd).p99_ns);
  EXPECT_EQ(back->faults[0].drain_ms, 800);
  EXPECT_EQ(back->slos.size(), 2u);
  EXPECT_EQ(back->seed, 42u);
  EXPECT_EQ(ReportToJson(*back), ReportToJson(r));
}

TEST(ReportTest, FromJsonRejectsOtherSchemasAndNamesMissingFields) {
  EXPECT_EQ(ReportFromJson(R"({"schema":"other/v9"})").status().code(),
            StatusCode::kFailedPrecondition);
  auto j = nlohmann::json::parse(ReportToJson(FullReport()));
  j["verdict"].erase("lost");
  auto missing = ReportFromJson(j.dump());
  EXPECT_THAT(missing, StatusIs(StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("missing key `lost` in `verdict`")));
  EXPECT_EQ(ReportFromJson("not json").status().code(), StatusCode::kInvalidArgument);
}

TEST(ReportTest, TableShowsVerdictLatencyAndReproduction) {
  std::ostringstream out;
  PrintReportTable(FullReport(), out);
  const std::string table = out.str();
  EXPECT_NE(table.find("FAILED"), std::string::npos);
  EXPECT_NE(table.find("js-1 (jetstream-acksync)"), std::string::npos);
  EXPECT_NE(table.find("NOT CONVERGED"), std::string::npos);
  EXPECT_NE(table.find("end_to_end"), std::string::npos);
  EXPECT_NE(table.find("FAIL lost == 0"), std::string::npos);
  EXPECT_NE(table.find("reproduce: lnsim run scenarios/smoke.yaml --seed 42"), std::string::npos);
}

TEST(ReportTest, WriteFileAtomicallyWritesOrNamesThePath) {
  const std::string path = ::testing::TempDir() + "/lnsim-report-test.json";
  ASSERT_TRUE(WriteFileAtomically(path, "{}\n").ok());
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "{}\n");
  std::filesystem::remove(path);
  const Status bad = WriteFileAtomically("/nonexistent-dir/report.json", "{}");
  EXPECT_EQ(bad.code(), StatusCode::kUnavailable);
  EXPECT_NE(bad.message().find("/nonexistent-dir/report.json"), std::string::npos);
}

TEST(ReportTest, WriteFileAtomicallyGivesTheSystemsReason) {
  EXPECT_THAT(
      WriteFileAtomically("/nonexistent-dir/report.json", "{}"),
      StatusIs(StatusCode::kUnavailable, ::testing::HasSubstr("No such file or directory")));
}

TEST(ReportTest, CheckWritableOutputNamesFlagPathAndWhy) {
  EXPECT_THAT(CheckWritableOutput("--report", ::testing::TempDir() + "/r.json"), IsOk());
  EXPECT_THAT(CheckWritableOutput("--report", "r.json"), IsOk());  // the current directory
  EXPECT_THAT(CheckWritableOutput("--junit", "/nonexistent-dir/j.xml"),
              StatusIs(StatusCode::kInvalidArgument,
                       "--junit /nonexistent-dir/j.xml: directory '/nonexistent-dir' does not "
                       "exist"));
  EXPECT_THAT(CheckWritableOutput("--html", ::testing::TempDir()),
              StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr(": is a directory")));
}

}  // namespace
}  // namespace lnsim::harness
