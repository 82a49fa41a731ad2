// Query helpers (see query.h) and the URL/query parsing rest.h declares.
#include "mock-linstor/internal/query.h"

#include <charconv>

#include "sim/model.h"

namespace lnsim::mock {
namespace internal {

NameFilter::NameFilter(const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (!name.empty()) folded_.push_back(sim::FoldName(name));
  }
}

bool NameFilter::Matches(std::string_view name) const {
  if (folded_.empty()) return true;
  return std::any_of(folded_.begin(), folded_.end(),
                     [&](const std::string& folded) { return sim::NamesEqual(folded, name); });
}

PropsFilter::PropsFilter(const std::vector<std::string>& raw) {
  for (const auto& term : raw) {
    if (term.empty()) continue;
    const size_t equals = term.find('=');
    if (equals == std::string::npos) {
      terms_.emplace_back(term, std::nullopt);
    } else {
      terms_.emplace_back(term.substr(0, equals), term.substr(equals + 1));
    }
  }
}

bool PropsFilter::Matches(const std::map<std::string, std::string>& props) const {
  for (const auto& [key, value] : terms_) {
    auto it = props.find(key);
    if (it == props.end()) return false;
    if (value && it->second != *value) return false;
  }
  return true;
}

std::vector<uint32_t> SortedByName(std::vector<uint32_t> indices,
                                   const std::function<const std::string&(uint32_t)>& name) {
  std::vector<std::pair<std::string, uint32_t>> keyed;
  keyed.reserve(indices.size());
  for (uint32_t index : indices) keyed.emplace_back(sim::FoldName(name(index)), index);
  std::sort(keyed.begin(), keyed.end());
  for (size_t i = 0; i < keyed.size(); ++i) indices[i] = keyed[i].second;
  return indices;
}

std::optional<uint32_t> ParseNumber(std::string_view text) {
  uint32_t number = 0;
  auto result = std::from_chars(text.data(), text.data() + text.size(), number);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return std::nullopt;
  return number;
}

}  // namespace internal

std::vector<std::string> QueryView::All(std::string_view key) const {
  std::vector<std::string> out;
  for (const auto& [name, value] : query) {
    if (name == key) out.push_back(value);
  }
  return out;
}

bool QueryView::Has(std::string_view key) const {
  return std::any_of(query.begin(), query.end(),
                     [&](const auto& entry) { return entry.first == key; });
}

std::string QueryView::Get(std::string_view key) const {
  for (const auto& [name, value] : query) {
    if (name == key) return value;
  }
  return "";
}

int64_t QueryView::GetInt(std::string_view key, int64_t fallback) const {
  const std::string text = Get(key);
  int64_t out = 0;
  auto result = std::from_chars(text.data(), text.data() + text.size(), out);
  if (text.empty() || result.ec != std::errc() || result.ptr != text.data() + text.size()) {
    return fallback;
  }
  return out;
}

bool QueryView::GetBool(std::string_view key) const {
  const std::string text = Get(key);
  return sim::NamesEqual(text, "true") || text == "1";
}

namespace {

int HexDigit(char digit) {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
  if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
  return -1;
}

}  // namespace

std::string UrlDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (ch == '%' && i + 2 < s.size()) {
      const int high = HexDigit(s[i + 1]), low = HexDigit(s[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && ch == '+' ? ' ' : ch);
  }
  return out;
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    out.emplace_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view qs) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i <= qs.size()) {
    size_t end = qs.find('&', i);
    if (end == std::string_view::npos) end = qs.size();
    std::string_view part = qs.substr(i, end - i);
    if (!part.empty()) {
      const size_t equals = part.find('=');
      if (equals == std::string_view::npos) {
        out.emplace_back(UrlDecode(part, true), "");
      } else {
        out.emplace_back(UrlDecode(part.substr(0, equals), true),
                         UrlDecode(part.substr(equals + 1), true));
      }
    }
    i = end + 1;
  }
  return out;
}

}  // namespace lnsim::mock
