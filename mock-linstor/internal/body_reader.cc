// Typed body access (see body_reader.h).
#include "mock-linstor/internal/body_reader.h"

namespace lnsim::mock::internal {

std::optional<Json> ParseBody(const std::string& body, bool body_required) {
  if (body.empty()) {
    if (body_required) return std::nullopt;
    return Json::object();
  }
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

const Json* BodyReader::Get(const Json& object, const char* key) {
  if (!object.is_object()) {
    bad = true;
    return nullptr;
  }
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> BodyReader::String(const Json& object, const char* key) {
  const Json* value = Get(object, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    bad = true;
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::optional<int64_t> BodyReader::Integer(const Json& object, const char* key) {
  const Json* value = Get(object, key);
  if (value == nullptr) return std::nullopt;
  if (value->is_number_integer()) return value->get<int64_t>();
  if (value->is_number_float()) {
    const double number = value->get<double>();
    if (number == static_cast<double>(static_cast<int64_t>(number))) {
      return static_cast<int64_t>(number);
    }
  }
  bad = true;
  return std::nullopt;
}

std::optional<bool> BodyReader::Boolean(const Json& object, const char* key) {
  const Json* value = Get(object, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) {
    bad = true;
    return std::nullopt;
  }
  return value->get<bool>();
}

std::vector<std::string> BodyReader::StringList(const Json& object, const char* key) {
  std::vector<std::string> out;
  const Json* value = Get(object, key);
  if (value == nullptr) return out;
  if (!value->is_array()) {
    bad = true;
    return out;
  }
  for (const Json& entry : *value) {
    if (entry.is_null()) continue;
    if (!entry.is_string()) {
      bad = true;
      return {};
    }
    out.push_back(entry.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> BodyReader::StringMap(const Json& object, const char* key) {
  std::map<std::string, std::string> out;
  const Json* value = Get(object, key);
  if (value == nullptr) return out;
  if (!value->is_object()) {
    bad = true;
    return out;
  }
  for (auto it = value->begin(); it != value->end(); ++it) {
    if (it->is_null()) continue;
    if (!it->is_string()) {
      bad = true;
      return {};
    }
    out[it.key()] = it->get<std::string>();
  }
  return out;
}

const Json* BodyReader::Object(const Json& object, const char* key) {
  const Json* value = Get(object, key);
  if (value != nullptr && !value->is_object()) {
    bad = true;
    return nullptr;
  }
  return value;
}

}  // namespace lnsim::mock::internal
