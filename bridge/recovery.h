// JetStream plumbing the bridge needs besides publishing: the event stream (created or checked
// at start), the state-mirror KV bucket, and crash recovery from them. The KV mirror is also the
// bridge's write-ahead log: before the events of a key are published, the key's entry is
// written with the key's new state, its last sequence and the encoded events ("pending"). After
// kill -9 a restarted bridge reads every entry, continues each key's sequence from it (never
// reusing a (key, sequence)), and re-sends a pending event only if the stream does not already
// hold it (last message on the event's subject, js_GetLastMsg), with the same id.
#pragma once

#include <nats/nats.h>

#include <map>
#include <string>
#include <vector>

#include "bridge/metrics.h"
#include "bridge/publisher.h"
#include "bridge/snapshot.h"
#include "common/status.h"

namespace lnsim::bridge {

struct StreamSettings {
  std::string stream;  // default "LINSTOR_<CLUSTER>"
  std::string bucket;  // default "linstor_<cluster>_state"
  int replicas = 1;
  Duration dedup_window = std::chrono::minutes(2);
};

std::string DefaultStreamName(std::string_view cluster);
std::string DefaultBucketName(std::string_view cluster);
// "$KV.<bucket>.<key>": where a KV put for `key` is published.
std::string MirrorSubject(std::string_view bucket, std::string_view key);
inline constexpr std::string_view kSyncedKey = "meta.synced";

// Creates the stream (subjects linstor.v1.<cluster>.>, file storage, duplicate window) or
// checks an existing one (must capture our subjects; the duplicate window is updated to the
// configured one). Creates the KV bucket if missing. kUnavailable / kFailedPrecondition.
Status EnsureStreamAndBucket(jsCtx* js, std::string_view cluster, const StreamSettings& settings,
                             Logger* logger);

struct Recovered {
  bool synced = false;                        // the first full poll was mirrored completely
  Snapshot baseline;                          // state as published (meaningful when synced)
  std::map<std::string, uint64_t> sequences;  // last sequence per partition key
  std::vector<OutMessage> republish;          // pending events the stream does not hold
  uint64_t pending_already_published = 0;     // pending events found in the stream
  size_t entries = 0;
};

// Reads the whole KV bucket and checks pending events against the stream.
// kUnavailable when NATS does not answer; kDataLoss names a corrupt entry.
StatusOr<Recovered> Recover(natsConnection* nc, jsCtx* js, std::string_view cluster,
                            const StreamSettings& settings, Logger* logger);

}  // namespace lnsim::bridge
