// The outcome of a run as data (Report) and its renderings: `lnsim.report/v1` JSON for machines
// and `lnsim compare` (schema: docs/schemas/report.json), the human table printed at the end of
// `lnsim run`; JUnit XML is in harness/junit.h, the HTML page in harness/html_report.h. Every
// field is documented in docs/report.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/histogram.h"
#include "common/status.h"

namespace lnsim::harness {

inline constexpr char kReportSchema[] = "lnsim.report/v1";

// The verifier's counters (docs/architecture.md "What the verifier counts").
struct VerdictCounters {
  uint64_t delivered = 0;  // events received by the consumer(s), raw
  uint64_t matched = 0;    // delivered events explained by a world transition (first receipt)
  uint64_t coalesced = 0;  // world transitions folded into a later event: not lost
  uint64_t lost = 0;
  uint64_t duplicated = 0;   // effective: processed twice after the consumer's dedup
  uint64_t redelivered = 0;  // raw NATS redeliveries (JetStream num_delivered > 1)
  uint64_t reordered = 0;
  uint64_t phantom = 0;
  uint64_t late = 0;
  uint64_t unjudged = 0;  // events of a kind the run does not judge (a scenario's opt-out)
  // Documented promises (docs/report.md): the order within one resource broken, JetStream
  // sequences that never arrived, messages on the event subjects that are not valid events.
  uint64_t misordered = 0;
  uint64_t sequence_gaps = 0;
  uint64_t invalid = 0;
  bool operator==(const VerdictCounters&) const = default;
  VerdictCounters& operator+=(const VerdictCounters& other);
};

struct ConsumerVerdict {
  std::string name;  // "js-1"
  std::string mode;  // "core", "jetstream-ack", "jetstream-acksync"
  VerdictCounters counters;
  bool converged = true;  // the state rebuilt from its events equals the world's final state
};

// Latency stages (docs/report.md `latency_ms`), in this order everywhere.
enum class Stage : uint8_t { kObserve = 0, kPublish, kDeliver, kEndToEnd };
inline constexpr int kStageCount = 4;
std::string_view StageName(Stage stage);  // "observe", "publish", "deliver", "end_to_end"

// Percentiles of one stage, in nanoseconds (rendered as milliseconds in JSON).
struct StageSummary {
  uint64_t count = 0;
  uint64_t p50_ns = 0, p90_ns = 0, p99_ns = 0, p999_ns = 0, max_ns = 0;
  static StageSummary From(const Histogram& histogram);
};

// One fault window of the scenario's timeline. Times are milliseconds since the run's start
// (world time t = 0); the derived durations are nullopt when they did not happen (e.g. never
// detected).
struct FaultWindow {
  std::string kind;    // "nats-restart", "bridge-kill", "node-crash", "proxy-blackhole", ...
  std::string target;  // what it hit: "node-3", "bridge", "consumer js-1", ...
  double start_ms = 0;
  double end_ms = 0;
  std::optional<double> detect_ms;   // start -> first event about the fault delivered
  std::optional<double> recover_ms;  // end -> first event delivered on time again
  std::optional<double> drain_ms;    // end -> backlog of late events delivered
  uint64_t events_in_window = 0;     // events delivered whose world change fell in [start, end)
};

// One fault on a `nats.cluster` member (nats-restart member=..., network target=routes): what it
// hit and how long the stream and the bridge took to get going again (docs/report.md "cluster").
struct ClusterFault {
  std::string fault;        // "nats-restart", "network"
  std::string member;       // server name hit: "lnsim-2"
  bool was_leader = false;  // the member led the bridge's stream when hit
  std::string old_leader;   // stream leader right before ("" when unknown)
  std::string new_leader;   // first other member answering as leader ("" = none / not measured)
  double at_ms = 0;         // world time of the kill or cut
  // Kill/cut -> STREAM.INFO names another member as leader (only when was_leader).
  std::optional<double> election_ms;
  // Kill/cut -> the first publish acknowledged after it (the bridge's timing side channel).
  std::optional<double> first_ack_ms;
};

struct ClusterSummary {
  int size = 0;      // members
  int replicas = 0;  // of the bridge's stream
  std::vector<ClusterFault> faults;
  // The bridge's NATS errors by kind (lnsim_bridge_errors_total{kind="nats_..."}) at the end of
  // the run: nats_no_responders (503: no stream leader), nats_ack_timeout, nats_publish, ...
  std::vector<std::pair<std::string, uint64_t>> publish_errors;
};

// `nats.auth: jwt` runs (docs/report.md "auth"): what the rogue clients tried with creds that do
// not allow it, and how often the server said no.
struct RogueResult {
  std::string name;       // "rogue-consumer"
  std::string creds;      // "consumer", "bridge:intruder"
  uint64_t attempts = 0;  // publishes and JetStream API requests made
  uint64_t denials = 0;   // "Permissions Violation" errors the server sent back
};
struct AuthSummary {
  std::string mode;  // "jwt"
  uint64_t attempts = 0;
  uint64_t denials = 0;
  std::vector<RogueResult> rogues;
};

struct Environment {
  std::string lnsim_version;
  std::string nats_server_version;  // "" when a live server did not say
  std::string nats_c_version;       // nats_GetVersion()
  std::string cpu_model;            // /proc/cpuinfo "model name"
  int cpu_count = 0;
  std::string kernel;      // uname -sr
  std::string git_commit;  // of the lnsim source tree, "" when unknown
};

// Fills what lnsim can learn about itself: nats.c version, CPU, kernel. The caller sets
// lnsim_version, nats_server_version and git_commit.
Environment CollectEnvironment();

struct SloResult {
  std::string expression;  // as written: "p99_end_to_end < 2s"
  bool passed = false;
  std::string measured;  // "1.23s", "0", "no samples"
};

// One check of the verdict, passing or not (docs/report.md `checks`): every SLO, the convergence
// of every consumer, every invariant family and the run's own steps, so that a passing and a
// failing run of one scenario have the same checks.
struct Check {
  std::string name;    // "lost == 0", "consumer js-1", "resync-progress", "run"
  std::string family;  // kCheckSlo, kCheckConvergence, kCheckInvariants, kCheckRun
  bool passed = false;
  std::string detail;  // "measured 0", the failure message, ...
};
inline constexpr char kCheckSlo[] = "slo";
inline constexpr char kCheckConvergence[] = "convergence";
inline constexpr char kCheckInvariants[] = "invariants";
inline constexpr char kCheckRun[] = "run";

// The latency of sampled matched events per stage, for the HTML plot (not in the JSON). Bounded:
// at most kMaxStageSamples points per stage; past that every `stride`-th event is kept (the
// stride doubles each time the cap is reached), so `total` can exceed points.size().
struct LatencyPoint {
  float t_s = 0;  // world time of the change the event carries, seconds since t = 0
  float ms = 0;   // the stage's latency (a negative interval is 0, as in the histogram)
};
struct StageSamples {
  uint64_t total = 0;   // events recorded for the stage: latency_ms.<stage>.count
  uint64_t stride = 1;  // points[i] is the (i * stride)-th recorded event
  std::vector<LatencyPoint> points;
  void Add(double t_s, double ms);

 private:
  uint64_t skip_ = 0;  // events to skip before the next point
};
inline constexpr size_t kMaxStageSamples = 2000;

// One concrete case behind a counter or check (docs/report.md "examples"), so that a person can
// act on it: which key, which events, which rule, and what the world did to that entity. At most
// kMaxExamplesPerCounter per (consumer, counter); the counter itself stays exact.
struct Example {
  std::string counter;               // "lost", "reordered", "phantom", "invalid", ...
  std::string consumer;              // "js-1"; "" for checks not tied to one consumer
  std::string key;                   // partition key or entity: "resource.pvc-4f1c"
  std::string rule;                  // what was broken, in words
  std::vector<std::string> events;   // the events involved: "seq 7 replica.created (subject)"
  std::vector<std::string> history;  // the world's history of the entity: "1.20s created"
  bool operator==(const Example&) const = default;
};
inline constexpr size_t kMaxExamplesPerCounter = 5;

struct Report {
  bool passed = false;                     // every SLO passed and no check failed
  std::vector<std::string> failed_checks;  // non-SLO failures ("consumer js-1 did not converge")
  std::vector<Check> checks;               // every check, passing or not (SLOs included)
  VerdictCounters totals;
  std::vector<ConsumerVerdict> per_consumer;
  std::array<StageSummary, kStageCount> latency;
  double duration_s = 0;  // measured part of the run (drain excluded)
  double throughput = 0;  // delivered events per second over duration_s
  // World changes: what a perfect bridge owes consumers (JSON `world_changes`; older reports
  // named it `events`).
  uint64_t events = 0;
  // The judged window (docs/scenarios.md "Readiness"): world time the bridge was ready, from
  // which `events` are owed (JSON `judged_from_s`), and how that was known: "signalled" (the
  // ready file) or "assumed" (`bridge.readiness: assumed`); "" in reports written before.
  double judged_from_s = 0;
  std::string readiness;
  // Channel kinds the scenario opted out of judging (`verify.unjudged`, docs/scenarios.md), e.g.
  // "quorum"; their events count as `unjudged`. Empty: every event type was judged (JSON
  // `unjudged_kinds`, absent when empty).
  std::vector<std::string> unjudged_kinds;
  std::vector<FaultWindow> faults;
  std::optional<ClusterSummary> cluster;  // runs with `nats.cluster` only
  std::optional<AuthSummary> auth;        // runs with `nats.auth` only
  std::vector<SloResult> slos;
  std::vector<Example> examples;  // up to kMaxExamplesPerCounter per (consumer, counter)
  // Setup mistakes lnsim saw (harness/hints.h, docs/report.md "hints"), each a sentence that
  // names what to change: "the bridge must create the stream LNSIM_STREAM=...".
  std::vector<std::string> hints;
  Environment environment;
  std::string trace_digest;  // sim TraceLog::DigestHex()
  uint64_t seed = 0;
  std::string scenario;    // path as given
  std::string command;     // the exact command line that reproduces the run
  std::string started_at;  // wall-clock start, ISO 8601 UTC ("2026-12-03T18:34:13.123Z")
  double wall_s = 0;       // wall-clock duration of the whole run (start-up and drain included)
  // Per-event stage latencies for the HTML plot; not in the JSON. samples_recorded: the verifier
  // filled them (else the plot falls back to the bridge's timing side channel).
  std::array<StageSamples, kStageCount> samples;
  bool samples_recorded = false;

  const StageSummary& stage(Stage s) const { return latency[static_cast<int>(s)]; }
  StageSummary& stage(Stage s) { return latency[static_cast<int>(s)]; }
};

// `lnsim.report/v1` JSON, pretty-printed, keys in the documented order.
std::string ReportToJson(const Report& report);
// Reads a report back (for `lnsim compare`). kInvalidArgument naming the field that is wrong,
// kFailedPrecondition for another schema.
StatusOr<Report> ReportFromJson(std::string_view json);
// The report's checks; for a report without `checks` (an older baseline, a hand-built report):
// its SLOs and one run check per failed check.
std::vector<Check> ChecksOrLegacy(const Report& report);

// Wall-clock time as ISO 8601 UTC with milliseconds: "2026-12-03T18:34:13.123Z".
std::string IsoUtc(int64_t unix_ns);
// Sets report->started_at from `start_unix_ns` and report->wall_s from the two steady readings.
void StampWallClock(int64_t start_unix_ns, Duration start_steady, Duration end_steady,
                    Report* report);
// The human table printed at the end of a run (harness/report_table.cc): the counters under their
// JSON names with how they add up, a legend, latency, world changes, faults and SLOs.
void PrintReportTable(const Report& report, std::ostream& out);

// How `delivered` adds up (docs/report.md "How the numbers add up"). Every receipt is either the
// first receipt of its event id — then exactly one of matched, unjudged, or phantom in the fact
// it reports — or a repeat of an id already received, or no valid event at all (`invalid`).
// OtherReceipts = delivered - matched - unjudged counts the repeats (each also counted in
// redelivered), the first receipts whose fact the world never had (each also counted in phantom)
// and the invalid messages (each counted in invalid), so for every verifier verdict
// 0 <= OtherReceipts <= redelivered + phantom + invalid. Negative only for a report the verifier
// did not write.
int64_t OtherReceipts(const VerdictCounters& c);
// "delivered 287 = matched 245 + unjudged 42 + other 0"
std::string DeliveredSumText(const VerdictCounters& c);

// One column of the table, in table order: its name (the JSON name, or `other`) and what it
// counts, in a few words (the screen legend and the HTML page use the same text).
struct CounterMeaning {
  std::string_view name;
  std::string_view meaning;
};
const std::vector<CounterMeaning>& CounterLegend();

// Writes `text` to `path` atomically (temp file + rename). kUnavailable naming the path and the
// system's reason.
Status WriteFileAtomically(const std::string& path, std::string_view text);
// Whether WriteFileAtomically(path) can succeed, checked before a run starts so that a bad
// output flag costs nothing: kInvalidArgument "FLAG PATH: <why>" for a path that is a directory,
// whose directory does not exist, or whose directory cannot be written (with the system's reason).
Status CheckWritableOutput(std::string_view flag, const std::string& path);

}  // namespace lnsim::harness
