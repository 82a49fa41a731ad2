// Reproduction bundle manifest and file helpers (see bundle.h).
#include "harness/bundle.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/json_read.h"

namespace lnsim::harness {

std::string VerdictSignature::ToString() const {
  std::string s = passed ? "passed" : "failed";
  if (!nonzero.empty()) {
    s += " (";
    for (size_t i = 0; i < nonzero.size(); ++i) s += (i ? ", " : "") + nonzero[i];
    s += ")";
  }
  return s;
}

VerdictSignature SignatureOf(const Report& report, size_t invariant_violations) {
  VerdictSignature v;
  v.passed = report.passed;
  const VerdictCounters& c = report.totals;
  if (c.lost) v.nonzero.push_back("lost");
  if (c.duplicated) v.nonzero.push_back("duplicated");
  if (c.reordered) v.nonzero.push_back("reordered");
  if (c.phantom) v.nonzero.push_back("phantom");
  if (c.misordered) v.nonzero.push_back("misordered");
  if (c.sequence_gaps) v.nonzero.push_back("sequence_gaps");
  if (c.invalid) v.nonzero.push_back("invalid");
  if (invariant_violations) v.nonzero.push_back("invariants");
  return v;
}

std::string ManifestToJson(const BundleManifest& m) {
  nlohmann::ordered_json j;
  j["schema"] = kBundleSchema;
  j["scenario"] = m.scenario_path;
  j["scenario_file"] = "scenario.yaml";
  j["seed"] = m.seed;
  if (m.duration) j["duration_ns"] = m.duration->count();
  if (m.time_scale) j["time_scale"] = *m.time_scale;
  if (m.drain) j["drain_ns"] = m.drain->count();
  if (m.jetstream) j["jetstream"] = *m.jetstream;
  j["bridge_command"] = m.bridge_command;
  j["trace_digest"] = m.trace_digest;
  j["verdict"] = {{"passed", m.verdict.passed}, {"nonzero", m.verdict.nonzero}};
  j["command"] = m.command;
  return j.dump(2) + "\n";
}

namespace {

// An optional duration in nanoseconds ("duration_ns"), kept unset when the key is missing.
Status OptionalNanos(const nlohmann::json& j, const char* key, std::optional<Duration>* out) {
  if (!j.contains(key)) return OkStatus();
  int64_t ns = 0;
  LNSIM_RETURN_IF_ERROR(ReadJsonField(j, key, "", &ns));
  *out = Duration(ns);
  return OkStatus();
}

template <typename T>
Status OptionalValue(const nlohmann::json& j, const char* key, std::optional<T>* out) {
  if (!j.contains(key)) return OkStatus();
  T value{};
  LNSIM_RETURN_IF_ERROR(ReadJsonField(j, key, "", &value));
  *out = value;
  return OkStatus();
}

Status ManifestFields(const nlohmann::json& j, BundleManifest* m) {
  LNSIM_RETURN_IF_ERROR(ReadJsonField(j, "scenario", "", &m->scenario_path));
  LNSIM_RETURN_IF_ERROR(ReadJsonField(j, "seed", "", &m->seed));
  LNSIM_RETURN_IF_ERROR(OptionalNanos(j, "duration_ns", &m->duration));
  LNSIM_RETURN_IF_ERROR(OptionalValue(j, "time_scale", &m->time_scale));
  LNSIM_RETURN_IF_ERROR(OptionalNanos(j, "drain_ns", &m->drain));
  LNSIM_RETURN_IF_ERROR(OptionalValue(j, "jetstream", &m->jetstream));
  LNSIM_RETURN_IF_ERROR(ReadOptionalJsonField(j, "bridge_command", "", &m->bridge_command));
  LNSIM_RETURN_IF_ERROR(ReadJsonField(j, "trace_digest", "", &m->trace_digest));
  LNSIM_ASSIGN_OR_RETURN(const nlohmann::json* verdict, JsonMember(j, "verdict", ""));
  LNSIM_RETURN_IF_ERROR(ReadJsonField(*verdict, "passed", "verdict", &m->verdict.passed));
  LNSIM_RETURN_IF_ERROR(ReadJsonField(*verdict, "nonzero", "verdict", &m->verdict.nonzero));
  return ReadOptionalJsonField(j, "command", "", &m->command);
}

}  // namespace

StatusOr<BundleManifest> ManifestFromJson(const std::string& text) {
  auto parsed = ParseJsonObject(text);
  if (!parsed.ok()) return parsed.status().WithPrefix("run.json");
  const nlohmann::json& j = *parsed;
  std::string schema;
  if (Status s = ReadJsonField(j, "schema", "", &schema); !s.ok()) return s.WithPrefix("run.json");
  if (schema != kBundleSchema) {
    return FailedPreconditionError("run.json: schema is '" + schema + "', expected " +
                                   kBundleSchema);
  }
  BundleManifest m;
  if (Status s = ManifestFields(j, &m); !s.ok()) return s.WithPrefix("run.json");
  return m;
}

Status WriteBundleFile(const std::string& dir, const std::string& name, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string path = dir + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return UnavailableError("cannot write " + path);
  return OkStatus();
}

Status CopyIntoBundle(const std::string& from, const std::string& dir, const std::string& name) {
  std::error_code ec;
  if (!std::filesystem::exists(from, ec)) return OkStatus();
  std::filesystem::create_directories(dir, ec);
  std::filesystem::copy_file(from, dir + "/" + name,
                             std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return UnavailableError("cannot copy " + from + " to " + dir + ": " + ec.message());
  return OkStatus();
}

StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace lnsim::harness
