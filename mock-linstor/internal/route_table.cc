// Path pattern matching (see route_table.h).
#include "mock-linstor/internal/route_table.h"

#include "common/check.h"
#include "mock-linstor/rest.h"

namespace lnsim::mock::internal {

void PathParams::Add(std::string name, std::string value) {
  values_.emplace_back(std::move(name), std::move(value));
}

const std::string& PathParams::operator[](std::string_view name) const {
  for (const auto& [key, value] : values_) {
    if (key == name) return value;
  }
  LNSIM_CHECK(false) << "route pattern has no placeholder {" << std::string(name) << "}";
  return values_.front().second;  // not reached
}

PathPattern::PathPattern(std::string_view pattern) : text_(pattern) {
  for (const std::string& segment : SplitPath(pattern)) {
    const bool placeholder = segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
    if (placeholder) {
      segments_.push_back({segment.substr(1, segment.size() - 2), true});
    } else {
      segments_.push_back({segment, false});
      ++literal_count_;
    }
  }
}

bool PathPattern::Match(const std::vector<std::string>& segments, PathParams* params) const {
  if (segments.size() != segments_.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (!segments_[i].placeholder && segments_[i].text != segments[i]) return false;
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments_[i].placeholder) params->Add(segments_[i].text, segments[i]);
  }
  return true;
}

}  // namespace lnsim::mock::internal
