// Hints for the common setup mistakes of a team's bridge (docs/report.md "hints"): a missing
// stream, a wrong subject prefix or cluster token, no Nats-Msg-Id in JetStream mode. The mistakes
// themselves show as lost events; a hint says what to change. Pure functions plus one
// diagnostic subscription (SubjectWatch) that sees what the consumers' filters hide.
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "harness/internal/nats_util.h"

namespace lnsim::harness {

// For a JetStream subscribe that failed with `jetstream_error` 10059 (stream not found):
// "; hint: the bridge must create the stream LNSIM_STREAM=<stream> (docs/scenarios.md
// "Readiness")". "" for any other error.
std::string MissingStreamHint(int jetstream_error, std::string_view stream);

// Where a subject seen on the server falls, for a run whose events belong on
// linstor.v1.<cluster>. (docs/subjects.md).
enum class SubjectClass : uint8_t {
  kExpected,      // linstor.v1.<cluster>.…
  kInternal,      // NATS's own and lnsim's plumbing: $JS, $SYS, $KV, _INBOX, the inbox prefix
  kWrongCluster,  // linstor.v1.<another token>.…
  kWrongPrefix,   // anything else
};
SubjectClass ClassifySubject(std::string_view subject, std::string_view cluster,
                             std::string_view inbox_prefix = "");

// Messages seen outside the expected subjects: how many, and the first distinct subjects.
struct StraySubjects {
  uint64_t count = 0;
  std::vector<std::string> samples;  // at most kMaxStraySamples, in arrival order
  void Add(std::string_view subject);
};
inline constexpr size_t kMaxStraySamples = 3;

struct HintInputs {
  std::string cluster;  // the cluster token the run gave the bridge (LNSIM_CLUSTER)
  StraySubjects wrong_cluster;
  StraySubjects wrong_prefix;
  bool jetstream = false;           // a JetStream consumer ran
  uint64_t jetstream_received = 0;  // messages JetStream consumers received
  uint64_t without_msg_id = 0;      // of those, without a Nats-Msg-Id header
};
// One sentence per mistake seen, naming what to change; empty when none.
std::vector<std::string> SetupHints(const HintInputs& inputs);

// A core subscription on `>` for the run (a diagnostic, not a consumer): counts messages outside
// linstor.v1.<cluster>. It unsubscribes after kWatchedEvents messages on the expected subjects
// with none outside (a bridge that got its subjects right). Thread-safe accessors; the callback
// runs on a nats.c thread.
inline constexpr uint64_t kWatchedEvents = 1000;
class SubjectWatch {
 public:
  // kUnavailable when the server cannot be reached or the subscription is refused.
  static StatusOr<std::unique_ptr<SubjectWatch>> Start(const std::string& url,
                                                       const internal::NatsClientAuth& auth,
                                                       std::string cluster);
  SubjectWatch(const SubjectWatch&) = delete;
  SubjectWatch& operator=(const SubjectWatch&) = delete;
  ~SubjectWatch();

  // Flushes what the server sent so far (bounded), then copies the counts into `inputs`.
  void Collect(HintInputs* inputs);

 private:
  SubjectWatch(internal::NatsClientAuth auth, std::string cluster)
      : auth_(std::move(auth)), cluster_(std::move(cluster)) {}
  static void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);

  internal::NatsClientAuth auth_;
  std::string cluster_;
  natsConnection* nc_ = nullptr;
  natsSubscription* sub_ = nullptr;
  std::mutex mu_;
  StraySubjects wrong_cluster_;
  StraySubjects wrong_prefix_;
  uint64_t expected_ = 0;
  uint64_t handled_ = 0;  // messages the callback has finished with
};

}  // namespace lnsim::harness
