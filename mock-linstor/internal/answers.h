// How the handlers answer (LINSTOR-API.md 3): JSON bodies, ApiCallRc lists with the masks of the
// call, the status the first error entry picks, not-found answers of single-object GETs (no
// masks), API_CALL_PARSE_ERROR (400 on synchronous calls, 500 on asynchronous ones, per the
// errata), and the plain-text 404 of an unknown path. Pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mock-linstor/api_rc.h"
#include "mock-linstor/rest.h"
#include "mock-linstor/state.h"
#include "sim/world.h"

namespace lnsim::mock::internal {

class BodyReader;

// 200 (or `status`) with a JSON body.
HttpResponse JsonOk(std::string body, int status = 200);
// Jersey's answer to a path no route serves: 404 with a non-JSON body.
HttpResponse UnknownPath();
// A known path asked with a method it does not serve: 405, an ApiCallRc list, and the `Allow`
// header listing the methods it does serve.
HttpResponse MethodNotAllowed(const std::string& method, const std::string& allowed,
                              int64_t created_ms);

ApiCallRc Entry(int64_t ret_code, std::string message, int64_t created_ms);
// A single-object GET that names a missing object: 404, code `code`, no operation/object masks.
HttpResponse NotFound(int code, std::string message, int64_t created_ms,
                      std::map<std::string, std::string> refs = {});
// API_CALL_PARSE_ERROR: 400 when `synchronous`, else 500.
HttpResponse ParseError(int64_t created_ms, bool synchronous);

// The answer of a write: status from the first error entry, else `success_status`.
HttpResponse Answer(std::vector<ApiCallRc> entries, int success_status);
// One error entry with the call's masks (`status_when_ok` only matters if it is not an error).
HttpResponse Failure(uint64_t op_mask, uint64_t object_mask, int code, std::string message,
                     int64_t created_ms, int status_when_ok);
// The world's messages as ApiCallRc entries with the call's masks, appended to *out.
void AppendOp(const sim::OpResult& op, uint64_t op_mask, uint64_t object_mask, int64_t created_ms,
              std::vector<ApiCallRc>* out);
// AppendOp + Answer; an operation without messages answers "Operation completed.".
HttpResponse FromOp(const sim::OpResult& op, uint64_t op_mask, uint64_t object_mask,
                    int64_t created_ms, int success_status);
bool OpFailed(const sim::OpResult& op);
// After "Created resource 'X' on 'n'" entries the controller reports "Resource 'X' on 'n' ready"
// once the satellites applied the change (LINSTOR-API.md 2.6); nothing when an entry is an error.
void AddReadyEntries(std::vector<ApiCallRc>* entries, int64_t created_ms);
// 200 with one MODIFIED entry for `object_mask`.
HttpResponse Modified(uint64_t object_mask, std::string message,
                      std::map<std::string, std::string> refs, int64_t created_ms);

// Applies override_props / delete_props / delete_namespaces of a modify body to the props stored
// under `key` (state.h); a type error sets reader.bad and changes nothing.
void ModifyProps(BodyReader& reader, const nlohmann::json& body, const std::string& key,
                 MockState* state);
// Whether the modify members of `body` have the right types (without applying them).
bool ModifyPropsWellTyped(const nlohmann::json& body);
// The `select_filter` object of autoplace, resource-group and spawn bodies (null: defaults).
sim::AutoPlaceRequest ReadSelectFilter(BodyReader& reader, const nlohmann::json* filter);

}  // namespace lnsim::mock::internal
