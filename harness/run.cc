// `lnsim run`: one scenario end to end (see run.h for the time model). This file keeps the run's
// phases — start-up in order, the run phase (the world moves, harness faults fire), the drain
// (the world stands still until the consumers caught up), judging and the reproduction bundle;
// the rooms it drives are the rig (rig.h), the fault driver (fault_driver.h), the receipts
// (receipts.h), the bridge probe (bridge_probe.h) and the report builder (report_builder.h).
#include "harness/run.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "common/duration.h"
#include "harness/bundle.h"
#include "harness/exit_codes.h"
#include "harness/fault_driver.h"
#include "harness/invariants.h"
#include "harness/progress.h"
#include "harness/receipts.h"
#include "harness/report_builder.h"
#include "harness/rig.h"
#include "harness/run_config.h"

namespace lnsim::harness {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<std::string> ConsumerNames(const std::vector<ConsumerSpec>& consumers) {
  std::vector<std::string> names;
  for (const ConsumerSpec& c : consumers) names.push_back(c.name);
  return names;
}

// kExitUsage for a configuration error found while starting, else kExitInfra.
int StartFailureCode(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitInfra;
}

// One run; everything it starts is stopped and reaped by Shutdown (also from the destructor),
// so nothing is left running whatever path leaves RunScenario.
class Run {
 public:
  Run(const RunOptions& options, const Clock& clock, std::ostream& log,
      const volatile bool* interrupted)
      : options_(options), clock_(clock), log_(log), interrupted_(interrupted) {}
  ~Run() { Shutdown(); }

  RunOutcome Execute();

 private:
  Status PrepareWorkDir();
  void BuildRooms();
  // Starts every process in order; *exit_code says how a failure ends the run.
  Status StartAll(int* exit_code);
  // The run phase; false when interrupted.
  bool RunPhase();
  // The drain phase; true when the consumers caught up before `drain` expired.
  bool DrainPhase(bool* interrupted);
  bool CaughtUp(Duration now, int64_t* last_outstanding_check_ns);
  // Waits up to `wait` for receipts and records them (and the timing side channel).
  void Pump(milliseconds wait);
  // Progress on stderr (harness/progress.h): the phase's counts when due, or its last line.
  void PrintProgress(ProgressPhase phase, PhaseState state);
  ProgressCounts CurrentCounts(ProgressPhase phase);
  bool Interrupted() const { return interrupted_ != nullptr && *interrupted_; }
  void Shutdown();
  // Runs the verifier and the domain invariants over the world as it ended: fills the verdict,
  // trace digest and invariant violations of *in (its cluster_faults already set).
  void Verify(ReportInputs* in);
  Report Judge();
  // Remembers when and in which phase the stop came, for the report and the terminal.
  void NoteInterrupt(const char* phase);
  // An interrupted run's report: no verdict (nothing judged, no SLOs), what was delivered so far,
  // failed_checks[0] = the interrupt note.
  Report InterruptedReport();
  RunOutcome Finish(bool interrupted);
  // Writes the reproduction bundle (harness/bundle.h) into `dir`.
  Status WriteBundle(const std::string& dir, const Report& report);

  const RunOptions& options_;
  const Clock& clock_;
  std::ostream& log_;
  const volatile bool* interrupted_;

  RunConfig config_;
  Findings findings_;
  std::string work_dir_;
  bool temp_work_dir_ = false;
  std::unique_ptr<Receipts> receipts_;
  std::unique_ptr<Rig> rig_;
  std::unique_ptr<FaultDriver> faults_;
  std::vector<Delivery> batch_;

  int64_t last_delivery_real_ns_ = 0;
  int64_t baseline_ns_ = 0;
  int64_t bridge_started_ns_ = 0;              // world time the (first) bridge was spawned
  std::unique_ptr<ProgressPrinter> progress_;  // null without options_.progress
  bool drain_started_ = false;
  int64_t drain_start_ns_ = 0;
  std::optional<uint64_t> outstanding_;  // the bridge's unacknowledged publishes, last asked
  std::vector<std::pair<std::string, uint64_t>> bridge_nats_errors_;
  std::vector<std::string> invariant_violations_;
  std::string interrupt_note_;  // set by NoteInterrupt
  Duration interrupted_at_{0};  // world time of the stop
  bool shut_down_ = false;
};

Status Run::PrepareWorkDir() {
  if (options_.work_dir.empty()) {
    std::string tmpl =
        (std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : "/tmp") + "/lnsim-run-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      return UnavailableError("cannot create a work directory under " + tmpl);
    }
    work_dir_ = tmpl;
    temp_work_dir_ = true;
    return OkStatus();
  }
  work_dir_ = options_.work_dir;
  std::error_code ec;
  std::filesystem::create_directories(work_dir_, ec);
  if (ec) return UnavailableError("cannot create " + work_dir_ + ": " + ec.message());
  return OkStatus();
}

void Run::BuildRooms() {
  const std::string timing_path = config_.bridge.command.empty() ? work_dir_ + "/timing.jsonl" : "";
  receipts_ = std::make_unique<Receipts>(ConsumerNames(config_.harness.consumers), timing_path,
                                         /*record_observed=*/config_.harness.nats.cluster > 1);
  // As before the split: receipts go unrecorded when events.jsonl cannot be written.
  (void)receipts_->OpenEventsFile(work_dir_ + "/events.jsonl");
  auto pump = [this](milliseconds wait) { Pump(wait); };
  RigContext context{&config_, &options_, work_dir_, timing_path, interrupted_, pump};
  rig_ = std::make_unique<Rig>(std::move(context), clock_, log_, &findings_);
  faults_ = std::make_unique<FaultDriver>(config_, *rig_, clock_, &findings_, interrupted_, pump);
}

Status Run::StartAll(int* exit_code) {
  *exit_code = kExitInfra;
  LNSIM_RETURN_IF_ERROR(rig_->StartNats());
  if (Status s = rig_->StartProxies(); !s.ok()) {
    *exit_code = StartFailureCode(s);
    return s;
  }
  if (Status s = rig_->StartMock(); !s.ok()) {
    *exit_code = StartFailureCode(s);
    return s;
  }
  rig_->mock().WithWorld([&](sim::World& w, mock::MockState&) {
    receipts_->StartDecoding(w.cluster(), rig_->epoch_unix_ns());
  });
  *exit_code = kExitInfra;
  // Core NATS keeps nothing: its subscribers must be there before the bridge's first publish,
  // or the events right after the baseline are lost to the harness, not to the pipeline.
  // JetStream consumers bind to the stream the bridge creates, so they start after it.
  if (Status s = rig_->StartSubjectWatch(); !s.ok()) {
    log_ << "no setup hints on subjects: " << s.message() << "\n";
  }
  if (!config_.jetstream) LNSIM_RETURN_IF_ERROR(rig_->StartConsumers());
  bridge_started_ns_ = rig_->WorldNow().count();
  if (Status s = rig_->StartBridge(); !s.ok()) return s.WithPrefix("bridge");
  baseline_ns_ = rig_->WorldNow().count();
  if (config_.jetstream) LNSIM_RETURN_IF_ERROR(rig_->StartConsumers());
  return rig_->StartRogues();
}

RunOutcome Run::Execute() {
  RunOutcome out;
  auto fail = [&](int code, const Status& s) {
    out.exit_code = code;
    out.error = s.message();
    out.work_dir = work_dir_;
    return out;
  };
  auto config = ConfigureRun(options_);
  if (!config.ok()) return fail(kExitUsage, config.status());
  config_ = std::move(config).value();
  PrintScenarioWarnings(config_.scenario, "", log_);  // before anything starts
  if (Status s = PrepareWorkDir(); !s.ok()) return fail(kExitInfra, s);
  BuildRooms();
  if (options_.progress)
    progress_ = std::make_unique<ProgressPrinter>(std::cerr, options_.progress_live);

  log_ << "lnsim run " << options_.scenario_path << "  seed " << config_.seed << "  "
       << (config_.jetstream ? "JetStream" : "core NATS") << "  "
       << config_.harness.consumers.size() << " consumer(s)\n";
  int start_exit_code = kExitInfra;
  if (Status s = StartAll(&start_exit_code); !s.ok()) {
    if (!Interrupted()) return fail(start_exit_code, s);
    out.interrupted = true;  // whatever failed, the stop came first: no verdict, say so
    return fail(kExitInterrupted, CancelledError("interrupted during start-up, before the run"));
  }
  log_ << "bridge ready (" << rig_->readiness() << ") at world time "
       << FormatDurationHuman(Duration(baseline_ns_)) << "; running "
       << FormatDurationHuman(rig_->run_length()) << " of world time, then draining (up to "
       << FormatDurationHuman(config_.harness.drain) << ")\n";

  bool interrupted = !RunPhase();
  if (interrupted) NoteInterrupt("during the run phase");
  PrintProgress(ProgressPhase::kWorld, interrupted ? PhaseState::kInterrupted : PhaseState::kDone);
  // Faults whose window outlives the run end now, so the drain sees a healthy pipeline.
  faults_->EndOutstanding();
  faults_->JoinClusterRestarts(/*wait=*/true);
  const bool drained = !interrupted && DrainPhase(&interrupted);
  if (interrupted && interrupt_note_.empty()) NoteInterrupt("during the drain");
  if (drain_started_) {
    PrintProgress(ProgressPhase::kDrain, drained       ? PhaseState::kDone
                                         : interrupted ? PhaseState::kInterrupted
                                                       : PhaseState::kExpired);
  }
  if (!drained && !interrupted) {
    log_ << "drain expired after " << FormatDurationHuman(config_.harness.drain)
         << " with consumers behind the bridge\n";
  }
  Shutdown();
  // Last receipts that were queued while stopping.
  Pump(milliseconds(0));
  return Finish(interrupted);
}

bool Run::RunPhase() {
  // The world moves; harness faults fire on the timeline.
  while (clock_.Now() - rig_->t0() < rig_->run_length()) {
    if (Interrupted()) return false;
    faults_->Tick(rig_->WorldNow(), rig_->windows());
    Pump(milliseconds(20));
    PrintProgress(ProgressPhase::kWorld, PhaseState::kRunning);
  }
  return true;
}

bool Run::DrainPhase(bool* interrupted) {
  // The world stands still; wait until every consumer has what the bridge published and nothing
  // new has arrived for a few poll intervals, or `drain` expires.
  const BridgeSpec& bridge = config_.bridge;
  const Duration drain_start = clock_.Now();
  drain_started_ = true;
  drain_start_ns_ = drain_start.count();
  const Duration quiet = std::max<Duration>(3 * bridge.options.poll_interval, milliseconds(300));
  const Duration min_drain = 2 * bridge.options.poll_interval + milliseconds(200);
  // lnsim's bridge counts its polls (/metrics): the final state is surely seen once a poll that
  // started after the world froze has completed, whatever a poll of a large cluster takes.
  const std::optional<uint64_t> polls_at_freeze = rig_->probe().Polls(rig_->MetricsPort());
  int64_t last_polls_check_ns = 0;
  int64_t last_outstanding_check_ns = 0;
  bool final_poll_done = !polls_at_freeze.has_value();
  while (true) {
    if (Interrupted()) {
      *interrupted = true;
      return false;
    }
    Pump(milliseconds(20));
    PrintProgress(ProgressPhase::kDrain, PhaseState::kRunning);
    const Duration now = clock_.Now();
    const Duration since_start = now - drain_start;
    if (since_start > config_.harness.drain) return false;
    if (since_start < std::max(min_drain, quiet)) continue;
    if (!final_poll_done && now.count() - last_polls_check_ns >= 200'000'000) {
      // A bounded status query of the bridge, not a sleep: Pump above waits for deliveries.
      last_polls_check_ns = now.count();
      const std::optional<uint64_t> polls = rig_->probe().Polls(rig_->MetricsPort());
      final_poll_done = !polls.has_value() || *polls >= *polls_at_freeze + 2;
      if (final_poll_done) last_delivery_real_ns_ = std::max(last_delivery_real_ns_, now.count());
    }
    if (!final_poll_done) continue;
    const int64_t last = std::max(last_delivery_real_ns_, drain_start.count());
    if (now.count() - last < quiet.count()) continue;
    if (CaughtUp(now, &last_outstanding_check_ns)) return true;
  }
}

bool Run::CaughtUp(Duration now, int64_t* last_outstanding_check_ns) {
  if (!config_.jetstream || !config_.bridge.command.empty()) return true;
  const uint64_t published = receipts_->timing().published_unique();
  for (const auto& c : rig_->consumers()) {
    if (c && c->stats().processed < published) return false;
  }
  // Consumers having all the bridge had acknowledged is not enough while the bridge still
  // retries publishes (a stream without a leader after a cluster fault): wait for those too.
  if (now.count() - *last_outstanding_check_ns < 200'000'000) return false;  // asked again soon
  *last_outstanding_check_ns = now.count();
  outstanding_ = rig_->probe().Outstanding(rig_->MetricsPort());
  return !outstanding_.has_value() || *outstanding_ == 0;
}

void Run::Pump(milliseconds wait) {
  batch_.clear();
  rig_->queue().PopAll(&batch_, wait);
  receipts_->FollowTiming();
  if (batch_.empty()) return;
  last_delivery_real_ns_ = clock_.Now().count();
  rig_->mock().WithWorld([&](sim::World&, mock::MockState&) { receipts_->Decode(batch_); });
}

ProgressCounts Run::CurrentCounts(ProgressPhase phase) {
  ProgressCounts counts;
  uint64_t slowest = UINT64_MAX;
  for (const auto& c : rig_->consumers()) {
    if (!c) continue;
    const ConsumerStats s = c->stats();
    slowest = std::min(slowest, s.processed);
    counts.redelivered += s.redelivered;
    counts.dedup_dropped += s.dedup_dropped;
  }
  counts.slowest = slowest == UINT64_MAX ? 0 : slowest;
  counts.delivered = receipts_->delivered();
  // A team's own bridge has no timing side channel: what it published is not known.
  if (config_.bridge.command.empty()) counts.published = receipts_->timing().published_unique();
  if (phase == ProgressPhase::kWorld) {
    counts.elapsed_s = std::chrono::duration<double>(rig_->WorldNow()).count();
    counts.limit_s = std::chrono::duration<double>(rig_->run_length()).count();
  } else {
    counts.elapsed_s = static_cast<double>(clock_.Now().count() - drain_start_ns_) / 1e9;
    counts.limit_s = std::chrono::duration<double>(config_.harness.drain).count();
    counts.outstanding = outstanding_;
  }
  return counts;
}

void Run::PrintProgress(ProgressPhase phase, PhaseState state) {
  if (!progress_) return;
  if (state == PhaseState::kRunning) {
    progress_->Update(phase, CurrentCounts(phase), clock_.Now().count());
  } else {
    progress_->End(phase, CurrentCounts(phase), state);
  }
}

void Run::Shutdown() {
  if (shut_down_ || !rig_) return;
  shut_down_ = true;
  rig_->StopRogues();
  rig_->StopConsumers();
  if (rig_->cluster()) bridge_nats_errors_ = rig_->probe().NatsErrors(rig_->MetricsPort());
  faults_->Finish();
  rig_->StopAll();  // the bridge, then the mock, the proxies and NATS
}

void Run::Verify(ReportInputs* in) {
  const BridgeSpec& bridge = config_.bridge;
  VerifierOptions verifier_options;
  verifier_options.observation_bound_ns =
      2 * (bridge.options.poll_interval + bridge.options.request_timeout).count();
  verifier_options.baseline_ns = baseline_ns_;
  verifier_options.baseline_window_start_ns = bridge_started_ns_;
  verifier_options.pool_low_threshold_percent = bridge.options.pool_low_threshold_percent;
  verifier_options.expected_events = receipts_->delivered();
  for (const std::string& name : config_.harness.unjudged) {
    for (int k = 1; k < kChannelKindCount; ++k) {
      if (ChannelKindName(static_cast<ChannelKind>(k)) == name) verifier_options.judged[k] = false;
    }
  }
  // World-executed faults are marked fired when they happen: read the windows as they are now.
  rig_->mock().WithWorld([&](sim::World& w, mock::MockState&) {
    verifier_options.faults =
        VerifierFaultWindows(w.fault_windows(), in->cluster_faults, rig_->run_length());
  });
  const std::vector<ConsumerSpec>& consumers = config_.harness.consumers;
  Verifier verifier(verifier_options, static_cast<uint32_t>(consumers.size()));
  verifier.AddInitialState(rig_->initial_cluster());
  rig_->mock().WithWorld([&](sim::World& w, mock::MockState&) {
    verifier.AddTransitions(w.cluster(), w.trace().transitions());
    receipts_->Replay(&verifier);
    in->verdict = verifier.Finish(rig_->WorldNow().count(), &w.cluster());
    in->trace_digest = w.trace().DigestHex();
    // Domain invariants: the world's trace (world bugs) and each consumer's stream (bridge bugs).
    for (const InvariantViolation& v : CheckWorldTrace(w.cluster(), w.trace())) {
      invariant_violations_.push_back(v.ToString());
    }
    const WorldFacts facts =
        CollectWorldFacts(rig_->initial_cluster(), w.cluster(), w.trace(), rig_->epoch_unix_ns());
    const auto& streams = receipts_->streams();
    for (size_t c = 0; c < streams.size(); ++c) {
      for (const InvariantViolation& v :
           CheckDeliveredStream(streams[c], facts, consumers[c].name)) {
        invariant_violations_.push_back(v.ToString());
      }
    }
  });
  in->invariant_violations = invariant_violations_;
}

Report Run::Judge() {
  ReportInputs in;
  for (const ClusterFaultRun& c : faults_->cluster_faults()) {
    in.cluster_faults.push_back({faults_->faults()[c.fault].index, c.record, c.at_unix_ns});
  }
  Verify(&in);
  in.consumers = config_.harness.consumers;
  in.run_length = rig_->run_length();
  in.nats_cluster = config_.harness.nats.cluster;
  in.stream_replicas = config_.stream_replicas;
  in.observed_acked = receipts_->timing().observed_acked();
  in.publish_errors = bridge_nats_errors_;
  in.environment = CollectEnvironment();
  in.environment.nats_server_version = rig_->nats_version();
  in.seed = config_.seed;
  in.scenario = options_.scenario_path;
  in.command = options_.command_line;
  in.auth = rig_->auth_summary();
  in.failed_checks = findings_.failed_checks;
  in.slos = config_.harness.slos;
  in.decode_errors = receipts_->decode_errors();
  in.invalid_examples = receipts_->invalid_examples();
  const MetricsParseErrors& metrics_errors = rig_->probe().parse_errors();
  if (metrics_errors.count > 0) {
    findings_.fault_log.push_back(std::to_string(metrics_errors.count) +
                                  " samples of the bridge's /metrics could not be read (first: " +
                                  metrics_errors.first + ")");
  }
  for (std::string& line : VerdictLogLines(in)) findings_.fault_log.push_back(std::move(line));
  Report r = BuildReport(in);
  r.hints = rig_->SetupHintLines();
  for (const std::string& hint : r.hints) log_ << "hint: " << hint << "\n";
  r.judged_from_s = std::chrono::duration<double>(Duration(baseline_ns_)).count();
  r.readiness = rig_->readiness();
  r.unjudged_kinds = config_.harness.unjudged;
  if (!r.unjudged_kinds.empty()) {
    std::string kinds;
    for (const std::string& k : r.unjudged_kinds) kinds += (kinds.empty() ? "" : ", ") + k;
    log_ << "not judged (verify.unjudged): " << kinds << "\n";
  }
  log_ << "judged from " << FormatDurationHuman(Duration(baseline_ns_)) << " (bridge readiness "
       << r.readiness << "): " << r.events << " world changes owed\n";
  return r;
}

void Run::NoteInterrupt(const char* phase) {
  interrupted_at_ = rig_->WorldNow();
  interrupt_note_ = "interrupted " + std::string(phase) + " at world time " +
                    FormatDurationHuman(interrupted_at_) + " of " +
                    FormatDurationHuman(rig_->run_length()) +
                    ": no verdict (the run did not finish); counts are partial";
}

Report Run::InterruptedReport() {
  Report r;
  r.passed = false;
  r.failed_checks.push_back(interrupt_note_);
  r.totals.delivered = receipts_->delivered();
  r.duration_s = std::chrono::duration<double>(interrupted_at_).count();
  r.throughput = r.duration_s > 0 ? static_cast<double>(r.totals.delivered) / r.duration_s : 0;
  r.judged_from_s = std::chrono::duration<double>(Duration(baseline_ns_)).count();
  r.readiness = rig_->readiness();
  rig_->mock().WithWorld(
      [&](sim::World& w, mock::MockState&) { r.trace_digest = w.trace().DigestHex(); });
  r.environment = CollectEnvironment();
  r.environment.nats_server_version = rig_->nats_version();
  r.seed = config_.seed;
  r.scenario = options_.scenario_path;
  r.command = options_.command_line;
  return r;
}

RunOutcome Run::Finish(bool interrupted) {
  RunOutcome out;
  if (progress_ && !interrupted) {
    progress_->Verdict(receipts_->delivered(), config_.harness.consumers.size());
  }
  out.report = interrupted ? InterruptedReport() : Judge();
  for (const auto& line : findings_.fault_log) log_ << "  " << line << "\n";
  out.interrupted = interrupted;
  if (interrupted) {
    out.exit_code = kExitInterrupted;
    out.error = interrupt_note_;
  } else {
    out.exit_code = out.report.passed ? kExitOk : kExitFailed;
  }
  out.invariant_violations = invariant_violations_;
  receipts_->CloseEventsFile();
  // An interrupted run reproduces nothing: no bundle, even with --bundle.
  std::string bundle = interrupted ? std::string() : options_.record_dir;
  if (interrupted && !options_.record_dir.empty()) {
    log_ << "no reproduction bundle: the run was interrupted\n";
  }
  if (bundle.empty() && out.exit_code == kExitFailed && options_.record_on_failure) {
    bundle = work_dir_ + "/bundle";
  }
  if (!bundle.empty()) {
    if (Status s = WriteBundle(bundle, out.report); !s.ok()) {
      log_ << "cannot write the reproduction bundle: " << s.message() << "\n";
    } else {
      out.bundle_dir = bundle;
    }
  }
  if (temp_work_dir_ && out.exit_code == kExitOk && !options_.keep_work_dir) {
    std::error_code ec;
    std::filesystem::remove_all(work_dir_, ec);
  } else {
    out.work_dir = work_dir_;
  }
  return out;
}

Status Run::WriteBundle(const std::string& dir, const Report& report) {
  BundleManifest m;
  m.scenario_path = options_.scenario_path;
  m.seed = config_.seed;
  m.duration = options_.duration;
  m.time_scale = options_.time_scale;
  m.drain = options_.drain;
  m.jetstream = options_.jetstream;
  m.bridge_command = options_.bridge_command;
  m.trace_digest = report.trace_digest;
  m.verdict = SignatureOf(report, invariant_violations_.size());
  m.command = report.command;
  LNSIM_RETURN_IF_ERROR(WriteBundleFile(dir, "scenario.yaml", config_.scenario_text));
  LNSIM_RETURN_IF_ERROR(WriteBundleFile(dir, "run.json", ManifestToJson(m)));
  LNSIM_RETURN_IF_ERROR(WriteBundleFile(dir, "seed", std::to_string(config_.seed) + "\n"));
  std::string trace_text;
  rig_->mock().WithWorld([&](sim::World& w, mock::MockState&) {
    for (const sim::Transition& t : w.trace().transitions()) {
      trace_text += sim::RenderTransition(w.cluster(), w.trace(), t);
      trace_text += '\n';
    }
  });
  LNSIM_RETURN_IF_ERROR(WriteBundleFile(dir, "trace.txt", trace_text));
  LNSIM_RETURN_IF_ERROR(WriteBundleFile(dir, "report.json", ReportToJson(report)));
  LNSIM_RETURN_IF_ERROR(CopyIntoBundle(work_dir_ + "/bridge.log", dir, "bridge.log"));
  if (dir != work_dir_) {
    LNSIM_RETURN_IF_ERROR(CopyIntoBundle(work_dir_ + "/events.jsonl", dir, "events.jsonl"));
  }
  return OkStatus();
}

}  // namespace

RunOutcome RunScenario(const RunOptions& options, const Clock& clock, std::ostream& log,
                       const volatile bool* interrupted) {
  // Wall-clock start and duration for CI (report started_at, wall_s; JUnit time): real time,
  // whatever clock the world runs on.
  const RealClock wall;
  const int64_t started_unix_ns = wall.UnixNanos();
  const Duration started = wall.Now();
  Run run(options, clock, log, interrupted);
  RunOutcome out = run.Execute();
  StampWallClock(started_unix_ns, started, wall.Now(), &out.report);
  if (!out.bundle_dir.empty()) {
    // The bundle's report was written before the end: give it the wall clock too.
    if (Status s = WriteBundleFile(out.bundle_dir, "report.json", ReportToJson(out.report));
        !s.ok()) {
      log << "cannot update the bundle's report: " << s.message() << "\n";
    }
  }
  return out;
}

}  // namespace lnsim::harness
