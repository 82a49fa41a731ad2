// Typed body access (see body_reader.h).
#include "mock-linstor/internal/body_reader.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>

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
  return StringOf(*value);
}

std::optional<std::string> BodyReader::StringOf(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  // Jackson's StringDeserializer takes any scalar token as its text (123 -> "123").
  if (value.is_number() || value.is_boolean()) return value.dump();
  bad = true;
  return std::nullopt;
}

namespace {

// Jackson's scalar coercion of a JSON string into an Integer/Long: optional sign, decimal
// digits, surrounding blanks trimmed; "" is null (absent). Anything else is a type error.
std::optional<int64_t> IntegerFromText(const std::string& text, bool* bad) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return std::nullopt;
  const size_t last = text.find_last_not_of(" \t");
  const std::string trimmed = text.substr(first, last - first + 1);
  size_t digits = (trimmed[0] == '-' || trimmed[0] == '+') ? 1 : 0;
  if (digits == trimmed.size() ||
      trimmed.find_first_not_of("0123456789", digits) != std::string::npos) {
    *bad = true;
    return std::nullopt;
  }
  errno = 0;
  const long long parsed = std::strtoll(trimmed.c_str(), nullptr, 10);
  if (errno == ERANGE) {
    *bad = true;
    return std::nullopt;
  }
  return static_cast<int64_t>(parsed);
}

}  // namespace

std::optional<int64_t> BodyReader::Integer(const Json& object, const char* key) {
  const Json* value = Get(object, key);
  if (value == nullptr) return std::nullopt;
  return IntegerOf(*value);
}

std::optional<int64_t> BodyReader::IntegerOf(const Json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_string()) return IntegerFromText(value.get<std::string>(), &bad);
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (number == static_cast<double>(static_cast<int64_t>(number))) {
      return static_cast<int64_t>(number);
    }
  }
  if (!value.is_null()) bad = true;
  return std::nullopt;
}

std::optional<bool> BodyReader::Boolean(const Json& object, const char* key) {
  const Json* value = Get(object, key);
  if (value == nullptr) return std::nullopt;
  if (value->is_boolean()) return value->get<bool>();
  // Jackson's BooleanDeserializer coerces the strings "true"/"false" (any case); "" is null.
  if (value->is_string()) {
    std::string text = value->get<std::string>();
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (text == "true") return true;
    if (text == "false") return false;
    if (text.empty()) return std::nullopt;
  }
  bad = true;
  return std::nullopt;
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
    std::optional<std::string> text = StringOf(entry);
    if (!text) return {};
    out.push_back(std::move(*text));
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
    std::optional<std::string> text = StringOf(*it);
    if (!text) return {};
    out[it.key()] = std::move(*text);
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
