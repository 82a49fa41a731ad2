// Parsing of LINSTOR REST v1 list responses into a Snapshot, with simdjson: only the fields the
// differ needs are kept. /v1/view/resources objects whose bytes are unchanged since the
// previous poll are not parsed again (see ParseResources). Missing keys are
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
  // /v1/view/resources. Remembers every replica object it parsed (its bytes and the Replica);
  // an object whose bytes are identical (memcmp) to one parsed in the previous poll is not
  // parsed again. A poll is the run of ParseResources calls between calls of the other three
  // parsers (as LinstorClient::FetchSnapshot makes them). When a poll starts and more than
  // half of what is remembered went unused in the previous one, the unused objects are dropped
  // (memory: at most about 3x one poll's objects). The result is exactly the full parse's.
  Status ParseResources(std::string& body, Snapshot* out, size_t* count);

  // Reuse of unchanged objects is on by default; off parses every body as one DOM document
  // (the reference the tests compare against) and drops what was remembered.
  void set_reuse(bool reuse);
  struct ReuseStats {
    uint64_t hits = 0;         // objects reused, since construction
    uint64_t misses = 0;       // objects parsed
    size_t entries = 0;        // objects remembered now
    size_t bytes = 0;          // their JSON bytes
    size_t stored_bytes = 0;   // bytes held for them, garbage included (compacted when > 2x)
    uint64_t evictions = 0;    // times objects the last poll did not use were dropped
    uint64_t compactions = 0;  // times the held bytes were compacted
  };
  ReuseStats reuse_stats() const;

  // Sorts per-replica vectors (ParseResources already does; kept for hand-built snapshots).
  static void SortSnapshot(Snapshot* out);

 private:
  Status ParseResourcesDom(std::string& body, Snapshot* out, size_t* count);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Hands a snapshot that is no longer needed (the baseline a poll replaced) to the parsers of
// this thread: ParseResources reuses its map nodes, strings and vectors instead of allocating
// new ones, so a steady poll allocates and frees almost nothing. Only memory is reused: no
// parse result ever depends on what was recycled. The previously recycled snapshot is freed.
void RecycleSnapshot(Snapshot&& old);

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
