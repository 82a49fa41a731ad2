// JSON of Report::examples; see internal/report_examples_json.h and docs/report.md "examples".
#include "harness/internal/report_examples_json.h"

#include "harness/json_read.h"

namespace lnsim::harness::internal {

using Json = nlohmann::ordered_json;

Json ExamplesToJson(const std::vector<Example>& examples) {
  Json out = Json::array();  // every example, in the report's order
  for (const Example& e : examples) {
    Json j;
    j["counter"] = e.counter;
    j["consumer"] = e.consumer;
    j["key"] = e.key;
    j["rule"] = e.rule;
    j["events"] = e.events;
    j["history"] = e.history;
    out.push_back(std::move(j));
  }
  return out;
}

Status ExamplesFromJson(const Json& report, std::vector<Example>* out) {
  const auto it = report.find("examples");
  if (it == report.end() || it->is_null()) return OkStatus();
  auto array = JsonMember(report, "examples", "", /*array=*/true);
  if (!array.ok()) return array.status().WithPrefix("report");
  for (size_t i = 0; i < (*array)->size(); ++i) {
    const Json& ej = (**array)[i];
    const std::string where = "examples[" + std::to_string(i) + "]";
    if (!ej.is_object()) {
      return InvalidArgumentError("report: `" + where + "`: expected an object, got " +
                                  JsonTypeName(ej));
    }
    Example e;
    auto read = [&](const char* key, auto* field) {
      return ReadJsonField(ej, key, where, field).WithPrefix("report");
    };
    auto optional = [&](const char* key, auto* field) {
      return ReadOptionalJsonField(ej, key, where, field).WithPrefix("report");
    };
    LNSIM_RETURN_IF_ERROR(read("counter", &e.counter));
    LNSIM_RETURN_IF_ERROR(optional("consumer", &e.consumer));
    LNSIM_RETURN_IF_ERROR(optional("key", &e.key));
    LNSIM_RETURN_IF_ERROR(optional("rule", &e.rule));
    LNSIM_RETURN_IF_ERROR(optional("events", &e.events));
    LNSIM_RETURN_IF_ERROR(optional("history", &e.history));
    out->push_back(std::move(e));
  }
  return OkStatus();
}

}  // namespace lnsim::harness::internal
