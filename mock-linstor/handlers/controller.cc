// /v1/controller: version (the python client's handshake, LINSTOR-API.md 2.1) and properties.
#include <map>
#include <string>

#include "mock-linstor/handlers/handlers.h"
#include "mock-linstor/internal/answers.h"
#include "mock-linstor/internal/body_reader.h"
#include "mock-linstor/internal/json_writer.h"

namespace lnsim::mock::handlers {
namespace {

using internal::JsonWriter;

HttpResponse GetVersion(const ReadContext&) {
  return internal::JsonOk(
      std::string(R"({"version":")") + std::string(kControllerVersion) +
      R"(","git_hash":"3e9306a9d8215606544c64c50ced150625ee4926","build_time":"2026-06-02T08:14:41+00:00","rest_api_version":")" +
      std::string(kRestApiVersion) + "\"}");
}

std::map<std::string, std::string> ControllerProps(const MockState& state) {
  std::map<std::string, std::string> props{
      {"defaultDebugSslConnector", "DebugSslConnector"},
      {"defaultPlainConSvc", "PlainConnector"},
      {"defaultSslConSvc", "SslConnector"},
      {"netcom/PlainConnector/port", "3376"},
      {"netcom/PlainConnector/type", "plain"},
      {"netcom/PlainConnector/enabled", "true"},
      {"TcpPortAutoRange", "7000-7999"},
      {"MinorNrAutoRange", "1000-49999"},
  };
  auto deleted = state.deleted_props.find("ctrl");
  if (deleted != state.deleted_props.end()) {
    for (const auto& [key, unused] : deleted->second) props.erase(key);
  }
  auto set = state.props.find("ctrl");
  if (set != state.props.end()) {
    for (const auto& [key, value] : set->second) props[key] = value;
  }
  return props;
}

HttpResponse GetProperties(const ReadContext& context) {
  std::string out;
  JsonWriter writer(&out);
  writer.BeginObject();
  for (const auto& [key, value] : ControllerProps(context.state)) writer.KeyStr(key, value);
  writer.EndObject();
  return internal::JsonOk(std::move(out));
}

// POST and PUT /v1/controller/properties: a synchronous call (bad JSON is 400). POST answers
// 201 as LINSTOR's Controller.setProperties does (mapToMonoResponse(flux, CREATED); the spec
// documents 201 too; schemathesis found the mock's 200). PUT is the mock's own alias: 200.
HttpResponse SetProperties(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, true);
  internal::BodyReader reader;
  internal::ModifyProps(reader, *body, "ctrl", &context.state);
  if (reader.bad) return internal::ParseError(context.created_ms, true);
  context.effects.changed = true;
  HttpResponse response = internal::Modified(rcmask::kCtrlConf, "Successfully set property key(s)",
                                             {}, context.created_ms);
  if (context.request.method == "POST") response.status = 201;
  return response;
}

}  // namespace

void AddControllerRoutes(std::vector<Route>* routes) {
  routes->push_back({"GET", "/v1/controller/version", GetVersion});
  routes->push_back({"GET", "/v1/controller/properties", GetProperties});
  routes->push_back({"POST", "/v1/controller/properties", nullptr, SetProperties});
  routes->push_back({"PUT", "/v1/controller/properties", nullptr, SetProperties});
}

}  // namespace lnsim::mock::handlers
