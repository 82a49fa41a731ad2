// Report renderings: lnsim.report/v1 JSON (and back); JUnit XML is in junit.cc and the human
// table in report_table.cc. Field names and units are documented in docs/report.md; change both
// together.
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
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/duration.h"
#include "harness/internal/report_examples_json.h"
#include "harness/json_read.h"

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
  j["misordered"] = c.misordered;
  j["sequence_gaps"] = c.sequence_gaps;
  j["invalid"] = c.invalid;
}

Json OptionalMs(const std::optional<double>& v) { return v ? Json(Round3(*v)) : Json(nullptr); }

std::string Trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// Reads a field with a clear error: "report: `verdict.lost`: expected a non-negative integer, got
// a string", "report: missing key `lost` in `verdict`". `where` is the enclosing object's path.
template <typename T>
Status Get(const Json& object, const char* key, std::string_view where, T* out) {
  return ReadJsonField(object, key, where, out).WithPrefix("report");
}
template <typename T>
Status GetOptional(const Json& object, const char* key, std::string_view where, T* out) {
  return ReadOptionalJsonField(object, key, where, out).WithPrefix("report");
}

Status CountersFromJson(const Json& j, std::string_view where, VerdictCounters* c) {
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
  // Added later to lnsim.report/v1: optional in older reports.
  for (auto [key, field] :
       {std::pair{"misordered", &c->misordered}, std::pair{"sequence_gaps", &c->sequence_gaps},
        std::pair{"invalid", &c->invalid}}) {
    if (j.contains(key)) LNSIM_RETURN_IF_ERROR(Get(j, key, where, field));
  }
  return OkStatus();
}

// A time that may be unknown: a number, null or missing (nullopt); another type is an error.
Status OptionalMsFromJson(const Json& j, const char* key, std::string_view where,
                          std::optional<double>* out) {
  double ms = 0;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    *out = std::nullopt;
    return OkStatus();
  }
  LNSIM_RETURN_IF_ERROR(Get(j, key, where, &ms));
  *out = ms;
  return OkStatus();
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
  misordered += o.misordered;
  sequence_gaps += o.sequence_gaps;
  invalid += o.invalid;
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
  auto checks = JsonMember(v, "checks", "verdict", /*array=*/true);
  if (!checks.ok()) return checks.status().WithPrefix("report");
  for (size_t i = 0; i < (*checks)->size(); ++i) {
    const Json& cj = (**checks)[i];
    const std::string where = "verdict.checks[" + std::to_string(i) + "]";
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
  auto member = JsonMember(j, "verdict", "");
  if (!member.ok()) return member.status().WithPrefix("report");
  const Json& v = **member;
  LNSIM_RETURN_IF_ERROR(Get(v, "passed", "verdict", &r->passed));
  LNSIM_RETURN_IF_ERROR(CountersFromJson(v, "verdict", &r->totals));
  if (v.contains("per_consumer")) {
    auto consumers = JsonMember(v, "per_consumer", "verdict", /*array=*/true);
    if (!consumers.ok()) return consumers.status().WithPrefix("report");
    for (size_t i = 0; i < (*consumers)->size(); ++i) {
      const Json& cj = (**consumers)[i];
      const std::string where = "verdict.per_consumer[" + std::to_string(i) + "]";
      ConsumerVerdict c;
      LNSIM_RETURN_IF_ERROR(Get(cj, "name", where, &c.name));
      LNSIM_RETURN_IF_ERROR(Get(cj, "mode", where, &c.mode));
      LNSIM_RETURN_IF_ERROR(Get(cj, "converged", where, &c.converged));
      LNSIM_RETURN_IF_ERROR(CountersFromJson(cj, where, &c.counters));
      r->per_consumer.push_back(std::move(c));
    }
  }
  if (v.contains("slos")) {
    auto slos = JsonMember(v, "slos", "verdict", /*array=*/true);
    if (!slos.ok()) return slos.status().WithPrefix("report");
    for (size_t i = 0; i < (*slos)->size(); ++i) {
      const Json& sj = (**slos)[i];
      const std::string where = "verdict.slos[" + std::to_string(i) + "]";
      SloResult s;
      LNSIM_RETURN_IF_ERROR(Get(sj, "expression", where, &s.expression));
      LNSIM_RETURN_IF_ERROR(Get(sj, "passed", where, &s.passed));
      LNSIM_RETURN_IF_ERROR(Get(sj, "measured", where, &s.measured));
      r->slos.push_back(std::move(s));
    }
  }
  LNSIM_RETURN_IF_ERROR(GetOptional(v, "failed_checks", "verdict", &r->failed_checks));
  return ChecksFromJson(v, r);
}

Status LatencyFromJson(const Json& j, Report* r) {
  auto latency = JsonMember(j, "latency_ms", "");
  if (!latency.ok()) return latency.status().WithPrefix("report");
  for (Stage stage : kAllStages) {
    const std::string name(StageName(stage));
    auto stage_json = JsonMember(**latency, name, "latency_ms");
    if (!stage_json.ok()) return stage_json.status().WithPrefix("report");
    const Json& sj = **stage_json;
    const std::string where = "latency_ms." + name;
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

// The member `key` of `j` as an array; empty when it is missing.
StatusOr<const Json*> OptionalArray(const Json& j, const char* key, std::string_view where) {
  static const Json kEmpty = Json::array();
  if (!j.contains(key) || j[key].is_null()) return &kEmpty;
  auto array = JsonMember(j, key, where, /*array=*/true);
  if (!array.ok()) return array.status().WithPrefix("report");
  return array;
}

Status FaultsFromJson(const Json& j, Report* r) {
  LNSIM_ASSIGN_OR_RETURN(const Json* faults, OptionalArray(j, "faults", ""));
  for (size_t i = 0; i < faults->size(); ++i) {
    const Json& fj = (*faults)[i];
    const std::string where = "faults[" + std::to_string(i) + "]";
    FaultWindow f;
    LNSIM_RETURN_IF_ERROR(Get(fj, "kind", where, &f.kind));
    LNSIM_RETURN_IF_ERROR(Get(fj, "target", where, &f.target));
    LNSIM_RETURN_IF_ERROR(Get(fj, "start", where, &f.start_ms));
    LNSIM_RETURN_IF_ERROR(Get(fj, "end", where, &f.end_ms));
    LNSIM_RETURN_IF_ERROR(Get(fj, "events_in_window", where, &f.events_in_window));
    LNSIM_RETURN_IF_ERROR(OptionalMsFromJson(fj, "detect", where, &f.detect_ms));
    LNSIM_RETURN_IF_ERROR(OptionalMsFromJson(fj, "recover", where, &f.recover_ms));
    LNSIM_RETURN_IF_ERROR(OptionalMsFromJson(fj, "drain", where, &f.drain_ms));
    r->faults.push_back(std::move(f));
  }
  return OkStatus();
}

Status ClusterFaultFromJson(const Json& fj, const std::string& where, ClusterFault* f) {
  LNSIM_RETURN_IF_ERROR(GetOptional(fj, "fault", where, &f->fault));
  LNSIM_RETURN_IF_ERROR(GetOptional(fj, "member", where, &f->member));
  LNSIM_RETURN_IF_ERROR(GetOptional(fj, "was_leader", where, &f->was_leader));
  LNSIM_RETURN_IF_ERROR(GetOptional(fj, "old_leader", where, &f->old_leader));
  LNSIM_RETURN_IF_ERROR(GetOptional(fj, "new_leader", where, &f->new_leader));
  LNSIM_RETURN_IF_ERROR(GetOptional(fj, "at", where, &f->at_ms));
  LNSIM_RETURN_IF_ERROR(OptionalMsFromJson(fj, "election", where, &f->election_ms));
  LNSIM_RETURN_IF_ERROR(OptionalMsFromJson(fj, "first_ack", where, &f->first_ack_ms));
  return OkStatus();
}

Status ClusterFromJson(const Json& cj, ClusterSummary* c) {
  LNSIM_RETURN_IF_ERROR(GetOptional(cj, "size", "cluster", &c->size));
  LNSIM_RETURN_IF_ERROR(GetOptional(cj, "replicas", "cluster", &c->replicas));
  LNSIM_ASSIGN_OR_RETURN(const Json* faults, OptionalArray(cj, "faults", "cluster"));
  for (size_t i = 0; i < faults->size(); ++i) {
    ClusterFault f;
    LNSIM_RETURN_IF_ERROR(
        ClusterFaultFromJson((*faults)[i], "cluster.faults[" + std::to_string(i) + "]", &f));
    c->faults.push_back(std::move(f));
  }
  if (cj.contains("publish_errors")) {
    auto errors = JsonMember(cj, "publish_errors", "cluster");
    if (!errors.ok()) return errors.status().WithPrefix("report");
    for (const auto& [kind, n] : (*errors)->items()) {
      uint64_t count = 0;
      LNSIM_RETURN_IF_ERROR(Get(**errors, kind.c_str(), "cluster.publish_errors", &count));
      c->publish_errors.emplace_back(kind, count);
    }
  }
  return OkStatus();
}

Status AuthFromJson(const Json& aj, AuthSummary* a) {
  LNSIM_RETURN_IF_ERROR(GetOptional(aj, "mode", "auth", &a->mode));
  LNSIM_RETURN_IF_ERROR(GetOptional(aj, "attempts", "auth", &a->attempts));
  LNSIM_RETURN_IF_ERROR(GetOptional(aj, "denials", "auth", &a->denials));
  LNSIM_ASSIGN_OR_RETURN(const Json* rogues, OptionalArray(aj, "rogues", "auth"));
  for (size_t i = 0; i < rogues->size(); ++i) {
    const Json& gj = (*rogues)[i];
    const std::string where = "auth.rogues[" + std::to_string(i) + "]";
    RogueResult g;
    LNSIM_RETURN_IF_ERROR(GetOptional(gj, "name", where, &g.name));
    LNSIM_RETURN_IF_ERROR(GetOptional(gj, "creds", where, &g.creds));
    LNSIM_RETURN_IF_ERROR(GetOptional(gj, "attempts", where, &g.attempts));
    LNSIM_RETURN_IF_ERROR(GetOptional(gj, "denials", where, &g.denials));
    a->rogues.push_back(std::move(g));
  }
  return OkStatus();
}

Status EnvironmentFromJson(const Json& ej, Environment* e) {
  constexpr const char* kWhere = "environment";
  LNSIM_RETURN_IF_ERROR(GetOptional(ej, "lnsim_version", kWhere, &e->lnsim_version));
  LNSIM_RETURN_IF_ERROR(GetOptional(ej, "nats_server_version", kWhere, &e->nats_server_version));
  LNSIM_RETURN_IF_ERROR(GetOptional(ej, "nats_c_version", kWhere, &e->nats_c_version));
  LNSIM_RETURN_IF_ERROR(GetOptional(ej, "cpu_model", kWhere, &e->cpu_model));
  LNSIM_RETURN_IF_ERROR(GetOptional(ej, "cpu_count", kWhere, &e->cpu_count));
  LNSIM_RETURN_IF_ERROR(GetOptional(ej, "kernel", kWhere, &e->kernel));
  return GetOptional(ej, "git_commit", kWhere, &e->git_commit);
}

// The optional sections (cluster, auth, environment): absent or null is fine, another type is not.
template <typename T>
Status OptionalSection(const Json& j, const char* key, Status (*read)(const Json&, T*),
                       std::optional<T>* out) {
  if (!j.contains(key) || j[key].is_null()) return OkStatus();
  auto section = JsonMember(j, key, "");
  if (!section.ok()) return section.status().WithPrefix("report");
  T value{};
  LNSIM_RETURN_IF_ERROR(read(**section, &value));
  *out = std::move(value);
  return OkStatus();
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
  if (!r.readiness.empty()) {
    j["judged_from_s"] = Round3(r.judged_from_s);
    j["readiness"] = r.readiness;
  }
  if (!r.unjudged_kinds.empty()) j["unjudged_kinds"] = r.unjudged_kinds;
  j["faults"] = FaultsToJson(r.faults);
  if (r.cluster) j["cluster"] = ClusterToJson(*r.cluster);
  if (r.auth) j["auth"] = AuthToJson(*r.auth);
  if (!r.examples.empty()) j["examples"] = internal::ExamplesToJson(r.examples);
  if (!r.hints.empty()) j["hints"] = r.hints;
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
  auto parsed = ParseJsonObject<Json>(text);
  if (!parsed.ok()) return parsed.status().WithPrefix("report");
  const Json& j = *parsed;
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
  LNSIM_RETURN_IF_ERROR(GetOptional(j, "duration_s", "", &r.duration_s));
  LNSIM_RETURN_IF_ERROR(GetOptional(j, "judged_from_s", "", &r.judged_from_s));
  LNSIM_RETURN_IF_ERROR(GetOptional(j, "readiness", "", &r.readiness));
  LNSIM_RETURN_IF_ERROR(GetOptional(j, "unjudged_kinds", "", &r.unjudged_kinds));
  LNSIM_RETURN_IF_ERROR(FaultsFromJson(j, &r));
  LNSIM_RETURN_IF_ERROR(OptionalSection<ClusterSummary>(j, "cluster", ClusterFromJson, &r.cluster));
  LNSIM_RETURN_IF_ERROR(OptionalSection<AuthSummary>(j, "auth", AuthFromJson, &r.auth));
  LNSIM_RETURN_IF_ERROR(internal::ExamplesFromJson(j, &r.examples));
  LNSIM_RETURN_IF_ERROR(GetOptional(j, "hints", "", &r.hints));
  std::optional<Environment> environment;
  LNSIM_RETURN_IF_ERROR(
      OptionalSection<Environment>(j, "environment", EnvironmentFromJson, &environment));
  if (environment) r.environment = std::move(*environment);
  LNSIM_RETURN_IF_ERROR(GetOptional(j, "trace_digest", "", &r.trace_digest));
  LNSIM_RETURN_IF_ERROR(Get(j, "seed", "", &r.seed));
  LNSIM_RETURN_IF_ERROR(GetOptional(j, "scenario", "", &r.scenario));
  LNSIM_RETURN_IF_ERROR(GetOptional(j, "command", "", &r.command));
  LNSIM_RETURN_IF_ERROR(GetOptional(j, "started_at", "", &r.started_at));
  LNSIM_RETURN_IF_ERROR(GetOptional(j, "wall_s", "", &r.wall_s));
  return r;
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
