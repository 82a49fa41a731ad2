// The human table printed at the end of `lnsim run` (see report.h): the verifier's counters under
// their JSON names (docs/report.md), the sum they form, a legend printed once, then latency,
// world changes, faults and SLOs.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "harness/explain.h"
#include "harness/report.h"

namespace lnsim::harness {
namespace {

double Round3(double v) { return std::round(v * 1e3) / 1e3; }

// "123ms", or "-" when not measured.
std::string OptionalMsText(const std::optional<double>& v) {
  return v ? std::to_string(static_cast<int64_t>(std::llround(*v))) + "ms" : std::string("-");
}

// One column: its header and the counter it shows; `sign` is printed before it (" = ", " + ").
struct Column {
  std::string_view header;
  std::string_view sign;
  int64_t (*value)(const VerdictCounters&);
};

template <uint64_t VerdictCounters::*F>
int64_t Field(const VerdictCounters& c) {
  return static_cast<int64_t>(c.*F);
}

// What arrived and how it adds up: delivered = matched + unjudged + other; coalesced beside it.
const Column kSumColumns[] = {
    {"delivered", "", &Field<&VerdictCounters::delivered>},
    {"matched", " = ", &Field<&VerdictCounters::matched>},
    {"unjudged", " + ", &Field<&VerdictCounters::unjudged>},
    {"other", " + ", &OtherReceipts},
    {"coalesced", "    ", &Field<&VerdictCounters::coalesced>},
};
// What went wrong (the verdict counters the SLOs gate, and redelivered, reported apart).
const Column kFindingColumns[] = {
    {"lost", "", &Field<&VerdictCounters::lost>},
    {"duplicated", "  ", &Field<&VerdictCounters::duplicated>},
    {"redelivered", "  ", &Field<&VerdictCounters::redelivered>},
    {"reordered", "  ", &Field<&VerdictCounters::reordered>},
    {"phantom", "  ", &Field<&VerdictCounters::phantom>},
    {"late", "  ", &Field<&VerdictCounters::late>},
};
// Documented promises a bridge broke (docs/report.md), gated at 0 by default: a third table, so
// that each table stays within 80 columns.
const Column kPromiseColumns[] = {
    {"misordered", "", &Field<&VerdictCounters::misordered>},
    {"sequence_gaps", "  ", &Field<&VerdictCounters::sequence_gaps>},
    {"invalid", "  ", &Field<&VerdictCounters::invalid>},
};

constexpr int kMinValueWidth = 4;

template <size_t N>
void PrintCounterTable(const Report& r, const Column (&columns)[N], int name_width, bool findings,
                       std::ostream& out) {
  auto width = [](const Column& c) {
    return std::max(kMinValueWidth, static_cast<int>(c.header.size()));
  };
  out << std::left << std::setw(name_width) << "consumer" << std::right;
  for (const Column& c : columns) {
    out << std::string(c.sign.size(), ' ') << std::setw(width(c)) << c.header;
  }
  out << "\n";
  auto row = [&](const std::string& name, const VerdictCounters& counters, bool converged) {
    out << std::left << std::setw(name_width) << name << std::right;
    for (const Column& c : columns) out << c.sign << std::setw(width(c)) << c.value(counters);
    out << (findings && !converged ? "  NOT CONVERGED" : "") << "\n";
  };
  for (const ConsumerVerdict& c : r.per_consumer) {
    row(c.name + " (" + c.mode + ")", c.counters, c.converged);
  }
  row("total", r.totals, true);
}

void PrintVerdictRows(const Report& r, std::ostream& out) {
  int name_width = 10;
  for (const ConsumerVerdict& c : r.per_consumer) {
    name_width = std::max(name_width, static_cast<int>(c.name.size() + c.mode.size() + 5));
  }
  PrintCounterTable(r, kSumColumns, name_width, /*findings=*/false, out);
  out << "\n";
  PrintCounterTable(r, kFindingColumns, name_width, /*findings=*/true, out);
  out << "\n";
  PrintCounterTable(r, kPromiseColumns, name_width, /*findings=*/false, out);
}

void PrintLegend(std::ostream& out) {
  out << "\nlegend (counted per consumer; total is the sum)\n";
  size_t width = 0;  // the longest name and one space: "sequence_gaps "
  for (const CounterMeaning& m : CounterLegend()) width = std::max(width, m.name.size() + 1);
  for (const CounterMeaning& m : CounterLegend()) {
    out << "  " << std::left << std::setw(static_cast<int>(width)) << m.name << std::right;
    std::string_view text = m.meaning;
    for (size_t nl; (nl = text.find('\n')) != std::string_view::npos; text.remove_prefix(nl + 1)) {
      out << text.substr(0, nl) << "\n" << std::string(2 + width, ' ');
    }
    out << text << "\n";
  }
}

void PrintWorldChanges(const Report& r, std::ostream& out) {
  char rate[64];
  std::snprintf(rate, sizeof(rate), "%.1f", r.throughput);
  out << "\nworld changes " << r.events
      << ": what a perfect bridge owed each consumer; each one reached it in a matched\n"
         "  event or counts in lost (values that held for the observation bound; creations and\n"
         "  deletions are not world changes, their events are among matched)\n"
      << "throughput " << rate << " delivered events/s over " << Round3(r.duration_s)
      << " s of world time\n"
      << JudgedFromText(r) << "\n";
}

void PrintLatencyRows(const Report& r, std::ostream& out) {
  out << "\nlatency ms, over the " << r.totals.matched << " matched events\n"
      << std::left << std::setw(14) << "stage" << std::right << std::setw(10) << "p50"
      << std::setw(10) << "p90" << std::setw(10) << "p99" << std::setw(10) << "p99.9"
      << std::setw(10) << "max" << std::setw(10) << "count"
      << "\n";
  for (int i = 0; i < kStageCount; ++i) {
    const Stage stage = static_cast<Stage>(i);
    const StageSummary& s = r.stage(stage);
    out << std::left << std::setw(14) << StageName(stage) << std::right;
    if (s.count == 0) {
      out << "  " << kNotMeasured << " (no samples: the bridge or the run did not report it)\n";
      continue;
    }
    for (uint64_t ns : {s.p50_ns, s.p90_ns, s.p99_ns, s.p999_ns, s.max_ns}) {
      out << std::setw(10) << StageMsText(s, ns);
    }
    out << std::setw(10) << s.count << "\n";
  }
}

void PrintFaultRows(const Report& r, std::ostream& out) {
  if (r.faults.empty()) return;
  out << "\nfaults\n";
  for (const FaultWindow& f : r.faults) {
    out << "  " << f.kind << " " << f.target << " [" << Round3(f.start_ms / 1e3) << "s, "
        << Round3(f.end_ms / 1e3) << "s)  detect " << OptionalMsText(f.detect_ms) << "  recover "
        << OptionalMsText(f.recover_ms) << "  drain " << OptionalMsText(f.drain_ms)
        << "  events in window " << f.events_in_window << "\n";
  }
}

void PrintClusterRows(const ClusterSummary& cluster, std::ostream& out) {
  out << "\nnats cluster: " << cluster.size << " members, stream R" << cluster.replicas << "\n";
  for (const ClusterFault& f : cluster.faults) {
    out << "  " << f.fault << " " << f.member << (f.was_leader ? " (stream leader)" : "") << " at "
        << Round3(f.at_ms / 1e3) << "s  election " << OptionalMsText(f.election_ms)
        << (f.new_leader.empty() ? "" : " -> " + f.new_leader) << "  first ack after "
        << OptionalMsText(f.first_ack_ms) << "\n";
  }
  out << "  bridge publish errors:";
  if (cluster.publish_errors.empty()) out << " none";
  for (const auto& [kind, n] : cluster.publish_errors) out << " " << kind << " " << n;
  out << "\n";
}

void PrintAuthRows(const AuthSummary& auth, std::ostream& out) {
  out << "\nnats auth: " << auth.mode << "  rogue attempts " << auth.attempts << "  denied "
      << auth.denials << "\n";
  for (const RogueResult& g : auth.rogues) {
    out << "  " << g.name << " (" << g.creds << " creds): " << g.attempts << " attempts, "
        << g.denials << " denied\n";
  }
}

// Up to kMaxExamplesPerCounter cases per (consumer, counter), as the verifier gave them.
void PrintExampleRows(const Report& r, std::ostream& out) {
  if (r.examples.empty()) return;
  out << "\nexamples (up to " << kMaxExamplesPerCounter << " per counter and consumer)\n";
  for (const Example& e : r.examples) {
    const std::vector<std::string> lines = ExampleLines(e);
    for (size_t i = 0; i < lines.size(); ++i) out << (i == 0 ? "  " : "      ") << lines[i] << "\n";
  }
}

void PrintHintRows(const Report& r, std::ostream& out) {
  if (r.hints.empty()) return;
  out << "\nhints (setup mistakes seen)\n";
  for (const std::string& hint : r.hints) out << "  " << hint << "\n";
}

void PrintSloRows(const Report& r, std::ostream& out) {
  if (r.slos.empty() && r.failed_checks.empty()) return;
  out << "\nSLOs\n";
  for (const SloResult& s : r.slos) {
    out << "  " << (s.passed ? "pass " : "FAIL ") << s.expression << "  (measured " << s.measured
        << ")\n";
  }
  for (const std::string& check : r.failed_checks) out << "  FAIL " << check << "\n";
}

}  // namespace

int64_t OtherReceipts(const VerdictCounters& c) {
  return static_cast<int64_t>(c.delivered) - static_cast<int64_t>(c.matched) -
         static_cast<int64_t>(c.unjudged);
}

std::string DeliveredSumText(const VerdictCounters& c) {
  return "delivered " + std::to_string(c.delivered) + " = matched " + std::to_string(c.matched) +
         " + unjudged " + std::to_string(c.unjudged) + " + other " +
         std::to_string(OtherReceipts(c));
}

const std::vector<CounterMeaning>& CounterLegend() {
  static const std::vector<CounterMeaning> legend = {
      {"delivered", "events received, raw: every receipt, repeats included"},
      {"matched", "first receipts of an event id that a world change explains"},
      {"unjudged", "first receipts of a kind this run does not judge (verify.unjudged)"},
      {"other",
       "delivered - matched - unjudged: repeat receipts of an id (also in redelivered),\n"
       "first receipts whose fact the world never had (also in phantom) and messages\n"
       "that were no valid event (also in invalid): other <= redelivered + phantom + invalid"},
      {"coalesced", "world values replaced before the bridge could see them: not owed, not lost"},
      {"lost", "world changes that no event carried (or a final state never reached)"},
      {"duplicated", "events the consumer processed twice, after its dedup by event id"},
      {"redelivered",
       "repeat receipts before dedup, and first receipts JetStream marks\n"
       "redelivered (harmless with dedup; not gated by default)"},
      {"reordered",
       "events with a lower sequence than one delivered before for their key\n"
       "(a JetStream redelivery that the stream holds in order counts in redelivered)"},
      {"phantom", "events no world change explains"},
      {"late", "matched events delivered later than the observation bound (not lost)"},
      {"misordered",
       "first receipts breaking the order within one resource (docs/events.md): e.g. a\n"
       "replica's event before its resource.created or after its resource.deleted"},
      {"sequence_gaps",
       "JetStream: sequences of a partition key that never arrived below the highest\n"
       "one received (JetStream mode promises none)"},
      {"invalid",
       "messages on the event subjects that are no valid event (subject grammar of\n"
       "docs/subjects.md, envelope, format version); counted in delivered only"},
  };
  return legend;
}

void PrintReportTable(const Report& r, std::ostream& out) {
  out << "lnsim " << (r.passed ? "PASSED" : "FAILED") << "  scenario " << r.scenario << "  seed "
      << r.seed << "  trace " << r.trace_digest << "\n\n";
  PrintVerdictRows(r, out);
  PrintExampleRows(r, out);
  PrintHintRows(r, out);
  PrintLegend(out);
  PrintWorldChanges(r, out);
  PrintLatencyRows(r, out);
  PrintFaultRows(r, out);
  if (r.cluster) PrintClusterRows(*r.cluster, out);
  if (r.auth) PrintAuthRows(*r.auth, out);
  PrintSloRows(r, out);
  out << "\nreproduce: " << r.command << "\n";
}

}  // namespace lnsim::harness
