// A small, fast JSON writer that appends to a std::string. The big views (/v1/view/resources
// for 10k resources) are rendered with this instead of nlohmann trees: no allocation per value,
// no intermediate DOM. The caller is responsible for well-formed nesting (Begin/End pairs);
// commas are inserted automatically.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lnsim::mock::internal {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject() {
    Sep();
    out_->push_back('{');
    first_ = true;
  }
  void EndObject() {
    out_->push_back('}');
    first_ = false;
  }
  void BeginArray() {
    Sep();
    out_->push_back('[');
    first_ = true;
  }
  void EndArray() {
    out_->push_back(']');
    first_ = false;
  }

  // Writes `"key":`; the next value call writes the value without a leading comma.
  void Key(std::string_view key) {
    Sep();
    String(key);
    out_->push_back(':');
    first_ = true;
  }

  void Str(std::string_view s) {
    Sep();
    String(s);
  }
  void Int(int64_t v);
  void Uint(uint64_t v);
  void Double(double v);
  void Bool(bool v) {
    Sep();
    out_->append(v ? "true" : "false");
  }
  void Null() {
    Sep();
    out_->append("null");
  }
  // Appends already-serialised JSON as one value.
  void Raw(std::string_view json) {
    Sep();
    out_->append(json);
  }

  // Key + value shorthands.
  void KeyStr(std::string_view k, std::string_view v) {
    Key(k);
    Str(v);
  }
  void KeyInt(std::string_view k, int64_t v) {
    Key(k);
    Int(v);
  }
  void KeyUint(std::string_view k, uint64_t v) {
    Key(k);
    Uint(v);
  }
  void KeyBool(std::string_view k, bool v) {
    Key(k);
    Bool(v);
  }
  void KeyDouble(std::string_view k, double v) {
    Key(k);
    Double(v);
  }

  std::string* out() { return out_; }

 private:
  void Sep() {
    if (!first_) out_->push_back(',');
    first_ = false;
  }
  void String(std::string_view s);

  std::string* out_;
  bool first_ = true;
};

// Appends `s` as a quoted, escaped JSON string.
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace lnsim::mock::internal
