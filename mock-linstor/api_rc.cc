// ApiCallRc masks, status selection and rendering (see api_rc.h).
#include "mock-linstor/api_rc.h"

#include <ctime>

#include "mock-linstor/internal/json_writer.h"

namespace lnsim::mock {

void ApplyMasks(std::vector<ApiCallRc>* entries, uint64_t op, uint64_t object) {
  for (ApiCallRc& e : *entries) {
    uint64_t rc = static_cast<uint64_t>(e.ret_code);
    if ((rc & rcmask::kObject) != 0) continue;
    rc |= op | object;
    e.ret_code = static_cast<int64_t>(rc);
  }
}

int HttpStatusFor(const std::vector<ApiCallRc>& entries, int success_status) {
  for (const ApiCallRc& e : entries) {
    if (!IsError(e.ret_code)) continue;
    const int code = CodeOf(e.ret_code);
    // FAIL_SIGN_IN (10000|ERR) and FAIL_SIGN_IN_MISSING_CREDENTIALS (10001|ERR) carry no masks.
    const uint64_t low = static_cast<uint64_t>(e.ret_code) & ~rcmask::kSeverity;
    if (low == 10001) return 401;
    if (low == 10000) return 403;
    if (code >= 300 && code <= 399) return 404;
    if (code >= 400 && code <= 499) return 403;
    return 500;
  }
  return success_status;
}

void AppendApiCallRc(std::string* out, const ApiCallRc& rc) {
  internal::JsonWriter w(out);
  w.BeginObject();
  w.KeyInt("ret_code", rc.ret_code);
  w.KeyStr("message", rc.message);
  if (!rc.cause.empty()) w.KeyStr("cause", rc.cause);
  if (!rc.details.empty()) w.KeyStr("details", rc.details);
  if (!rc.correction.empty()) w.KeyStr("correction", rc.correction);
  if (!rc.obj_refs.empty()) {
    w.Key("obj_refs");
    w.BeginObject();
    for (const auto& [k, v] : rc.obj_refs) w.KeyStr(k, v);
    w.EndObject();
  }
  if (!rc.error_report_ids.empty()) {
    w.Key("error_report_ids");
    w.BeginArray();
    for (const auto& id : rc.error_report_ids) w.Str(id);
    w.EndArray();
  }
  if (!rc.created_at.empty()) w.KeyStr("created_at", rc.created_at);
  w.EndObject();
}

std::string RenderApiCallRcList(const std::vector<ApiCallRc>& entries) {
  std::string out = "[";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendApiCallRc(&out, entries[i]);
  }
  out.push_back(']');
  return out;
}

std::string FormatIsoTime(int64_t unix_ms) {
  const time_t secs = static_cast<time_t>(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
  const int ms = static_cast<int>(unix_ms - static_cast<int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03d+00:00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

}  // namespace lnsim::mock
