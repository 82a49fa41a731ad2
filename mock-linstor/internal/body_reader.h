// Reads request bodies as the controller's default Jackson ObjectMapper does: scalars are coerced
// (ALLOW_COERCION_OF_SCALARS is on by default: "2" for an Integer, "true" for a Boolean, 7 for a
// String), any other wrong JSON type is a parse error, JSON null and "" for a number/boolean count
// as absent, unknown members are ignored.
// A reader remembers the first type error in `bad`; callers read every member they accept, then
// answer API_CALL_PARSE_ERROR once if `bad` is set.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace lnsim::mock::internal {

using Json = nlohmann::json;

// Parses a request body. An empty body is an empty object; it counts as parsed only when the
// call accepts no body (`body_required` false: the CLI's toggle-disk, make-available).
// Returns nullopt when the body is not JSON (or is empty and required).
std::optional<Json> ParseBody(const std::string& body, bool body_required);

class BodyReader {
 public:
  bool bad = false;

  // The member `key` of object `object`, or null when absent or JSON null (not an object: bad).
  const Json* Get(const Json& object, const char* key);
  std::optional<std::string> String(const Json& object, const char* key);
  // One value as a String: a string, or a number/boolean as its JSON text; else bad.
  std::optional<std::string> StringOf(const Json& value);
  // Integers; a float with an integral value and a decimal string ("2") are accepted as Jackson
  // does.
  std::optional<int64_t> Integer(const Json& object, const char* key);
  // The same coercion for one value (an array entry); null is absent.
  std::optional<int64_t> IntegerOf(const Json& value);
  std::optional<bool> Boolean(const Json& object, const char* key);
  // A list of strings (null entries skipped); absent = empty.
  std::vector<std::string> StringList(const Json& object, const char* key);
  // A string -> string map (null values skipped); absent = empty.
  std::map<std::string, std::string> StringMap(const Json& object, const char* key);
  // A nested object, or null when absent.
  const Json* Object(const Json& object, const char* key);
};

}  // namespace lnsim::mock::internal
