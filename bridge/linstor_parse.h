// Parsing of LINSTOR REST v1 list responses into a Snapshot, with simdjson On-Demand: only the
// fields the differ needs are read, everything else is skipped unparsed. Missing keys are
// normal (LINSTOR omits empty values); unknown fields are ignored; malformed or truncated JSON
// and wrong JSON types are errors (kDataLoss) that name the endpoint and the reason, so the
// caller can count them and keep its last good snapshot. Never throws, never aborts on input.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "bridge/snapshot.h"
#include "common/status.h"

namespace lnsim::bridge {

// Reuses simdjson's buffers between calls. Not thread-safe: one per polling thread.
class LinstorParser {
 public:
  LinstorParser();
  ~LinstorParser();
  LinstorParser(const LinstorParser&) = delete;
  LinstorParser& operator=(const LinstorParser&) = delete;

  // Each call parses one page (a JSON array) and adds its objects to *out; *count receives the
  // number of array elements (so the pager knows whether a full page came back). `body` may
  // have its capacity grown (simdjson needs padding); its content is not changed.
  // Errors: kDataLoss "<what>: <reason>" (not an array, truncated, wrong type, missing name).
  Status ParseNodes(std::string& body, Snapshot* out, size_t* count);
  Status ParseStoragePools(std::string& body, Snapshot* out, size_t* count);
  Status ParseResourceDefinitions(std::string& body, Snapshot* out, size_t* count);
  Status ParseResources(std::string& body, Snapshot* out, size_t* count);  // /v1/view/resources

  // Sorts per-replica vectors (ParseResources already does; kept for hand-built snapshots).
  static void SortSnapshot(Snapshot* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "SyncTarget(42.17%)" -> ("SyncTarget", 42.17); "UpToDate" -> ("UpToDate", nullopt).
void SplitDiskState(std::string_view raw, std::string* label, std::optional<double>* percent);

// One parsed SSE event from /v1/events/*: `event:` name and `data:` payload.
struct SseEvent {
  std::string name;
  std::string data;
};

// Incremental text/event-stream parser: feed arbitrary chunks, get complete events. Lines
// other than event:/data:/id:/retry:/comments are counted as garbage, never fatal.
class SseParser {
 public:
  // Appends complete events to *out. Returns the number of garbage lines seen in this chunk.
  size_t Feed(std::string_view chunk, std::vector<SseEvent>* out);
  void Reset();

 private:
  std::string buffer_;
  SseEvent current_;
  bool has_data_ = false;
};

}  // namespace lnsim::bridge
