// Query-string helpers of the REST handlers (LINSTOR-API.md 1): repeated-key name filters that
// ignore case, `props=KEY` / `props=KEY=VALUE` filters (ANDed), `limit`/`offset` paging only when
// limit > 0, and ordering by folded name as the Java controller's sorted maps do. Pure functions.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mock-linstor/rest.h"

namespace lnsim::mock::internal {

// A name filter from repeated keys (case-insensitive); no names = everything matches.
class NameFilter {
 public:
  explicit NameFilter(const std::vector<std::string>& names);
  bool empty() const { return folded_.empty(); }
  bool Matches(std::string_view name) const;

 private:
  std::vector<std::string> folded_;
};

// props=KEY (set) / props=KEY=VALUE (equal); repeated filters AND; no terms = everything.
class PropsFilter {
 public:
  explicit PropsFilter(const std::vector<std::string>& raw);
  bool empty() const { return terms_.empty(); }
  bool Matches(const std::map<std::string, std::string>& props) const;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> terms_;
};

// Applies `offset`/`limit` of the query (nothing when limit <= 0; no cap at 50, per the errata).
template <typename T>
void Page(std::vector<T>* items, const QueryView& query) {
  const int64_t limit = query.GetInt("limit", 0);
  if (limit <= 0) return;
  const int64_t offset = std::max<int64_t>(0, query.GetInt("offset", 0));
  if (static_cast<size_t>(offset) >= items->size()) {
    items->clear();
    return;
  }
  items->erase(items->begin(), items->begin() + offset);
  if (items->size() > static_cast<size_t>(limit)) items->resize(static_cast<size_t>(limit));
}

// `indices` ordered by the folded name `name(index)` gives.
std::vector<uint32_t> SortedByName(std::vector<uint32_t> indices,
                                   const std::function<const std::string&(uint32_t)>& name);

// Parses a whole decimal text as an unsigned number (no sign, no trailing characters).
std::optional<uint32_t> ParseNumber(std::string_view text);

}  // namespace lnsim::mock::internal
