// Endpoints a real controller always answers that the simulated world has little to say about
// (docs/mock-linstor.md "Error reports, physical storage, key-value store"):
//  - error reports: the controller has none, so the lists are empty and the count is 0;
//  - physical storage: every simulated disk is already in a storage pool, so no node has unused
//    devices (`[]`, as LINSTOR answers when lsblk finds nothing poolable); an unknown node is 404;
//  - key-value store: kept in memory in MockState::kvs_names + props "kvs:<folded>", with the
//    answers of CtrlKvsApiCallHandler (modify creates the store; delete of a missing one warns).
#include <string>
#include <vector>

#include "mock-linstor/handlers/handlers.h"
#include "mock-linstor/internal/answers.h"
#include "mock-linstor/internal/body_reader.h"
#include "mock-linstor/internal/json_writer.h"

namespace lnsim::mock::handlers {
namespace {

using internal::JsonWriter;

HttpResponse EmptyList(const ReadContext&) { return internal::JsonOk("[]"); }

HttpResponse ErrorReportStats(const ReadContext&) { return internal::JsonOk(R"({"count":0})"); }

HttpResponse PhysicalStorageOfNode(const ReadContext& context) {
  const std::string& node = context.params["node"];
  if (sim::FindNode(context.cluster, node) == sim::kNoIndex) {
    return internal::NotFound(rccode::kFailNotFoundNode, "Node '" + node + "' not found.",
                              context.created_ms, {{"Node", node}});
  }
  return internal::JsonOk("[]");
}

void RenderStore(JsonWriter& writer, const MockState& state, const std::string& folded,
                 const std::string& name) {
  writer.BeginObject();
  writer.KeyStr("name", name);
  auto props = state.props.find("kvs:" + folded);
  if (props != state.props.end() && !props->second.empty()) {
    writer.Key("props");
    writer.BeginObject();
    for (const auto& [key, value] : props->second) writer.KeyStr(key, value);
    writer.EndObject();
  }
  writer.EndObject();
}

HttpResponse ListStores(const ReadContext& context) {
  std::string out;
  JsonWriter writer(&out);
  writer.BeginArray();
  for (const auto& [folded, name] : context.state.kvs_names) {
    RenderStore(writer, context.state, folded, name);
  }
  writer.EndArray();
  return internal::JsonOk(std::move(out));
}

HttpResponse GetStore(const ReadContext& context) {
  const std::string folded = sim::FoldName(context.params["instance"]);
  std::string out;
  JsonWriter writer(&out);
  writer.BeginArray();
  auto found = context.state.kvs_names.find(folded);
  if (found != context.state.kvs_names.end()) {
    RenderStore(writer, context.state, folded, found->second);
  }
  writer.EndArray();
  return internal::JsonOk(std::move(out));
}

// PUT: a synchronous call (bad JSON is 400); creates the store when it does not exist.
HttpResponse ModifyStore(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, true);
  const std::string& name = context.params["instance"];
  const std::string folded = sim::FoldName(name);
  if (!internal::ModifyPropsWellTyped(*body)) return internal::ParseError(context.created_ms, true);
  internal::BodyReader reader;
  internal::ModifyProps(reader, *body, "kvs:" + folded, &context.state);
  context.state.kvs_names.emplace(folded, name);
  context.effects.changed = true;
  return internal::Modified(rcmask::kCtrlConf, "Successfully updated properties", {},
                            context.created_ms);
}

HttpResponse DeleteStore(const WriteContext& context) {
  const std::string& name = context.params["instance"];
  const std::string folded = sim::FoldName(name);
  std::vector<ApiCallRc> entries;
  auto found = context.state.kvs_names.find(folded);
  if (found == context.state.kvs_names.end()) {
    entries.push_back(internal::Entry(RetCode(rcmask::kWarn, 0, 0, rccode::kWarnNotFound),
                                      "Deletion of kvs '" + name + "' had no effect.",
                                      context.created_ms));
    entries.back().cause = "Kvs '" + name + "' does not exist.";
    return internal::Answer(std::move(entries), 200);
  }
  entries.push_back(internal::Entry(RetCode(0, 0, 0, rccode::kDeleted),
                                    "Kvs '" + found->second + "' deleted.", context.created_ms));
  context.state.kvs_names.erase(found);
  context.state.props.erase("kvs:" + folded);
  context.state.deleted_props.erase("kvs:" + folded);
  context.effects.changed = true;
  return internal::Answer(std::move(entries), 200);
}

}  // namespace

void AddExtraRoutes(std::vector<Route>* routes) {
  routes->push_back({"GET", "/v1/error-reports", EmptyList});
  routes->push_back({"GET", "/v1/error-reports/{reportid}", EmptyList});
  routes->push_back({"GET", "/v1/stats/error-reports", ErrorReportStats});
  routes->push_back({"GET", "/v1/physical-storage", EmptyList});
  routes->push_back({"GET", "/v1/physical-storage/{node}", PhysicalStorageOfNode});
  routes->push_back({"GET", "/v1/key-value-store", ListStores});
  routes->push_back({"GET", "/v1/key-value-store/{instance}", GetStore});
  routes->push_back({"PUT", "/v1/key-value-store/{instance}", nullptr, ModifyStore});
  routes->push_back({"DELETE", "/v1/key-value-store/{instance}", nullptr, DeleteStore});
}

}  // namespace lnsim::mock::handlers
