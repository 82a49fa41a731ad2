// lnsim sweep: capacity search over a ProbeFn (see sweep.h).
#include "harness/sweep.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "common/check.h"
#include "common/duration.h"

namespace lnsim::harness {
namespace {

constexpr const char* kRateKeys[] = {"provision_rate", "delete_rate", "attach_rate", "detach_rate",
                                     "resize_rate"};

StatusOr<double> ParseNumber(std::string_view text, std::string_view what) {
  std::string s(text);
  double mult = 1;
  if (!s.empty() && (s.back() == 'k' || s.back() == 'K'))
    mult = 1e3, s.pop_back();
  else if (!s.empty() && s.back() == 'M')
    mult = 1e6, s.pop_back();
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !(v > 0) || !std::isfinite(v)) {
    return InvalidArgumentError(std::string(what) + ": '" + std::string(text) +
                                "' is not a positive number");
  }
  return v * mult;
}

// Rounds to three significant digits, so probed loads read well in tables.
double Round3(double v) {
  if (v <= 0) return v;
  const double mag = std::pow(10.0, std::floor(std::log10(v)) - 2);
  return std::round(v / mag) * mag;
}

std::string Fmt(double v, int precision = 3) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}

std::string FmtLoad(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

Report MedianReport(const std::vector<Report>& runs, const std::vector<Slo>& slos) {
  LNSIM_CHECK(!runs.empty());
  Report m = runs.front();
  auto median_of = [&](auto get) {
    std::vector<double> v;
    for (const Report& r : runs) v.push_back(static_cast<double>(get(r)));
    std::sort(v.begin(), v.end());
    return v[(v.size() - 1) / 2];  // lower median: a real run's value
  };
  for (int s = 0; s < kStageCount; ++s) {
    StageSummary& st = m.latency[s];
    st.count =
        static_cast<uint64_t>(median_of([s](const Report& r) { return r.latency[s].count; }));
    st.p50_ns =
        static_cast<uint64_t>(median_of([s](const Report& r) { return r.latency[s].p50_ns; }));
    st.p90_ns =
        static_cast<uint64_t>(median_of([s](const Report& r) { return r.latency[s].p90_ns; }));
    st.p99_ns =
        static_cast<uint64_t>(median_of([s](const Report& r) { return r.latency[s].p99_ns; }));
    st.p999_ns =
        static_cast<uint64_t>(median_of([s](const Report& r) { return r.latency[s].p999_ns; }));
    st.max_ns =
        static_cast<uint64_t>(median_of([s](const Report& r) { return r.latency[s].max_ns; }));
  }
  m.throughput = median_of([](const Report& r) { return r.throughput; });
  m.events = static_cast<uint64_t>(median_of([](const Report& r) { return r.events; }));
  m.totals = VerdictCounters{};
  m.failed_checks.clear();
  for (const Report& r : runs) {
    auto& t = m.totals;
    t.delivered = std::max(t.delivered, r.totals.delivered);
    t.matched = std::max(t.matched, r.totals.matched);
    t.coalesced = std::max(t.coalesced, r.totals.coalesced);
    t.lost = std::max(t.lost, r.totals.lost);
    t.duplicated = std::max(t.duplicated, r.totals.duplicated);
    t.redelivered = std::max(t.redelivered, r.totals.redelivered);
    t.reordered = std::max(t.reordered, r.totals.reordered);
    t.phantom = std::max(t.phantom, r.totals.phantom);
    t.late = std::max(t.late, r.totals.late);
    t.unjudged = std::max(t.unjudged, r.totals.unjudged);
    t.misordered = std::max(t.misordered, r.totals.misordered);
    t.sequence_gaps = std::max(t.sequence_gaps, r.totals.sequence_gaps);
    t.invalid = std::max(t.invalid, r.totals.invalid);
    for (const std::string& c : r.failed_checks) m.failed_checks.push_back(c);
  }
  ApplySlos(slos, &m);
  return m;
}

}  // namespace

StatusOr<SweepAxis> ParseSweepAxis(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos) {
    return InvalidArgumentError("--vary '" + std::string(text) +
                                "': want NAME=LO..HI (rate) or NAME=V1,V2,... (volumes, nodes)");
  }
  SweepAxis axis;
  axis.name = std::string(text.substr(0, eq));
  const std::string_view value = text.substr(eq + 1);
  const std::string where = "--vary " + std::string(text);
  if (axis.name != "rate" && axis.name != "volumes" && axis.name != "nodes") {
    return InvalidArgumentError(where + ": unknown axis '" + axis.name +
                                "' (known: rate, volumes, nodes)");
  }
  if (const size_t dots = value.find(".."); dots != std::string_view::npos) {
    if (axis.name != "rate") {
      return InvalidArgumentError(where + ": " + axis.name +
                                  " takes a list (V1,V2,...), not a range");
    }
    LNSIM_ASSIGN_OR_RETURN(double lo, ParseNumber(value.substr(0, dots), where));
    LNSIM_ASSIGN_OR_RETURN(double hi, ParseNumber(value.substr(dots + 2), where));
    if (!(hi > lo)) return InvalidArgumentError(where + ": want LO < HI");
    axis.values = {lo, hi};
    return axis;
  }
  if (axis.name == "rate") {
    return InvalidArgumentError(where + ": rate is searched, give a range LO..HI");
  }
  size_t start = 0;
  while (start <= value.size()) {
    const size_t comma = value.find(',', start);
    const std::string_view item = value.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    LNSIM_ASSIGN_OR_RETURN(double v, ParseNumber(item, where));
    axis.values.push_back(std::round(v));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return axis;
}

std::string FormatLoad(double ops_per_s) { return FmtLoad(ops_per_s); }

std::string SettingLabel(const SweepSetting& setting) {
  if (setting.empty()) return "scenario";
  std::string out;
  for (const auto& [k, v] : setting) out += (out.empty() ? "" : " ") + k + "=" + FmtLoad(v);
  return out;
}

StatusOr<SweepResult> RunSweep(const SweepOptions& options, const ProbeFn& probe_fn,
                               std::ostream& log) {
  LNSIM_CHECK(options.repeats >= 1 && options.rate_hi > options.rate_lo && options.rate_lo > 0);
  std::vector<SweepSetting> settings = {SweepSetting{}};
  for (const SweepAxis& axis : options.settings_axes) {
    std::vector<SweepSetting> next;
    for (const SweepSetting& s : settings) {
      for (double v : axis.values) {
        SweepSetting copy = s;
        copy[axis.name] = v;
        next.push_back(copy);
      }
    }
    settings = std::move(next);
  }
  SweepResult result;
  for (const SweepSetting& setting : settings) {
    SettingResult sr;
    sr.setting = setting;
    const std::string label = SettingLabel(setting);
    auto run_probe = [&](double rate) -> StatusOr<bool> {
      Probe p;
      p.rate = rate;
      std::vector<ProbeRun> runs;
      for (int i = 0; i < options.repeats; ++i) {
        auto run = probe_fn(setting, rate, i);
        if (!run.ok()) return run.status().WithPrefix(label + " rate " + FmtLoad(rate));
        p.repeats.push_back(run->report);
        runs.push_back(std::move(run).value());
      }
      p.median = MedianReport(p.repeats, options.slos);
      p.passed = p.median.passed;
      for (const SloResult& s : p.median.slos) {
        if (!s.passed && p.why.empty()) p.why = s.expression + " (measured " + s.measured + ")";
      }
      if (p.why.empty() && !p.median.failed_checks.empty()) p.why = p.median.failed_checks.front();
      // Timing of the repeat whose end-to-end p99 is the median one.
      std::vector<size_t> order(runs.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return runs[a].report.stage(Stage::kEndToEnd).p99_ns <
               runs[b].report.stage(Stage::kEndToEnd).p99_ns;
      });
      p.timing = std::move(runs[order[(order.size() - 1) / 2]].timing);
      const StageSummary& e2e = p.median.stage(Stage::kEndToEnd);
      log << label << "  rate " << FmtLoad(rate) << " ops/s: " << (p.passed ? "pass" : "FAIL")
          << "  p50 " << Fmt(e2e.p50_ns / 1e6, 1) << "ms  p99 " << Fmt(e2e.p99_ns / 1e6, 1)
          << "ms  throughput " << Fmt(p.median.throughput, 1) << " events/s"
          << (p.why.empty() ? "" : "  (" + p.why + ")") << std::endl;
      const bool passed = p.passed;
      sr.probes.push_back(std::move(p));
      return passed;
    };
    std::optional<double> pass, fail;
    double rate = Round3(options.rate_lo);
    while (static_cast<int>(sr.probes.size()) < options.max_probes) {
      LNSIM_ASSIGN_OR_RETURN(bool ok, run_probe(rate));
      if (!ok) {
        fail = rate;
        break;
      }
      pass = rate;
      if (rate >= options.rate_hi) break;
      rate = std::min(Round3(rate * options.growth), options.rate_hi);
    }
    while (pass && fail && *fail / *pass > 1 + options.tolerance &&
           static_cast<int>(sr.probes.size()) < options.max_probes) {
      const double mid = Round3(std::sqrt(*pass * *fail));
      if (mid <= *pass || mid >= *fail) break;
      LNSIM_ASSIGN_OR_RETURN(bool ok, run_probe(mid));
      (ok ? pass : fail) = mid;
    }
    sr.knee = pass;
    sr.first_fail = fail;
    if (!pass) {
      sr.summary = label + ": fails already at " + FmtLoad(options.rate_lo) + " ops/s";
    } else if (!fail) {
      sr.summary = label + ": knee >= " + FmtLoad(*pass) + " ops/s (" +
                   (*pass >= options.rate_hi ? std::string("the top of the range passed")
                                             : "stopped after " + std::to_string(sr.probes.size()) +
                                                   " probes, --max-probes") +
                   ")";
    } else {
      std::string why;
      for (const Probe& p : sr.probes) {
        if (p.rate == *fail) why = p.why;
      }
      sr.summary = label + ": knee " + FmtLoad(*pass) + " ops/s (fails at " + FmtLoad(*fail) +
                   ": " + why + ")";
    }
    log << sr.summary << std::endl;
    result.settings.push_back(std::move(sr));
  }
  return result;
}

std::string SweepCsv(const SweepResult& result) {
  std::ostringstream o;
  o << "setting,rate_ops_per_s,repeats,passed,p50_end_to_end_ms,p90_end_to_end_ms,"
       "p99_end_to_end_ms,max_end_to_end_ms,p99_observe_ms,p99_publish_ms,p99_deliver_ms,"
       "throughput_events_per_s,delivered,events,lost,duplicated,reordered,phantom,late,"
       "redelivered,misordered,sequence_gaps,invalid,why\n";
  for (const SettingResult& s : result.settings) {
    for (const Probe& p : s.probes) {
      const Report& r = p.median;
      auto ms = [&](Stage st, uint64_t StageSummary::*f) { return Fmt(r.stage(st).*f / 1e6); };
      std::string why = p.why;
      std::replace(why.begin(), why.end(), '"', '\'');
      o << SettingLabel(s.setting) << "," << FmtLoad(p.rate) << "," << p.repeats.size() << ","
        << (p.passed ? "true" : "false") << "," << ms(Stage::kEndToEnd, &StageSummary::p50_ns)
        << "," << ms(Stage::kEndToEnd, &StageSummary::p90_ns) << ","
        << ms(Stage::kEndToEnd, &StageSummary::p99_ns) << ","
        << ms(Stage::kEndToEnd, &StageSummary::max_ns) << ","
        << ms(Stage::kObserve, &StageSummary::p99_ns) << ","
        << ms(Stage::kPublish, &StageSummary::p99_ns) << ","
        << ms(Stage::kDeliver, &StageSummary::p99_ns) << "," << Fmt(r.throughput, 1) << ","
        << r.totals.delivered << "," << r.events << "," << r.totals.lost << ","
        << r.totals.duplicated << "," << r.totals.reordered << "," << r.totals.phantom << ","
        << r.totals.late << "," << r.totals.redelivered << "," << r.totals.misordered << ","
        << r.totals.sequence_gaps << "," << r.totals.invalid << ",\"" << why << "\"\n";
    }
  }
  return o.str();
}

std::string KneesCsv(const SweepResult& result) {
  std::ostringstream o;
  o << "setting,knee_ops_per_s,first_failing_ops_per_s,knee_throughput_events_per_s,"
       "knee_p99_end_to_end_ms,probes\n";
  for (const SettingResult& s : result.settings) {
    std::string tput, p99;
    for (const Probe& p : s.probes) {
      if (s.knee && p.rate == *s.knee) {
        tput = Fmt(p.median.throughput, 1);
        p99 = Fmt(p.median.stage(Stage::kEndToEnd).p99_ns / 1e6);
      }
    }
    o << SettingLabel(s.setting) << "," << (s.knee ? FmtLoad(*s.knee) : "") << ","
      << (s.first_fail ? FmtLoad(*s.first_fail) : "") << "," << tput << "," << p99 << ","
      << s.probes.size() << "\n";
  }
  return o.str();
}

HtmlPage SweepPage(const SweepResult& result, const SweepOptions& options,
                   const std::string& scenario) {
  HtmlPage page;
  page.title = "lnsim sweep " + scenario;
  std::string slos;
  for (const Slo& s : options.slos) slos += (slos.empty() ? "" : ", ") + s.expression;
  page.summary = {
      {"scenario", scenario},
      {"load axis", "rate " + FmtLoad(options.rate_lo) + ".." + FmtLoad(options.rate_hi) +
                        " workload operations per second of world time"},
      {"SLOs", slos},
      {"repeats per probe", std::to_string(options.repeats)},
      {"tolerance", Fmt(options.tolerance * 100, 0) + "%"}};
  for (const SettingResult& s : result.settings) page.notes.push_back(s.summary);
  page.notes.push_back(
      "Search: loads grow x" + Fmt(options.growth, 0) +
      " from the lowest until a probe fails, then bisect geometrically between the last pass "
      "and the first failure. A probe passes when every repeat's counters and checks pass and "
      "the median of the repeats meets the latency and throughput SLOs.");
  page.table.push_back({"setting", "knee (ops/s)", "first failing (ops/s)", "events/s at knee",
                        "p99 end to end at knee (ms)", "probes"});
  const Probe* shown = nullptr;
  for (const SettingResult& s : result.settings) {
    LoadCurve c;
    c.label = SettingLabel(s.setting);
    c.knee = s.knee;
    std::string tput, p99;
    for (const Probe& p : s.probes) {
      const StageSummary& e2e = p.median.stage(Stage::kEndToEnd);
      c.points.push_back({p.rate, e2e.p50_ns / 1e6, e2e.p99_ns / 1e6, p.passed});
      if (s.knee && p.rate == *s.knee) {
        tput = Fmt(p.median.throughput, 1);
        p99 = Fmt(e2e.p99_ns / 1e6);
        if (shown == nullptr) shown = &p;
      }
    }
    page.table.push_back({c.label, s.knee ? FmtLoad(*s.knee) : "below " + FmtLoad(options.rate_lo),
                          s.first_fail ? FmtLoad(*s.first_fail) : "-", tput, p99,
                          std::to_string(s.probes.size())});
    page.curves.push_back(std::move(c));
  }
  if (shown == nullptr && !result.settings.empty() && !result.settings[0].probes.empty()) {
    shown = &result.settings[0].probes[0];
  }
  if (shown != nullptr) {
    page.run = shown->median;
    page.run_caption = SettingLabel(result.settings[0].setting) + " at " + FmtLoad(shown->rate) +
                       " ops/s" + (shown->passed ? ", the knee" : ", lowest probe");
    page.timing = shown->timing;
  }
  return page;
}

Status WriteSweepOutputs(const SweepResult& result, const SweepOptions& options,
                         const std::string& scenario, const std::string& out_dir) {
  LNSIM_RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/sweep.csv", SweepCsv(result)));
  LNSIM_RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/knees.csv", KneesCsv(result)));
  return WriteFileAtomically(out_dir + "/sweep.html",
                             RenderHtmlPage(SweepPage(result, options, scenario)));
}

StatusOr<std::string> RewriteScenarioForProbe(const std::string& scenario_path,
                                              const SweepSetting& setting, double rate,
                                              Duration probe_length) {
  try {
    YAML::Node root = YAML::LoadFile(scenario_path);
    if (!root.IsMap()) return InvalidArgumentError(scenario_path + ": not a YAML mapping");
    const double time_scale = root["time_scale"] ? root["time_scale"].as<double>() : 1.0;
    YAML::Node workload = root["workload"];
    if (!workload || !workload.IsMap()) workload = YAML::Node(YAML::NodeType::Map);
    double sum = 0;
    for (const char* key : kRateKeys) {
      if (workload[key]) sum += workload[key].as<double>();
    }
    // Scenario rates are per second of scenario time; world time = scenario time x time_scale.
    const double scenario_rate = rate * time_scale;
    for (const char* key : kRateKeys) {
      double share = 0;
      if (sum > 0) {
        share = workload[key] ? workload[key].as<double>() / sum : 0;
      } else {
        share = std::string(key) == "attach_rate" || std::string(key) == "detach_rate" ? 0.5 : 0;
      }
      if (share > 0 || workload[key]) workload[key] = scenario_rate * share;
    }
    root["workload"] = workload;
    YAML::Node cluster = root["cluster"];
    if (!cluster || !cluster.IsMap()) cluster = YAML::Node(YAML::NodeType::Map);
    for (const auto& [axis, value] : setting) {
      if (axis == "volumes") {
        const double per =
            cluster["volumes_per_resource"] ? cluster["volumes_per_resource"].as<double>() : 1.0;
        cluster["resources"] = static_cast<int64_t>(std::max(1.0, std::round(value / per)));
      } else if (axis == "nodes") {
        cluster["nodes"] = static_cast<int64_t>(value);
      }
    }
    root["cluster"] = cluster;
    const auto scenario_ns =
        static_cast<int64_t>(static_cast<double>(probe_length.count()) / time_scale);
    root["duration"] = FormatDuration(Duration(scenario_ns / 1000000 * 1000000));
    YAML::Emitter out;
    out << root;
    return std::string(out.c_str()) + "\n";
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(scenario_path + ": " + e.what());
  }
}

}  // namespace lnsim::harness
