// Reproduction bundle manifest and file helpers (see bundle.h).
#include "harness/bundle.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

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

StatusOr<BundleManifest> ManifestFromJson(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return InvalidArgumentError("run.json: not a JSON object");
  if (j.value("schema", "") != kBundleSchema) {
    return FailedPreconditionError("run.json: schema is '" + j.value("schema", "") +
                                   "', expected " + kBundleSchema);
  }
  BundleManifest m;
  try {
    m.scenario_path = j.at("scenario").get<std::string>();
    m.seed = j.at("seed").get<uint64_t>();
    if (j.contains("duration_ns")) m.duration = Duration(j["duration_ns"].get<int64_t>());
    if (j.contains("time_scale")) m.time_scale = j["time_scale"].get<double>();
    if (j.contains("drain_ns")) m.drain = Duration(j["drain_ns"].get<int64_t>());
    if (j.contains("jetstream")) m.jetstream = j["jetstream"].get<bool>();
    m.bridge_command = j.value("bridge_command", "");
    m.trace_digest = j.at("trace_digest").get<std::string>();
    m.verdict.passed = j.at("verdict").at("passed").get<bool>();
    m.verdict.nonzero = j.at("verdict").at("nonzero").get<std::vector<std::string>>();
    m.command = j.value("command", "");
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("run.json: ") + e.what());
  }
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
  if (!in) return NotFoundError("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace lnsim::harness
