// A small JSON Schema checker for the subset docs/schemas/*.json use (type, const, required,
// properties, items, minimum, minLength, pattern), so tests can validate published events
// against the documented schemas without a schema library (none is packaged in Debian).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace lnsim::bridge::testing {

// Returns "" when `value` satisfies `schema`, else the first violation with its JSON path.
std::string ValidateSchema(const nlohmann::json& schema, const nlohmann::json& value,
                           const std::string& path = "$");

// Loads docs/schemas/<label>.json from the source tree.
nlohmann::json LoadEventSchema(const std::string& label);

}  // namespace lnsim::bridge::testing
