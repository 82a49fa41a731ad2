// Answer builders (see answers.h).
#include "mock-linstor/internal/answers.h"

#include "mock-linstor/internal/body_reader.h"

namespace lnsim::mock::internal {
namespace {

uint64_t SeverityMask(sim::Severity severity) {
  switch (severity) {
    case sim::Severity::kSuccess:
      return 0;
    case sim::Severity::kInfo:
      return rcmask::kInfo;
    case sim::Severity::kWarning:
      return rcmask::kWarn;
    case sim::Severity::kError:
      return rcmask::kError;
  }
  return 0;
}

}  // namespace

HttpResponse JsonOk(std::string body, int status) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

HttpResponse UnknownPath() {
  HttpResponse response;
  response.status = 404;
  response.content_type = "text/plain";
  response.body = "Not Found";
  return response;
}

HttpResponse MethodNotAllowed(const std::string& method, const std::string& allowed,
                              int64_t created_ms) {
  ApiCallRc rc = Entry(RetCode(rcmask::kError, 0, 0, rccode::kFailUnknownError),
                       "HTTP 405 Method Not Allowed", created_ms);
  rc.details = "Method " + method + " is not allowed here; allowed: " + allowed + ".";
  HttpResponse response;
  response.status = 405;
  response.body = RenderApiCallRcList({rc});
  response.headers.emplace_back("Allow", allowed);
  return response;
}

ApiCallRc Entry(int64_t ret_code, std::string message, int64_t created_ms) {
  ApiCallRc rc;
  rc.ret_code = ret_code;
  rc.message = std::move(message);
  rc.created_at = FormatIsoTime(created_ms);
  return rc;
}

HttpResponse NotFound(int code, std::string message, int64_t created_ms,
                      std::map<std::string, std::string> refs) {
  ApiCallRc rc = Entry(RetCode(rcmask::kError, 0, 0, code), std::move(message), created_ms);
  rc.obj_refs = std::move(refs);
  HttpResponse response;
  response.status = 404;
  response.body = RenderApiCallRcList({rc});
  return response;
}

HttpResponse ParseError(int64_t created_ms, bool synchronous) {
  ApiCallRc rc = Entry(kApiCallParseError, "Unable to parse input json.", created_ms);
  HttpResponse response;
  response.status = synchronous ? 400 : 500;
  response.body = RenderApiCallRcList({rc});
  return response;
}

HttpResponse Answer(std::vector<ApiCallRc> entries, int success_status) {
  HttpResponse response;
  response.status = HttpStatusFor(entries, success_status);
  response.body = RenderApiCallRcList(entries);
  return response;
}

HttpResponse Failure(uint64_t op_mask, uint64_t object_mask, int code, std::string message,
                     int64_t created_ms, int status_when_ok) {
  return Answer(
      {Entry(RetCode(rcmask::kError, op_mask, object_mask, code), std::move(message), created_ms)},
      status_when_ok);
}

void AppendOp(const sim::OpResult& op, uint64_t op_mask, uint64_t object_mask, int64_t created_ms,
              std::vector<ApiCallRc>* out) {
  for (const sim::OpMessage& message : op.messages) {
    ApiCallRc rc = Entry(RetCode(SeverityMask(message.severity), 0, 0, message.code),
                         message.message, created_ms);
    rc.details = message.details;
    if (!message.node.empty()) rc.obj_refs["Node"] = message.node;
    if (!message.rd.empty()) rc.obj_refs["RscDfn"] = message.rd;
    // Not-found entries of writes carry masks like every other entry of the call.
    std::vector<ApiCallRc> one{std::move(rc)};
    ApplyMasks(&one, op_mask, object_mask);
    out->push_back(std::move(one[0]));
  }
}

HttpResponse FromOp(const sim::OpResult& op, uint64_t op_mask, uint64_t object_mask,
                    int64_t created_ms, int success_status) {
  std::vector<ApiCallRc> entries;
  AppendOp(op, op_mask, object_mask, created_ms, &entries);
  if (entries.empty()) {
    entries.push_back(
        Entry(RetCode(0, op_mask, object_mask, 0), "Operation completed.", created_ms));
  }
  return Answer(std::move(entries), success_status);
}

bool OpFailed(const sim::OpResult& op) {
  for (const auto& message : op.messages) {
    if (message.severity == sim::Severity::kError) return true;
  }
  return false;
}

void AddReadyEntries(std::vector<ApiCallRc>* entries, int64_t created_ms) {
  for (const ApiCallRc& entry : *entries) {
    if (IsError(entry.ret_code)) return;
  }
  std::vector<ApiCallRc> ready;
  for (const ApiCallRc& entry : *entries) {
    if (entry.message.rfind("Created resource '", 0) != 0) continue;
    auto rd = entry.obj_refs.find("RscDfn");
    auto node = entry.obj_refs.find("Node");
    if (rd == entry.obj_refs.end() || node == entry.obj_refs.end()) continue;
    ApiCallRc rc =
        Entry(RetCode(0, rcmask::kCreate, rcmask::kRsc, rccode::kCreated),
              "Resource '" + rd->second + "' on '" + node->second + "' ready", created_ms);
    rc.obj_refs = entry.obj_refs;
    ready.push_back(std::move(rc));
  }
  for (auto& entry : ready) entries->push_back(std::move(entry));
}

HttpResponse Modified(uint64_t object_mask, std::string message,
                      std::map<std::string, std::string> refs, int64_t created_ms) {
  ApiCallRc rc = Entry(RetCode(0, rcmask::kModify, object_mask, rccode::kModified),
                       std::move(message), created_ms);
  rc.obj_refs = std::move(refs);
  return Answer({rc}, 200);
}

void ModifyProps(BodyReader& reader, const nlohmann::json& body, const std::string& key,
                 MockState* state) {
  auto overrides = reader.StringMap(body, "override_props");
  auto deletes = reader.StringList(body, "delete_props");
  auto namespaces = reader.StringList(body, "delete_namespaces");
  if (reader.bad) return;
  Props& props = state->props[key];
  auto& deleted = state->deleted_props[key];
  for (const auto& name : deletes) {
    props.erase(name);
    deleted[name] = true;
  }
  for (const auto& space : namespaces) {
    const std::string prefix = space.empty() || space.back() == '/' ? space : space + "/";
    for (auto it = props.begin(); it != props.end();) {
      it = it->first.rfind(prefix, 0) == 0 ? props.erase(it) : std::next(it);
    }
  }
  for (const auto& [name, value] : overrides) {
    props[name] = value;
    deleted.erase(name);
  }
}

bool ModifyPropsWellTyped(const nlohmann::json& body) {
  BodyReader probe;
  probe.StringMap(body, "override_props");
  probe.StringList(body, "delete_props");
  probe.StringList(body, "delete_namespaces");
  return !probe.bad;
}

sim::AutoPlaceRequest ReadSelectFilter(BodyReader& reader, const nlohmann::json* filter) {
  sim::AutoPlaceRequest request;
  if (filter == nullptr) return request;
  request.place_count = static_cast<int>(reader.Integer(*filter, "place_count").value_or(0));
  request.additional_place_count =
      static_cast<int>(reader.Integer(*filter, "additional_place_count").value_or(0));
  request.storage_pool_list = reader.StringList(*filter, "storage_pool_list");
  if (auto pool = reader.String(*filter, "storage_pool")) {
    request.storage_pool_list.push_back(*pool);
  }
  request.node_name_list = reader.StringList(*filter, "node_name_list");
  request.not_place_with_rsc = reader.StringList(*filter, "not_place_with_rsc");
  request.diskless_on_remaining = reader.Boolean(*filter, "diskless_on_remaining").value_or(false);
  return request;
}

}  // namespace lnsim::mock::internal
