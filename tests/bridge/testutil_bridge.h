// Test support for the bridge's integration tests: start `lnsim mock-linstor` and `lnsim bridge`
// as child processes, read a JetStream stream and the state-mirror bucket back, and rebuild the
// cluster's resources from the published events to compare with what LINSTOR serves.
#pragma once

#include <nats/nats.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bridge/event.h"
#include "bridge/options.h"
#include "bridge/snapshot.h"
#include "common/clock.h"
#include "common/status.h"
#include "harness/child_process.h"

namespace lnsim::bridge::testing {

// A value for every option of the bridge's table that differs from its default (the option-table
// tests check that none is missed).
BridgeConfig EveryOptionSet();

std::string MakeTempDir(const std::string& prefix);
std::string WriteFile(const std::string& dir, const std::string& name, const std::string& text);

struct Mock {
  std::unique_ptr<harness::ChildProcess> child;
  std::string url;  // http://127.0.0.1:PORT
};
// `lnsim mock-linstor --port 0 --scenario FILE`; waits for its "listening on" line (bounded).
StatusOr<Mock> StartMock(const std::string& scenario_path, const Clock& clock);

// `lnsim bridge ARGS...`, stderr to log_path, stdout captured.
StatusOr<std::unique_ptr<harness::ChildProcess>> StartBridge(const std::vector<std::string>& args,
                                                             const std::string& log_path,
                                                             const Clock& clock);

struct StreamMessage {
  uint64_t stream_sequence = 0;
  std::string subject;
  std::string data;
  std::string msg_id;
};
// Every message of `stream` (by stream sequence, first..last).
StatusOr<std::vector<StreamMessage>> ReadStream(jsCtx* js, const std::string& stream);
// Every entry of the state-mirror bucket, as a fresh (late) consumer reads it.
StatusOr<std::map<std::string, MirrorEntry>> ReadMirror(jsCtx* js, const std::string& bucket);

// The resources as the events say they are: existence, volume sizes, replicas, in_use.
struct ModelReplica {
  Tri in_use = Tri::kUnknown;
  bool operator==(const ModelReplica&) const = default;
};
struct ModelResource {
  std::map<int32_t, int64_t> sizes;
  std::map<std::string, ModelReplica> replicas;  // folded node
  bool operator==(const ModelResource&) const = default;
};
using Model = std::map<std::string, ModelResource>;  // folded resource name

// Applies decoded events in per-key sequence order (duplicates ignored).
Model ModelFromEvents(const std::vector<Event>& events);
Model ModelFromSnapshot(const Snapshot& snapshot);
// "" when equal (volume sizes compared only where both know the volume, in_use only where
// known on both sides), else a description of the first differences.
std::string CompareModels(const Model& from_events, const Model& from_linstor);

// Invariants of the published stream: every message decodes; copies of one (key, sequence)
// have the same content; each key's sequences are 1..N without gaps. Returns "" or problems;
// *events receives one decoded event per (key, sequence), *copies the number of extra copies.
std::string CheckStream(const std::vector<StreamMessage>& messages, std::vector<Event>* events,
                        size_t* copies);

// Fetches and finalizes a snapshot from a controller.
StatusOr<Snapshot> FetchLinstor(const std::string& url, const Clock& clock);

}  // namespace lnsim::bridge::testing
