// JSON of Report::examples and Report::hints (docs/report.md "examples", "hints"), apart from
// report.cc so that the report's JSON stays one readable file. Used by report.cc only.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/report.h"

namespace lnsim::harness::internal {

nlohmann::ordered_json ExamplesToJson(const std::vector<Example>& examples);
// Reads `examples` of a report object (absent = none). kInvalidArgument naming the field.
Status ExamplesFromJson(const nlohmann::ordered_json& report, std::vector<Example>* out);

}  // namespace lnsim::harness::internal
