// Reading JSON that a user hands lnsim (reports and baselines for `lnsim compare`, replay bundles):
// every error names the position or the key and says what was expected, never the raw text of a
// nlohmann exception ("[json.exception.out_of_range.403] key 'seed' not found").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/status.h"

namespace lnsim::harness {

// Parses `text` as one JSON object. kInvalidArgument "invalid JSON at line L, column C (byte offset
// B): <what the parser expected>" (", the text ends early: truncated?" when it does), or "expected
// a JSON object, got an array". The caller prefixes the file's name. J is nlohmann::json or
// nlohmann::ordered_json.
template <typename J = nlohmann::json>
StatusOr<J> ParseJsonObject(std::string_view text);

// Line and column (both from 1) of the 0-based byte `offset` of `text`.
struct TextPosition {
  size_t line = 1;
  size_t column = 1;
};
TextPosition PositionOf(std::string_view text, size_t offset);

// "a string", "a number", "an object", "an array", "true or false", "null".
std::string JsonTypeNameOf(int value_type);  // nlohmann::json::value_t as int
template <typename J>
std::string JsonTypeName(const J& j) {
  if (j.is_number_integer() && !j.is_number_unsigned() && j.template get<int64_t>() < 0) {
    return "a negative integer";
  }
  return JsonTypeNameOf(static_cast<int>(j.type()));
}

// What a field of C++ type T must hold, and whether `j` holds it (no conversion that would throw
// or wrap: a negative number is not a count).
template <typename T>
constexpr const char* JsonExpected() {
  if constexpr (std::is_same_v<T, bool>)
    return "true or false";
  else if constexpr (std::is_same_v<T, std::string>)
    return "a string";
  else if constexpr (std::is_same_v<T, std::vector<std::string>>)
    return "an array of strings";
  else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>)
    return "a non-negative integer";
  else if constexpr (std::is_integral_v<T>)
    return "an integer";
  else
    return "a number";
}
template <typename T, typename J>
bool JsonHolds(const J& j) {
  if constexpr (std::is_same_v<T, bool>)
    return j.is_boolean();
  else if constexpr (std::is_same_v<T, std::string>)
    return j.is_string();
  else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    if (!j.is_array()) return false;
    for (const auto& e : j) {
      if (!e.is_string()) return false;
    }
    return true;
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
    return j.is_number_unsigned();
  } else if constexpr (std::is_integral_v<T>) {
    return j.is_number_integer();
  } else {
    return j.is_number();
  }
}

// "`where.key`" for messages; `where` is the path of the enclosing object ("" at the top level,
// "verdict", "verdict.per_consumer[0]").
std::string JsonPath(std::string_view where, std::string_view key);
Status MissingJsonKey(std::string_view where, std::string_view key);
Status WrongJsonType(std::string_view where, std::string_view key, const char* expected,
                     const std::string& got);

// Reads member `key` of `object` into *out. kInvalidArgument "missing key `key` in `where`" (or
// "at the top level"), or "`where.key`: expected a string, got a number".
template <typename T, typename J>
Status ReadJsonField(const J& object, std::string_view key, std::string_view where, T* out) {
  const auto it = object.find(key);
  if (it == object.end()) return MissingJsonKey(where, key);
  if (!JsonHolds<T>(*it)) return WrongJsonType(where, key, JsonExpected<T>(), JsonTypeName(*it));
  *out = it->template get<T>();
  return OkStatus();
}

// As ReadJsonField, but a missing key (or null) leaves *out as it is.
template <typename T, typename J>
Status ReadOptionalJsonField(const J& object, std::string_view key, std::string_view where,
                             T* out) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return OkStatus();
  return ReadJsonField(object, key, where, out);
}

// The member `key` of `object` when it is an object (or array, with `array`); kInvalidArgument as
// ReadJsonField otherwise.
template <typename J>
StatusOr<const J*> JsonMember(const J& object, std::string_view key, std::string_view where,
                              bool array = false) {
  const auto it = object.find(key);
  if (it == object.end()) return MissingJsonKey(where, key);
  if (array ? !it->is_array() : !it->is_object()) {
    return WrongJsonType(where, key, array ? "an array" : "an object", JsonTypeName(*it));
  }
  return &*it;
}

// The error for a nlohmann parse_error at 1-based `byte` of `text` with message `what`.
Status JsonParseError(std::string_view text, size_t byte, const std::string& what);

template <typename J>
StatusOr<J> ParseJsonObject(std::string_view text) {
  J j;
  try {
    j = J::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return JsonParseError(text, e.byte, e.what());
  }
  if (!j.is_object()) {
    return InvalidArgumentError("expected a JSON object, got " + JsonTypeName(j));
  }
  return j;
}

}  // namespace lnsim::harness
