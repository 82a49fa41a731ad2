// LINSTOR's ApiCallRc: the answer of every write and of most failures, as a JSON list. This file
// holds the signed ret_code layout (severity | operation | object | code, LINSTOR-API.md 3.2) and
// the HTTP status selection of the Java controller (3.3), so handlers never hand-compute either.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lnsim::mock {

namespace rcmask {
inline constexpr uint64_t kError = 0xC000000000000000ULL;
inline constexpr uint64_t kWarn = 0x8000000000000000ULL;
inline constexpr uint64_t kInfo = 0x4000000000000000ULL;
inline constexpr uint64_t kSeverity = 0xC000000000000000ULL;

inline constexpr uint64_t kCreate = 0x01000000;
inline constexpr uint64_t kModify = 0x02000000;
inline constexpr uint64_t kDelete = 0x03000000;
inline constexpr uint64_t kOperation = 0x03000000;

inline constexpr uint64_t kNode = 0x3C0000;
inline constexpr uint64_t kRscDfn = 0x380000;
inline constexpr uint64_t kRsc = 0x340000;
inline constexpr uint64_t kVlmDfn = 0x300000;
inline constexpr uint64_t kVlm = 0x2C0000;
inline constexpr uint64_t kNodeConn = 0x280000;
inline constexpr uint64_t kRscConn = 0x240000;
inline constexpr uint64_t kNetIf = 0x1C0000;
inline constexpr uint64_t kStorPoolDfn = 0x180000;
inline constexpr uint64_t kStorPool = 0x140000;
inline constexpr uint64_t kCtrlConf = 0x100000;
inline constexpr uint64_t kSnapshot = 0xC0000;
inline constexpr uint64_t kKvs = 0x400000;
inline constexpr uint64_t kRscGrp = 0x440000;
inline constexpr uint64_t kVlmGrp = 0x480000;
inline constexpr uint64_t kObject = 0x7C0000;

inline constexpr uint64_t kCode = 0x7FFF;
}  // namespace rcmask

namespace rccode {
inline constexpr int kCreated = 1, kDeleted = 2, kModified = 3;
inline constexpr int kFailInvalidName = 200, kFailInvalidVolumeSize = 206,
                     kFailInvalidPlaceCount = 219, kFailInvalidVolumeSizes = 228;
inline constexpr int kFailNotFoundNode = 300, kFailNotFoundRscDfn = 301, kFailNotFoundRsc = 302,
                     kFailNotFoundVlmDfn = 303, kFailNotFoundVlm = 304, kFailNotFoundStorPool = 310,
                     kFailNotFoundRscGrp = 317, kFailNotFoundVlmGrp = 318;
inline constexpr int kFailExistsNode = 500, kFailExistsRscDfn = 501, kFailExistsRsc = 502,
                     kFailExistsVlmDfn = 503, kFailExistsStorPool = 510, kFailExistsRscGrp = 522;
inline constexpr int kFailNotAllUpToDate = 974, kFailNotEnoughFreeSpace = 980, kFailRscBusy = 992,
                     kFailNotConnected = 995, kFailNotEnoughNodes = 996, kFailInUse = 997,
                     kFailUnknownError = 998, kFailImplError = 999;
inline constexpr int kWarnNotConnected = 1002, kWarnRscAlreadyDeployed = 1006,
                     kWarnResizeSameSize = 1023, kWarnNotFound = 3000;
inline constexpr int kInfoNoRscSpawned = 10000;
inline constexpr int kFailNotFoundSnapshotDfn = 313;  // snapshots (handlers/snapshots.cc)
}  // namespace rccode

// API_CALL_PARSE_ERROR: 0x0FFFFFFFFFFFFFFD | MASK_ERROR (= -3458764513820540931).
inline constexpr int64_t kApiCallParseError =
    static_cast<int64_t>(0x0FFFFFFFFFFFFFFDULL | rcmask::kError);

// Composes a signed ret_code from its parts (mask bits are ORed).
inline int64_t RetCode(uint64_t severity, uint64_t op, uint64_t object, int code) {
  return static_cast<int64_t>(severity | op | object | static_cast<uint64_t>(code));
}
inline bool IsError(int64_t rc) {
  return (static_cast<uint64_t>(rc) & rcmask::kSeverity) == rcmask::kError;
}
inline bool IsWarning(int64_t rc) {
  return (static_cast<uint64_t>(rc) & rcmask::kSeverity) == rcmask::kWarn;
}
inline int CodeOf(int64_t rc) {
  return static_cast<int>(static_cast<uint64_t>(rc) & rcmask::kCode);
}

struct ApiCallRc {
  int64_t ret_code = 0;
  std::string message;
  std::string cause;
  std::string details;
  std::string correction;
  std::map<std::string, std::string> obj_refs;
  std::vector<std::string> error_report_ids;
  std::string created_at;  // ISO-8601 with offset; omitted when empty
};

// ORs op/object masks into every entry that carries no object mask yet (what the controller does
// to the entries of one API call).
void ApplyMasks(std::vector<ApiCallRc>* entries, uint64_t op, uint64_t object);

// The HTTP status the Java controller answers for this list (ApiCallRcRestUtils.toResponse): the
// first error entry decides (3xx code -> 404, 4xx -> 403, any other error -> 500); without an
// error entry, `success_status`.
int HttpStatusFor(const std::vector<ApiCallRc>& entries, int success_status);

// Renders the list as JSON (NON_EMPTY: empty members left out).
std::string RenderApiCallRcList(const std::vector<ApiCallRc>& entries);
void AppendApiCallRc(std::string* out, const ApiCallRc& rc);

// ISO-8601 with offset, millisecond precision, UTC: "2026-06-02T10:45:56.123+00:00".
std::string FormatIsoTime(int64_t unix_ms);

}  // namespace lnsim::mock
