// LINSTOR's rules for names and addresses (see sim/internal/names.h): what the operations check
// before they change the cluster.
#include "sim/internal/names.h"

#include <algorithm>

namespace lnsim::sim::internal {

namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The whole UTF-8 character starting at name[i] (its lead byte and continuation bytes): an error
// message naming one byte of a multi-byte character is not valid UTF-8, so not valid JSON
// (schemathesis found "cannot contain character '\xC3'" for a name with 'Å').
std::string CharAt(std::string_view name, size_t i) {
  size_t end = i + 1;
  while (end < name.size() && (static_cast<unsigned char>(name[end]) & 0xC0) == 0x80) ++end;
  return std::string(name.substr(i, end - i));
}

}  // namespace

std::string NameCheck(std::string_view name, size_t min_length, size_t max_length,
                      std::string_view first_extra, std::string_view inner_extra) {
  if (name.size() < min_length) {
    return "Invalid name: Name length " + std::to_string(name.size()) +
           " is less than minimum length " + std::to_string(min_length);
  }
  if (name.size() > max_length) {
    return "Invalid name: Name length " + std::to_string(name.size()) +
           " is greater than maximum length " + std::to_string(max_length);
  }
  if (std::none_of(name.begin(), name.end(), IsAlpha)) {
    return "Invalid name: Name must contain at least one character that matches [a-zA-Z]";
  }
  if (!IsAlpha(name[0]) && first_extra.find(name[0]) == std::string_view::npos) {
    return "Invalid name: Cannot begin with character '" + CharAt(name, 0) + "'";
  }
  for (size_t i = 1; i < name.size(); ++i) {
    const char c = name[i];
    if (!IsAlpha(c) && !IsDigit(c) && inner_extra.find(c) == std::string_view::npos) {
      return "Invalid name: Cannot contain character '" + CharAt(name, i) + "'";
    }
  }
  return "";
}

std::string HostNameCheck(std::string_view name) {
  if (!name.empty() && name.front() == '.') return "Hostname cannot begin with '.'";
  if (!name.empty() && name.front() == '-') return "Hostname cannot begin with '-'";
  if (!name.empty() && name.back() == '-') return "Hostname cannot end with '-'";
  if (name.size() < 2) return "Hostname length violates RFC1123 minimum length of 2";
  if (name.size() > 255) return "Hostname length violates RFC1123 maximum length of 255";
  size_t label = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '.') {
      label = 0;
      continue;
    }
    if (++label > 63) return "Domain name component length violates RFC1123 maximum of 63";
    if (!IsAlpha(c) && !IsDigit(c) && c != '-') {
      return "Domain name cannot contain character '" + CharAt(name, i) + "'";
    }
  }
  return "";
}

bool ParseIpv4(std::string_view text, uint32_t* out) {
  uint32_t value = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    if (i >= text.size() || !IsDigit(text[i])) return false;
    uint32_t octet = 0;
    size_t digits = 0;
    while (i < text.size() && IsDigit(text[i])) {
      octet = octet * 10 + static_cast<uint32_t>(text[i] - '0');
      ++i;
      if (++digits > 3) return false;
    }
    if (octet > 255) return false;
    value = (value << 8) | octet;
    ++parts;
    if (parts < 4) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
  }
  if (i != text.size()) return false;
  *out = value;
  return true;
}

}  // namespace lnsim::sim::internal
