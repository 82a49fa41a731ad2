// Report renderings: lnsim.report/v1 JSON (and back), the human table. Field names and
// units are documented in docs/report.md; change both together.
#include "harness/report.h"

#include <nats/nats.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/duration.h"

namespace lnsim::harness {
namespace {

using Json = nlohmann::ordered_json;

constexpr Stage kAllStages[] = {Stage::kObserve, Stage::kPublish, Stage::kDeliver,
                                Stage::kEndToEnd};

// Exact: milliseconds with six decimals carry every nanosecond (integers < 2^53 are exact).
double NsToMs(uint64_t ns) { return static_cast<double>(ns) / 1e6; }
uint64_t MsToNs(double ms) { return static_cast<uint64_t>(std::llround(ms * 1e6)); }
double Round3(double v) { return std::round(v * 1e3) / 1e3; }

void AddCounters(const VerdictCounters& c, Json& j) {
  j["lost"] = c.lost;
  j["duplicated"] = c.duplicated;
  j["redelivered"] = c.redelivered;
  j["reordered"] = c.reordered;
  j["phantom"] = c.phantom;
  j["late"] = c.late;
  j["delivered"] = c.delivered;
  j["matched"] = c.matched;
  j["coalesced"] = c.coalesced;
  j["unjudged"] = c.unjudged;
}

Json OptionalMs(const std::optional<double>& v) { return v ? Json(Round3(*v)) : Json(nullptr); }

std::string Trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string Ms(uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(ns) / 1e6);
  return buf;
}

// Reads a field with a clear error: "report: verdict.lost: expected a number".
template <typename T>
Status Get(const Json& object, const char* key, const std::string& where, T* out) {
  auto it = object.find(key);
  if (it == object.end()) {
    return InvalidArgumentError("report: " + where + key + ": missing");
  }
  try {
    *out = it->template get<T>();
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError("report: " + where + key + ": " + e.what());
  }
  return OkStatus();
}

Status CountersFromJson(const Json& j, const std::string& where, VerdictCounters* c) {
  LNSIM_RETURN_IF_ERROR(Get(j, "lost", where, &c->lost));
  LNSIM_RETURN_IF_ERROR(Get(j, "duplicated", where, &c->duplicated));
  LNSIM_RETURN_IF_ERROR(Get(j, "redelivered", where, &c->redelivered));
  LNSIM_RETURN_IF_ERROR(Get(j, "reordered", where, &c->reordered));
  LNSIM_RETURN_IF_ERROR(Get(j, "phantom", where, &c->phantom));
  LNSIM_RETURN_IF_ERROR(Get(j, "late", where, &c->late));
  LNSIM_RETURN_IF_ERROR(Get(j, "delivered", where, &c->delivered));
  LNSIM_RETURN_IF_ERROR(Get(j, "matched", where, &c->matched));
  LNSIM_RETURN_IF_ERROR(Get(j, "coalesced", where, &c->coalesced));
  if (j.contains("unjudged")) LNSIM_RETURN_IF_ERROR(Get(j, "unjudged", where, &c->unjudged));
  return OkStatus();
}

std::optional<double> OptionalFromJson(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

}  // namespace

VerdictCounters& VerdictCounters::operator+=(const VerdictCounters& o) {
  delivered += o.delivered;
  matched += o.matched;
  coalesced += o.coalesced;
  lost += o.lost;
  duplicated += o.duplicated;
  redelivered += o.redelivered;
  reordered += o.reordered;
  phantom += o.phantom;
  late += o.late;
  unjudged += o.unjudged;
  return *this;
}

std::string_view StageName(Stage stage) {
  switch (stage) {
    case Stage::kObserve:
      return "observe";
    case Stage::kPublish:
      return "publish";
    case Stage::kDeliver:
      return "deliver";
    case Stage::kEndToEnd:
      return "end_to_end";
  }
  return "?";
}

StageSummary StageSummary::From(const Histogram& h) {
  StageSummary s;
  s.count = h.count();
  s.p50_ns = h.Quantile(0.5);
  s.p90_ns = h.Quantile(0.9);
  s.p99_ns = h.Quantile(0.99);
  s.p999_ns = h.Quantile(0.999);
  s.max_ns = h.max();
  return s;
}

void StageSamples::Add(double t_s, double ms) {
  ++total;
  if (skip_ > 0) {  // a countdown, not total % stride: this runs per event and stage
    --skip_;
    return;
  }
  skip_ = stride - 1;
  points.push_back({static_cast<float>(t_s), static_cast<float>(std::max(0.0, ms))});
  if (points.size() < kMaxStageSamples) return;
  // Full: keep every other point (those at multiples of the doubled stride).
  size_t kept = 0;
  for (size_t i = 0; i < points.size(); i += 2) points[kept++] = points[i];
  points.resize(kept);
  stride *= 2;
  skip_ = (stride - total % stride) % stride;  // up to the next multiple of the new stride
}

std::vector<Check> ChecksOrLegacy(const Report& r) {
  if (!r.checks.empty()) return r.checks;
  std::vector<Check> checks;
  for (const SloResult& s : r.slos) {
    checks.push_back({s.expression, kCheckSlo, s.passed, "measured " + s.measured});
  }
  for (const std::string& c : r.failed_checks) checks.push_back({c, kCheckRun, false, c});
  return checks;
}

std::string IsoUtc(int64_t unix_ns) {
  const int64_t ms = unix_ns / 1'000'000;
  const time_t secs = static_cast<time_t>(ms / 1000);
  tm utc{};
  gmtime_r(&secs, &utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

void StampWallClock(int64_t start_unix_ns, Duration start_steady, Duration end_steady,
                    Report* report) {
  report->started_at = IsoUtc(start_unix_ns);
  report->wall_s = std::chrono::duration<double>(end_steady - start_steady).count();
}

Environment CollectEnvironment() {
  Environment env;
  env.nats_c_version = nats_GetVersion();
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) env.cpu_model = Trimmed(line.substr(colon + 1));
      break;
    }
  }
  env.cpu_count = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  utsname u{};
  if (uname(&u) == 0) env.kernel = std::string(u.sysname) + " " + u.release;
  return env;
}

namespace {

Json VerdictToJson(const Report& r) {
  Json verdict;
  verdict["passed"] = r.passed;
  AddCounters(r.totals, verdict);
  Json per_consumer = Json::array();
  for (const ConsumerVerdict& c : r.per_consumer) {
    Json cj;
    cj["name"] = c.name;
    cj["mode"] = c.mode;
    cj["converged"] = c.converged;
    AddCounters(c.counters, cj);
    per_consumer.push_back(cj);
  }
  verdict["per_consumer"] = per_consumer;
  Json slos = Json::array();
  for (const SloResult& s : r.slos) {
    slos.push_back(
        Json{{"expression", s.expression}, {"passed", s.passed}, {"measured", s.measured}});
  }
  verdict["slos"] = slos;
  verdict["failed_checks"] = r.failed_checks;
  Json checks = Json::array();
  for (const Check& c : r.checks) {
    checks.push_back(
        Json{{"name", c.name}, {"family", c.family}, {"passed", c.passed}, {"detail", c.detail}});
  }
  verdict["checks"] = checks;
  return verdict;
}

Json LatencyToJson(const Report& r) {
  Json latency;
  for (Stage stage : kAllStages) {
    const StageSummary& s = r.stage(stage);
    latency[std::string(StageName(stage))] =
        Json{{"p50", NsToMs(s.p50_ns)},   {"p90", NsToMs(s.p90_ns)}, {"p99", NsToMs(s.p99_ns)},
             {"p999", NsToMs(s.p999_ns)}, {"max", NsToMs(s.max_ns)}, {"count", s.count}};
  }
  return latency;
}

Json FaultsToJson(const std::vector<FaultWindow>& windows) {
  Json faults = Json::array();
  for (const FaultWindow& f : windows) {
    faults.push_back(Json{{"kind", f.kind},
                          {"target", f.target},
                          {"start", Round3(f.start_ms)},
                          {"end", Round3(f.end_ms)},
                          {"detect", OptionalMs(f.detect_ms)},
                          {"recover", OptionalMs(f.recover_ms)},
                          {"drain", OptionalMs(f.drain_ms)},
                          {"events_in_window", f.events_in_window}});
  }
  return faults;
}

Json ClusterToJson(const ClusterSummary& cluster) {
  Json cf = Json::array();
  for (const ClusterFault& f : cluster.faults) {
    cf.push_back(Json{{"fault", f.fault},
                      {"member", f.member},
                      {"was_leader", f.was_leader},
                      {"old_leader", f.old_leader},
                      {"new_leader", f.new_leader},
                      {"at", Round3(f.at_ms)},
                      {"election", OptionalMs(f.election_ms)},
                      {"first_ack", OptionalMs(f.first_ack_ms)}});
  }
  Json errors = Json::object();
  for (const auto& [kind, n] : cluster.publish_errors) errors[kind] = n;
  return Json{{"size", cluster.size},
              {"replicas", cluster.replicas},
              {"faults", cf},
              {"publish_errors", errors}};
}

Json AuthToJson(const AuthSummary& auth) {
  Json rogues = Json::array();
  for (const RogueResult& g : auth.rogues) {
    rogues.push_back(Json{
        {"name", g.name}, {"creds", g.creds}, {"attempts", g.attempts}, {"denials", g.denials}});
  }
  return Json{{"mode", auth.mode},
              {"attempts", auth.attempts},
              {"denials", auth.denials},
              {"rogues", rogues}};
}

Json EnvironmentToJson(const Environment& e) {
  return Json{{"lnsim_version", e.lnsim_version},   {"nats_server_version", e.nats_server_version},
              {"nats_c_version", e.nats_c_version}, {"cpu_model", e.cpu_model},
              {"cpu_count", e.cpu_count},           {"kernel", e.kernel},
              {"git_commit", e.git_commit}};
}

// verdict.checks (absent in reports older than the field).
Status ChecksFromJson(const Json& v, Report* r) {
  if (!v.contains("checks")) return OkStatus();
  if (!v["checks"].is_array()) return InvalidArgumentError("report: verdict.checks: not an array");
  for (size_t i = 0; i < v["checks"].size(); ++i) {
    const Json& cj = v["checks"][i];
    const std::string where = "verdict.checks[" + std::to_string(i) + "].";
    Check c;
    LNSIM_RETURN_IF_ERROR(Get(cj, "name", where, &c.name));
    LNSIM_RETURN_IF_ERROR(Get(cj, "family", where, &c.family));
    LNSIM_RETURN_IF_ERROR(Get(cj, "passed", where, &c.passed));
    LNSIM_RETURN_IF_ERROR(Get(cj, "detail", where, &c.detail));
    r->checks.push_back(std::move(c));
  }
  return OkStatus();
}

Status VerdictFromJson(const Json& j, Report* r) {
  if (!j.contains("verdict") || !j["verdict"].is_object()) {
    return InvalidArgumentError("report: verdict: missing");
  }
  const Json& v = j["verdict"];
  LNSIM_RETURN_IF_ERROR(Get(v, "passed", "verdict.", &r->passed));
  LNSIM_RETURN_IF_ERROR(CountersFromJson(v, "verdict.", &r->totals));
  if (v.contains("per_consumer") && v["per_consumer"].is_array()) {
    for (size_t i = 0; i < v["per_consumer"].size(); ++i) {
      const Json& cj = v["per_consumer"][i];
      const std::string where = "verdict.per_consumer[" + std::to_string(i) + "].";
      ConsumerVerdict c;
      LNSIM_RETURN_IF_ERROR(Get(cj, "name", where, &c.name));
      LNSIM_RETURN_IF_ERROR(Get(cj, "mode", where, &c.mode));
      LNSIM_RETURN_IF_ERROR(Get(cj, "converged", where, &c.converged));
      LNSIM_RETURN_IF_ERROR(CountersFromJson(cj, where, &c.counters));
      r->per_consumer.push_back(std::move(c));
    }
  }
  if (v.contains("slos") && v["slos"].is_array()) {
    for (const Json& sj : v["slos"]) {
      SloResult s;
      LNSIM_RETURN_IF_ERROR(Get(sj, "expression", "verdict.slos[].", &s.expression));
      LNSIM_RETURN_IF_ERROR(Get(sj, "passed", "verdict.slos[].", &s.passed));
      LNSIM_RETURN_IF_ERROR(Get(sj, "measured", "verdict.slos[].", &s.measured));
      r->slos.push_back(std::move(s));
    }
  }
  if (v.contains("failed_checks")) {
    LNSIM_RETURN_IF_ERROR(Get(v, "failed_checks", "verdict.", &r->failed_checks));
  }
  return ChecksFromJson(v, r);
}

Status LatencyFromJson(const Json& j, Report* r) {
  if (!j.contains("latency_ms") || !j["latency_ms"].is_object()) {
    return InvalidArgumentError("report: latency_ms: missing");
  }
  for (Stage stage : kAllStages) {
    const std::string name(StageName(stage));
    if (!j["latency_ms"].contains(name)) {
      return InvalidArgumentError("report: latency_ms." + name + ": missing");
    }
    const Json& sj = j["latency_ms"][name];
    const std::string where = "latency_ms." + name + ".";
    double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
    StageSummary& s = r->stage(stage);
    LNSIM_RETURN_IF_ERROR(Get(sj, "p50", where, &p50));
    LNSIM_RETURN_IF_ERROR(Get(sj, "p90", where, &p90));
    LNSIM_RETURN_IF_ERROR(Get(sj, "p99", where, &p99));
    LNSIM_RETURN_IF_ERROR(Get(sj, "p999", where, &p999));
    LNSIM_RETURN_IF_ERROR(Get(sj, "max", where, &max));
    LNSIM_RETURN_IF_ERROR(Get(sj, "count", where, &s.count));
    s.p50_ns = MsToNs(p50);
    s.p90_ns = MsToNs(p90);
    s.p99_ns = MsToNs(p99);
    s.p999_ns = MsToNs(p999);
    s.max_ns = MsToNs(max);
  }
  return OkStatus();
}

Status FaultsFromJson(const Json& j, Report* r) {
  if (!j.contains("faults") || !j["faults"].is_array()) return OkStatus();
  for (const Json& fj : j["faults"]) {
    FaultWindow f;
    LNSIM_RETURN_IF_ERROR(Get(fj, "kind", "faults[].", &f.kind));
    LNSIM_RETURN_IF_ERROR(Get(fj, "target", "faults[].", &f.target));
    LNSIM_RETURN_IF_ERROR(Get(fj, "start", "faults[].", &f.start_ms));
    LNSIM_RETURN_IF_ERROR(Get(fj, "end", "faults[].", &f.end_ms));
    LNSIM_RETURN_IF_ERROR(Get(fj, "events_in_window", "faults[].", &f.events_in_window));
    f.detect_ms = OptionalFromJson(fj, "detect");
    f.recover_ms = OptionalFromJson(fj, "recover");
    f.drain_ms = OptionalFromJson(fj, "drain");
    r->faults.push_back(std::move(f));
  }
  return OkStatus();
}

ClusterSummary ClusterFromJson(const Json& cj) {
  ClusterSummary c;
  c.size = cj.value("size", 0);
  c.replicas = cj.value("replicas", 0);
  if (cj.contains("faults") && cj["faults"].is_array()) {
    for (const Json& fj : cj["faults"]) {
      if (!fj.is_object()) continue;
      ClusterFault f;
      f.fault = fj.value("fault", "");
      f.member = fj.value("member", "");
      f.was_leader = fj.value("was_leader", false);
      f.old_leader = fj.value("old_leader", "");
      f.new_leader = fj.value("new_leader", "");
      f.at_ms = fj.value("at", 0.0);
      f.election_ms = OptionalFromJson(fj, "election");
      f.first_ack_ms = OptionalFromJson(fj, "first_ack");
      c.faults.push_back(std::move(f));
    }
  }
  if (cj.contains("publish_errors") && cj["publish_errors"].is_object()) {
    for (const auto& [kind, n] : cj["publish_errors"].items()) {
      if (n.is_number_unsigned()) c.publish_errors.emplace_back(kind, n.get<uint64_t>());
    }
  }
  return c;
}

AuthSummary AuthFromJson(const Json& aj) {
  AuthSummary a;
  a.mode = aj.value("mode", "");
  a.attempts = aj.value("attempts", uint64_t{0});
  a.denials = aj.value("denials", uint64_t{0});
  if (aj.contains("rogues") && aj["rogues"].is_array()) {
    for (const Json& gj : aj["rogues"]) {
      if (!gj.is_object()) continue;
      a.rogues.push_back(RogueResult{gj.value("name", ""), gj.value("creds", ""),
                                     gj.value("attempts", uint64_t{0}),
                                     gj.value("denials", uint64_t{0})});
    }
  }
  return a;
}

void EnvironmentFromJson(const Json& ej, Environment* e) {
  e->lnsim_version = ej.value("lnsim_version", "");
  e->nats_server_version = ej.value("nats_server_version", "");
  e->nats_c_version = ej.value("nats_c_version", "");
  e->cpu_model = ej.value("cpu_model", "");
  e->cpu_count = ej.value("cpu_count", 0);
  e->kernel = ej.value("kernel", "");
  e->git_commit = ej.value("git_commit", "");
}

}  // namespace

std::string ReportToJson(const Report& r) {
  Json j;
  j["schema"] = kReportSchema;
  j["verdict"] = VerdictToJson(r);
  j["latency_ms"] = LatencyToJson(r);
  j["throughput"] = Round3(r.throughput);
  j["duration_s"] = Round3(r.duration_s);
  j["world_changes"] = r.events;
  j["faults"] = FaultsToJson(r.faults);
  if (r.cluster) j["cluster"] = ClusterToJson(*r.cluster);
  if (r.auth) j["auth"] = AuthToJson(*r.auth);
  j["environment"] = EnvironmentToJson(r.environment);
  j["trace_digest"] = r.trace_digest;
  j["seed"] = r.seed;
  j["scenario"] = r.scenario;
  j["command"] = r.command;
  j["started_at"] = r.started_at;
  j["wall_s"] = Round3(r.wall_s);
  return j.dump(2) + "\n";
}

StatusOr<Report> ReportFromJson(std::string_view text) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError("report: not a JSON object");
  }
  std::string schema;
  LNSIM_RETURN_IF_ERROR(Get(j, "schema", "", &schema));
  if (schema != kReportSchema) {
    return FailedPreconditionError("report: schema '" + schema + "', expected '" +
                                   std::string(kReportSchema) + "'");
  }
  Report r;
  LNSIM_RETURN_IF_ERROR(VerdictFromJson(j, &r));
  LNSIM_RETURN_IF_ERROR(LatencyFromJson(j, &r));
  LNSIM_RETURN_IF_ERROR(Get(j, "throughput", "", &r.throughput));
  // `world_changes`; reports written before the rename call it `events`.
  LNSIM_RETURN_IF_ERROR(
      Get(j, j.contains("world_changes") || !j.contains("events") ? "world_changes" : "events", "",
          &r.events));
  if (j.contains("duration_s")) LNSIM_RETURN_IF_ERROR(Get(j, "duration_s", "", &r.duration_s));
  LNSIM_RETURN_IF_ERROR(FaultsFromJson(j, &r));
  if (j.contains("cluster") && j["cluster"].is_object()) r.cluster = ClusterFromJson(j["cluster"]);
  if (j.contains("auth") && j["auth"].is_object()) r.auth = AuthFromJson(j["auth"]);
  if (j.contains("environment") && j["environment"].is_object()) {
    EnvironmentFromJson(j["environment"], &r.environment);
  }
  r.trace_digest = j.value("trace_digest", "");
  LNSIM_RETURN_IF_ERROR(Get(j, "seed", "", &r.seed));
  r.scenario = j.value("scenario", "");
  r.command = j.value("command", "");
  if (j.contains("started_at")) LNSIM_RETURN_IF_ERROR(Get(j, "started_at", "", &r.started_at));
  if (j.contains("wall_s")) LNSIM_RETURN_IF_ERROR(Get(j, "wall_s", "", &r.wall_s));
  return r;
}

namespace {

// "123ms", or "-" when not measured.
std::string OptionalMsText(const std::optional<double>& v) {
  return v ? std::to_string(static_cast<int64_t>(std::llround(*v))) + "ms" : std::string("-");
}

void PrintVerdictRows(const Report& r, std::ostream& out) {
  int name_width = 22;
  for (const ConsumerVerdict& c : r.per_consumer) {
    name_width = std::max(name_width, static_cast<int>(c.name.size() + c.mode.size() + 4));
  }
  auto row = [&](const std::string& name, const VerdictCounters& c, const std::string& extra) {
    out << std::left << std::setw(name_width) << name << std::right << std::setw(10) << c.delivered
        << std::setw(8) << c.lost << std::setw(8) << c.duplicated << std::setw(8) << c.redelivered
        << std::setw(8) << c.reordered << std::setw(8) << c.phantom << std::setw(8) << c.late
        << std::setw(10) << c.coalesced << "  " << extra << "\n";
  };
  out << std::left << std::setw(name_width) << "consumer" << std::right << std::setw(10)
      << "delivered" << std::setw(8) << "lost" << std::setw(8) << "dup" << std::setw(8) << "redeliv"
      << std::setw(8) << "reorder" << std::setw(8) << "phantom" << std::setw(8) << "late"
      << std::setw(10) << "coalesced"
      << "\n";
  for (const ConsumerVerdict& c : r.per_consumer) {
    row(c.name + " (" + c.mode + ")", c.counters, c.converged ? "" : "NOT CONVERGED");
  }
  row("total", r.totals, "");
}

void PrintLatencyRows(const Report& r, std::ostream& out) {
  out << "\n"
      << std::left << std::setw(14) << "latency ms" << std::right << std::setw(10) << "p50"
      << std::setw(10) << "p90" << std::setw(10) << "p99" << std::setw(10) << "p99.9"
      << std::setw(10) << "max" << std::setw(10) << "count"
      << "\n";
  for (Stage stage : kAllStages) {
    const StageSummary& s = r.stage(stage);
    out << std::left << std::setw(14) << StageName(stage) << std::right << std::setw(10)
        << Ms(s.p50_ns) << std::setw(10) << Ms(s.p90_ns) << std::setw(10) << Ms(s.p99_ns)
        << std::setw(10) << Ms(s.p999_ns) << std::setw(10) << Ms(s.max_ns) << std::setw(10)
        << s.count << "\n";
  }
}

void PrintFaultRows(const Report& r, std::ostream& out) {
  if (r.faults.empty()) return;
  out << "\nfaults\n";
  for (const FaultWindow& f : r.faults) {
    out << "  " << f.kind << " " << f.target << " [" << Round3(f.start_ms / 1e3) << "s, "
        << Round3(f.end_ms / 1e3) << "s)  detect " << OptionalMsText(f.detect_ms) << "  recover "
        << OptionalMsText(f.recover_ms) << "  drain " << OptionalMsText(f.drain_ms) << "  events "
        << f.events_in_window << "\n";
  }
}

void PrintClusterRows(const ClusterSummary& cluster, std::ostream& out) {
  out << "\nnats cluster: " << cluster.size << " members, stream R" << cluster.replicas << "\n";
  for (const ClusterFault& f : cluster.faults) {
    out << "  " << f.fault << " " << f.member << (f.was_leader ? " (stream leader)" : "") << " at "
        << Round3(f.at_ms / 1e3) << "s  election " << OptionalMsText(f.election_ms)
        << (f.new_leader.empty() ? "" : " -> " + f.new_leader) << "  first ack after "
        << OptionalMsText(f.first_ack_ms) << "\n";
  }
  out << "  bridge publish errors:";
  if (cluster.publish_errors.empty()) out << " none";
  for (const auto& [kind, n] : cluster.publish_errors) out << " " << kind << " " << n;
  out << "\n";
}

void PrintAuthRows(const AuthSummary& auth, std::ostream& out) {
  out << "\nnats auth: " << auth.mode << "  rogue attempts " << auth.attempts << "  denied "
      << auth.denials << "\n";
  for (const RogueResult& g : auth.rogues) {
    out << "  " << g.name << " (" << g.creds << " creds): " << g.attempts << " attempts, "
        << g.denials << " denied\n";
  }
}

void PrintSloRows(const Report& r, std::ostream& out) {
  if (r.slos.empty() && r.failed_checks.empty()) return;
  out << "\nSLOs\n";
  for (const SloResult& s : r.slos) {
    out << "  " << (s.passed ? "pass " : "FAIL ") << s.expression << "  (measured " << s.measured
        << ")\n";
  }
  for (const std::string& check : r.failed_checks) out << "  FAIL " << check << "\n";
}

}  // namespace

void PrintReportTable(const Report& r, std::ostream& out) {
  out << "lnsim " << (r.passed ? "PASSED" : "FAILED") << "  scenario " << r.scenario << "  seed "
      << r.seed << "  trace " << r.trace_digest << "\n\n";
  PrintVerdictRows(r, out);
  PrintLatencyRows(r, out);
  char rate[64];
  std::snprintf(rate, sizeof(rate), "%.1f", r.throughput);
  out << "\nthroughput " << rate << " events/s over " << Round3(r.duration_s)
      << " s; world changes expected " << r.events << "\n";
  PrintFaultRows(r, out);
  if (r.cluster) PrintClusterRows(*r.cluster, out);
  if (r.auth) PrintAuthRows(*r.auth, out);
  PrintSloRows(r, out);
  out << "\nreproduce: " << r.command << "\n";
}

Status WriteFileAtomically(const std::string& path, std::string_view text) {
  const std::string temp = path + ".tmp." + std::to_string(getpid());
  auto failed = [&](const char* step) {
    const std::string reason = std::strerror(errno);
    std::remove(temp.c_str());
    return UnavailableError("cannot write '" + path + "' (" + step + ": " + reason + ")");
  };
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return failed("open");
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) return failed("write");
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) return failed("rename");
  return OkStatus();
}

Status CheckWritableOutput(std::string_view flag, const std::string& path) {
  const std::string where = std::string(flag) + " " + path + ": ";
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return InvalidArgumentError(where + "is a directory");
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  if (!std::filesystem::is_directory(dir, ec)) {
    return InvalidArgumentError(where + "directory '" + dir + "' does not exist");
  }
  if (access(dir.c_str(), W_OK) != 0) {
    return InvalidArgumentError(where + "cannot write into '" + dir + "': " + std::strerror(errno));
  }
  return OkStatus();
}

}  // namespace lnsim::harness
