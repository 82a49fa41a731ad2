// Subset JSON Schema validation for the event schemas (see testutil_schema.h).
#include "tests/bridge/testutil_schema.h"

#include <fstream>
#include <regex>

namespace lnsim::bridge::testing {

using nlohmann::json;

namespace {

bool HasType(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  return false;
}

}  // namespace

std::string ValidateSchema(const json& schema, const json& v, const std::string& path) {
  if (schema.contains("type")) {
    const auto& t = schema["type"];
    bool ok = false;
    if (t.is_string()) {
      ok = HasType(v, t.get<std::string>());
    } else {
      for (const auto& one : t) ok = ok || HasType(v, one.get<std::string>());
    }
    if (!ok) return path + ": expected type " + t.dump() + ", got " + v.dump();
  }
  if (schema.contains("const") && schema["const"] != v) {
    return path + ": expected " + schema["const"].dump() + ", got " + v.dump();
  }
  if (schema.contains("minimum") && v.is_number() &&
      v.get<double>() < schema["minimum"].get<double>()) {
    return path + ": below minimum";
  }
  if (schema.contains("minLength") && v.is_string() &&
      v.get<std::string>().size() < schema["minLength"].get<size_t>()) {
    return path + ": shorter than minLength";
  }
  if (schema.contains("pattern") && v.is_string() &&
      !std::regex_search(v.get<std::string>(), std::regex(schema["pattern"].get<std::string>()))) {
    return path + ": '" + v.get<std::string>() + "' does not match " + schema["pattern"].dump();
  }
  if (v.is_object()) {
    for (const auto& r : schema.value("required", json::array())) {
      if (!v.contains(r.get<std::string>()))
        return path + ": missing required '" + r.get<std::string>() + "'";
    }
    if (schema.contains("properties")) {
      for (const auto& [k, sub] : schema["properties"].items()) {
        if (!v.contains(k)) continue;
        std::string e = ValidateSchema(sub, v[k], path + "." + k);
        if (!e.empty()) return e;
      }
    }
  }
  if (v.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < v.size(); ++i) {
      std::string e = ValidateSchema(schema["items"], v[i], path + "[" + std::to_string(i) + "]");
      if (!e.empty()) return e;
    }
  }
  return "";
}

json LoadEventSchema(const std::string& label) {
  std::ifstream in(std::string(LNSIM_SOURCE_DIR) + "/docs/schemas/" + label + ".json");
  if (!in) return json();
  return json::parse(in, nullptr, false);
}

}  // namespace lnsim::bridge::testing
