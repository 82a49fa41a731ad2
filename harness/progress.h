// The progress of `lnsim run` on stderr: which phase runs — world (the world moves), drain (the
// world stands still until the consumers caught up), verdict (the verifier judges) — with its
// counts. On a terminal (live) one line per phase, updated in place twice a second and ended when
// the phase ends; elsewhere (a CI log) plain lines only: one every 10 s within a long phase and
// one when each phase ends, so a log shows the same words without a flood of updates.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace lnsim::harness {

enum class ProgressPhase : uint8_t { kWorld, kDrain, kVerdict };
// How far a phase got: still running, or how it ended.
enum class PhaseState : uint8_t { kRunning, kDone, kExpired, kInterrupted };

// What the run knows while it runs (the verifier's counters exist only after the verdict).
struct ProgressCounts {
  double elapsed_s = 0;    // world: world time so far; drain: time since the drain started
  double limit_s = 0;      // world: the run's length; drain: the longest drain
  uint64_t delivered = 0;  // receipts so far, all consumers (raw, as the report's `delivered`)
  // Distinct events the bridge published (its timing side channel); nullopt for a team's own
  // bridge, which has none.
  std::optional<uint64_t> published;
  uint64_t slowest = 0;        // events processed by the consumer furthest behind
  uint64_t redelivered = 0;    // JetStream redeliveries the consumers saw (num_delivered > 1)
  uint64_t dedup_dropped = 0;  // receipts the consumers' dedup dropped
  // Publishes the bridge has not had acknowledged yet (asked during the drain); nullopt = not
  // asked or not known.
  std::optional<uint64_t> outstanding;
};

// "world   1.2s/3.0s  delivered 120 (100/s)  published 123  backlog 3"
// "drain   0.8s (up to 30s)  delivered 287  slowest consumer has 284 of 287 published
//  bridge outstanding 3" (redelivered and dedup-dropped receipts are added once there are some).
// An ended phase says how: "world   3.0s/3.0s done ...", "drain   done after 1.2s ...",
// "drain   expired after 30.0s ...", "world   1.2s/3.0s interrupted ...".
std::string ProgressLine(ProgressPhase phase, const ProgressCounts& counts, PhaseState state);
// "verdict judging 287 received events (1 consumer)".
std::string VerdictProgressLine(uint64_t delivered, size_t consumers);

// Not thread-safe: the run's thread drives it. Times are real-time nanoseconds (any origin).
class ProgressPrinter {
 public:
  // `live`: a terminal (lines updated in place); otherwise plain lines for logs.
  ProgressPrinter(std::ostream& out, bool live) : out_(out), live_(live) {}

  // Within a phase: printed when due (live: every 500 ms; plain: every 10 s).
  void Update(ProgressPhase phase, const ProgressCounts& counts, int64_t now_ns);
  // The phase ended (`state` says how): its last line, always printed (and ended, when live).
  void End(ProgressPhase phase, const ProgressCounts& counts, PhaseState state);
  // The verifier starts judging: one line.
  void Verdict(uint64_t delivered, size_t consumers);

 private:
  void Emit(const std::string& line, bool final);

  std::ostream& out_;
  const bool live_;
  ProgressPhase phase_ = ProgressPhase::kWorld;
  bool phase_started_ = false;   // false until the first Update of a phase
  int64_t last_ns_ = INT64_MIN;  // when the last line within the phase was printed
};

}  // namespace lnsim::harness
