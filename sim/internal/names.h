// LINSTOR's rules for names and addresses, as linstor-server's Checks class applies them. Pure
// functions, split from the operations so the rules read (and can be tested) on their own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lnsim::sim::internal {

// linstor-server Checks.nameCheck: length in [min_length, max_length], at least one letter, the
// first character a letter or one of `first_extra`, the rest letters, digits or `inner_extra`.
// Returns "" when `name` passes, else LINSTOR's message for the first rule it breaks.
std::string NameCheck(std::string_view name, size_t min_length, size_t max_length,
                      std::string_view first_extra, std::string_view inner_extra);

// linstor-server Checks.hostNameCheck (node names, RFC 1123). "" when `name` passes.
std::string HostNameCheck(std::string_view name);

// Parses a dotted-quad IPv4 address; false (and *out untouched) when `text` is not one.
bool ParseIpv4(std::string_view text, uint32_t* out);

}  // namespace lnsim::sim::internal
