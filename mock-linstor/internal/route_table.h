// The path patterns of the REST route table: "/v1/resource-definitions/{rsc}/resources/{node}"
// matches a split path segment by segment, literals exactly (case-sensitive, as Jersey does) and
// each "{name}" placeholder against any one segment, which it captures. The façade (rest.cc)
// owns the one table; this file only knows patterns. Pure and immutable after construction.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lnsim::mock::internal {

// The placeholders a matched pattern captured, by name.
class PathParams {
 public:
  void Add(std::string name, std::string value);
  // The captured segment; LNSIM_CHECKs that the pattern has the placeholder (a handler bug).
  const std::string& operator[](std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

class PathPattern {
 public:
  explicit PathPattern(std::string_view pattern);

  // True when `segments` (SplitPath of a request path) fit; then *params holds the captures.
  bool Match(const std::vector<std::string>& segments, PathParams* params) const;
  // Literal segments: of two patterns that fit one path, the one with more literals wins.
  size_t literal_count() const { return literal_count_; }
  const std::string& text() const { return text_; }

 private:
  struct Segment {
    std::string text;  // the literal, or the placeholder's name
    bool placeholder = false;
  };
  std::string text_;
  std::vector<Segment> segments_;
  size_t literal_count_ = 0;
};

}  // namespace lnsim::mock::internal
