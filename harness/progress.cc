// The run's progress lines; see progress.h.
#include "harness/progress.h"

#include <cstdio>
#include <string_view>

namespace lnsim::harness {
namespace {

constexpr int64_t kLiveEveryNs = 500'000'000;
constexpr int64_t kPlainEveryNs = 10'000'000'000;

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

// A limit as written: "30s", "2.5s".
std::string Limit(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%gs", s);
  return buf;
}

std::string N(uint64_t n) { return std::to_string(n); }

// Shown once there is something to show: a clean run's lines stay short.
std::string ConsumerCounts(const ProgressCounts& c) {
  std::string text;
  if (c.redelivered > 0) text += "  redelivered " + N(c.redelivered);
  if (c.dedup_dropped > 0) text += "  dedup-dropped " + N(c.dedup_dropped);
  return text;
}

std::string_view StateWord(PhaseState state) {
  switch (state) {
    case PhaseState::kRunning:
      return "";
    case PhaseState::kDone:
      return "done";
    case PhaseState::kExpired:
      return "expired";
    case PhaseState::kInterrupted:
      return "interrupted";
  }
  return "";
}

std::string WorldLine(const ProgressCounts& c, PhaseState state) {
  const std::string_view word = StateWord(state);
  const double rate = c.elapsed_s > 0 ? static_cast<double>(c.delivered) / c.elapsed_s : 0;
  char head[128];
  std::snprintf(head, sizeof head, "world   %s/%s%s%.*s  delivered %llu (%.0f/s)",
                Seconds(c.elapsed_s).c_str(), Seconds(c.limit_s).c_str(), word.empty() ? "" : " ",
                static_cast<int>(word.size()), word.data(),
                static_cast<unsigned long long>(c.delivered), rate);
  std::string line = head;
  if (c.published) {
    const uint64_t backlog = *c.published > c.slowest ? *c.published - c.slowest : 0;
    line += "  published " + N(*c.published) + "  backlog " + N(backlog);
  }
  return line + ConsumerCounts(c);
}

std::string DrainLine(const ProgressCounts& c, PhaseState state) {
  std::string line =
      state == PhaseState::kRunning
          ? "drain   " + Seconds(c.elapsed_s) + " (up to " + Limit(c.limit_s) + ")"
          : "drain   " + std::string(StateWord(state)) + " after " + Seconds(c.elapsed_s);
  line += "  delivered " + N(c.delivered);
  if (c.published) {
    line += "  slowest consumer has " + N(c.slowest) + " of " + N(*c.published) + " published";
  }
  // Caught up (or not knowable): the drain still waits for a quiet spell and the bridge's last
  // poll.
  if (state == PhaseState::kRunning && (!c.published || c.slowest >= *c.published)) {
    line += "  (waiting until nothing new arrives)";
  }
  if (c.outstanding) line += "  bridge outstanding " + N(*c.outstanding);
  return line + ConsumerCounts(c);
}

}  // namespace

std::string ProgressLine(ProgressPhase phase, const ProgressCounts& counts, PhaseState state) {
  switch (phase) {
    case ProgressPhase::kWorld:
      return WorldLine(counts, state);
    case ProgressPhase::kDrain:
      return DrainLine(counts, state);
    case ProgressPhase::kVerdict:
      break;
  }
  return VerdictProgressLine(counts.delivered, 0);
}

std::string VerdictProgressLine(uint64_t delivered, size_t consumers) {
  std::string line = "verdict judging " + N(delivered) + " received events";
  if (consumers > 0) {
    line += " (" + std::to_string(consumers) + (consumers == 1 ? " consumer)" : " consumers)");
  }
  return line;
}

void ProgressPrinter::Update(ProgressPhase phase, const ProgressCounts& counts, int64_t now_ns) {
  if (!phase_started_ || phase != phase_) {
    phase_started_ = true;
    phase_ = phase;
    // Plain lines start counting at the phase's start; a live line shows up at once.
    last_ns_ = live_ ? INT64_MIN : now_ns;
  }
  const int64_t every = live_ ? kLiveEveryNs : kPlainEveryNs;
  if (last_ns_ != INT64_MIN && now_ns - last_ns_ < every) return;
  last_ns_ = now_ns;
  Emit(ProgressLine(phase, counts, PhaseState::kRunning), /*final=*/false);
}

void ProgressPrinter::End(ProgressPhase phase, const ProgressCounts& counts, PhaseState state) {
  phase_started_ = false;
  Emit(ProgressLine(phase, counts, state), /*final=*/true);
}

void ProgressPrinter::Verdict(uint64_t delivered, size_t consumers) {
  phase_started_ = false;
  Emit(VerdictProgressLine(delivered, consumers), /*final=*/true);
}

void ProgressPrinter::Emit(const std::string& line, bool final) {
  if (live_) {
    // Carriage return and erase-to-end-of-line: the phase's line is rewritten in place.
    out_ << "\r\x1b[K  " << line;
    if (final) out_ << "\n";
  } else {
    out_ << "  " << line << "\n";
  }
  out_ << std::flush;
}

}  // namespace lnsim::harness
