// `lnsim compare BASELINE CURRENT`: the regression gate (harness/compare.h). Each side is a
// report JSON file, a directory of them or a glob. Exit codes: 0 no regression, 1 a regression,
// 2 bad usage or unreadable input.
#include <cstdlib>
#include <iostream>

#include "cli/subcommand.h"
#include "common/duration.h"
#include "harness/compare.h"
#include "harness/report.h"

namespace lnsim::cli {
namespace {

constexpr char kUsage[] =
    "lnsim compare BASELINE CURRENT [options]\n"
    "  BASELINE, CURRENT: a lnsim.report/v1 JSON file, a directory of them, or a quoted glob\n"
    "  ('runs/*.json'). With >= 3 reports per side the comparison is noise-aware (medians and a\n"
    "  one-sided Mann-Whitney U test); with fewer, plain relative thresholds. Correctness\n"
    "  counters (lost, duplicated, reordered, phantom, misordered, sequence_gaps, invalid)\n"
    "  gate at zero. Exit 0 no regression, 1 regression, 2 bad usage or input";

// "20%" or "0.2" -> 0.2.
bool ParseFraction(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str()) return false;
  if (*end == '%') {
    v /= 100.0;
    ++end;
  }
  if (*end != '\0' || v < 0) return false;
  *out = v;
  return true;
}

int Compare(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options("options");
  // clang-format off
  options.add_options()
      ("baseline", po::value<std::string>()->value_name("PATH"), "baseline report(s) (positional)")
      ("current", po::value<std::string>()->value_name("PATH"), "current report(s) (positional)")
      ("latency-threshold", po::value<std::string>()->value_name("PCT")->default_value("20%"),
       "latency p50/p90/p99 increase that counts as a regression")
      ("throughput-threshold", po::value<std::string>()->value_name("PCT")->default_value("20%"),
       "throughput decrease that counts as a regression")
      ("min-latency-delta", po::value<std::string>()->value_name("D")->default_value("1ms"),
       "latency changes below this never count")
      ("alpha", po::value<double>()->value_name("P")->default_value(0.05, "0.05"),
       "significance level (repeats)")
      ("min-repeats", po::value<std::string>()->value_name("N")->default_value("3"),
       "reports per side needed for the significance test (at least 2)")
      ("report", po::value<std::string>()->value_name("FILE")->default_value(""),
       "also write the comparison as lnsim.compare/v1 JSON here");
  // clang-format on
  po::positional_options_description positional;
  positional.add("baseline", 1).add("current", 1);
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseOptions(args, kUsage, options, positional, &vm, &exit_code, {{"json", "report"}})) {
    return exit_code;
  }
  if (!vm.count("baseline") || !vm.count("current")) {
    return UsageError("compare", "give BASELINE and CURRENT");
  }
  harness::CompareOptions co;
  if (!ParseFraction(vm["latency-threshold"].as<std::string>(), &co.latency_threshold)) {
    return UsageError("compare", "--latency-threshold: want a percentage like 20% or 0.2");
  }
  if (!ParseFraction(vm["throughput-threshold"].as<std::string>(), &co.throughput_threshold)) {
    return UsageError("compare", "--throughput-threshold: want a percentage like 20% or 0.2");
  }
  auto floor = ParseDuration(vm["min-latency-delta"].as<std::string>());
  if (!floor.ok()) return UsageError("compare", "--min-latency-delta: " + floor.status().message());
  co.min_latency_delta = *floor;
  co.alpha = vm["alpha"].as<double>();
  if (co.alpha <= 0 || co.alpha >= 1) return UsageError("compare", "--alpha: want 0 < alpha < 1");
  auto min_repeats = ParseWholeNumber("min-repeats", vm["min-repeats"].as<std::string>());
  if (!min_repeats.ok()) return UsageError("compare", min_repeats.status().message());
  co.min_repeats = std::max<size_t>(2, *min_repeats);
  if (const std::string path = vm["report"].as<std::string>(); !path.empty()) {
    // Checked before the reports are read, as `lnsim run` checks its --report.
    if (Status st = harness::CheckWritableOutput("--report", path); !st.ok()) {
      return UsageError("compare", st.message());
    }
  }

  // A report that cannot be read is a bad input (exit 2), not a usage mistake: no "see --help".
  auto unreadable = [](const char* side, const Status& s) {
    std::cerr << "lnsim compare: " << side << ": " << s.message() << std::endl;
    return kExitUsage;
  };
  auto baseline = harness::LoadReportSet(vm["baseline"].as<std::string>());
  if (!baseline.ok()) return unreadable("baseline", baseline.status());
  auto current = harness::LoadReportSet(vm["current"].as<std::string>());
  if (!current.ok()) return unreadable("current", current.status());

  const harness::Comparison c = harness::CompareReports(*baseline, *current, co);
  harness::PrintComparison(c, std::cout);
  if (const std::string path = vm["report"].as<std::string>(); !path.empty()) {
    if (Status s = harness::WriteFileAtomically(path, harness::ComparisonToJson(c)); !s.ok()) {
      std::cerr << "lnsim compare: " << s.message() << std::endl;
      return kExitUsage;
    }
  }
  return c.regressed ? kExitFailed : kExitOk;
}

}  // namespace

LNSIM_REGISTER_SUBCOMMAND(compare, "compare",
                          "compare reports or sets of repeated runs; exit 1 on a regression",
                          Compare);

}  // namespace lnsim::cli
