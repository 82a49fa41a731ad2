// See json_read.h.
#include "harness/json_read.h"

#include <algorithm>

namespace lnsim::harness {

TextPosition PositionOf(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  TextPosition p;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

namespace {

// nlohmann's what(): "[json.exception.parse_error.101] parse error at line 1, column 5: syntax
// error while parsing value - unexpected end of input; expected '[', '{', or a literal". The part
// after the position is what the parser expected.
std::string ParserDetail(const std::string& what) {
  const size_t at = what.find("parse error");
  const size_t colon = what.find(": ", at == std::string::npos ? 0 : at);
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

}  // namespace

Status JsonParseError(std::string_view text, size_t byte, const std::string& what) {
  // byte is 1-based: the last character read, text.size() + 1 at the end of the input.
  const size_t offset = byte > 0 ? byte - 1 : 0;
  const TextPosition p = PositionOf(text, offset);
  const std::string detail = ParserDetail(what);
  std::string message = "invalid JSON at line " + std::to_string(p.line) + ", column " +
                        std::to_string(p.column) + " (byte offset " + std::to_string(offset) +
                        "): " + detail;
  if (detail.find("unexpected end of input") != std::string::npos && !text.empty()) {
    message += " (the text ends early: truncated?)";
  }
  return InvalidArgumentError(message);
}

std::string JsonTypeNameOf(int value_type) {
  switch (static_cast<nlohmann::json::value_t>(value_type)) {
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "true or false";
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "an integer";
    case nlohmann::json::value_t::number_float:
      return "a number with a fraction";
    default:
      return "a binary value";
  }
}

std::string JsonPath(std::string_view where, std::string_view key) {
  std::string path(where);
  if (!path.empty()) path += '.';
  path += key;
  return path;
}

Status MissingJsonKey(std::string_view where, std::string_view key) {
  return InvalidArgumentError(
      "missing key `" + std::string(key) + "` " +
      (where.empty() ? std::string("at the top level") : "in `" + std::string(where) + "`"));
}

Status WrongJsonType(std::string_view where, std::string_view key, const char* expected,
                     const std::string& got) {
  return InvalidArgumentError("`" + JsonPath(where, key) + "`: expected " + expected + ", got " +
                              got);
}

}  // namespace lnsim::harness
