// Self-contained HTML pages for `lnsim run --html` and `lnsim sweep`: one file, no scripts, no
// network, plots as inline SVG. The page is well-formed XML (XHTML-style: every element closed,
// attributes quoted, text escaped) so tests can check its structure and any browser renders it.
//
// Plots:
//  - latency vs load (sweep): p50 and p99 end to end per probed load, one colour per setting,
//    failing probes hollow, the knee (highest load meeting the SLOs) marked by a dashed line;
//  - latency over time (one run): every stage (observe, publish, deliver, end_to_end) of the
//    matched events the report counts (Report::samples, from the verifier; bounded, see
//    StageSamples), with the run's fault windows shaded and a legend. A report without samples
//    (hand-built) plots the publish stage from the bridge's timing side channel instead;
//  - percentile spectrum (one run): p50..max of each stage from the report, plus the full
//    spectrum of the publish stage from the timing samples.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "harness/report.h"

namespace lnsim::harness {

// One event from the bridge's timing side channel, on the run's world time axis.
struct TimingSample {
  double t_s = 0;         // observed, seconds since world t = 0
  double publish_ms = 0;  // observed -> acked
};

// Reads the bridge's timing JSONL (`{"observed_unix_ns":..,"acked_unix_ns":..,"duplicate":..}`
// per line) and places each first publish on the world time axis whose t = 0 is
// `origin_unix_ns`. Republished duplicates and unparsable lines are skipped. kNotFound naming the
// file when it cannot be opened.
StatusOr<std::vector<TimingSample>> ReadTimingSamples(const std::string& path,
                                                      int64_t origin_unix_ns);

// A clock that forwards to another and remembers its first wall-clock reading. `lnsim run` reads
// the wall clock first when it fixes world t = 0 (the mock's epoch), so that reading is the
// origin of the timing samples (exact with the embedded nats-server; with `--nats` the run reads
// it a few milliseconds earlier to name its stream, which shifts the plot by that much).
class OriginRecordingClock final : public ClockWrapper {
 public:
  explicit OriginRecordingClock(const Clock& base) : ClockWrapper(base) {}
  int64_t UnixNanos() const override;
  // 0 until the first UnixNanos() call.
  int64_t origin_unix_ns() const { return origin_.load(std::memory_order_acquire); }

 private:
  mutable std::atomic<int64_t> origin_{0};
};

// One probed load of a sweep.
struct LoadPoint {
  double load = 0;  // operations per second (see docs/capacity.md)
  double p50_ms = 0;
  double p99_ms = 0;
  bool passed = false;
};

// The probes of one setting of a sweep ("volumes=800"), with its knee.
struct LoadCurve {
  std::string label;
  std::vector<LoadPoint> points;
  std::optional<double> knee;  // highest load that met the SLOs
};

struct HtmlPage {
  std::string title;
  std::vector<std::pair<std::string, std::string>> summary;  // key, value rows at the top
  std::vector<std::string> notes;                            // paragraphs under the summary
  std::vector<LoadCurve> curves;                             // empty: no latency-vs-load plot
  std::string load_unit = "ops/s";
  // The run shown in the time and spectrum plots (a sweep shows its knee probe).
  std::optional<Report> run;
  std::string run_caption;
  std::vector<TimingSample> timing;
  // Extra tables (e.g. the sweep's knee table): a header row then data rows.
  std::vector<std::vector<std::string>> table;
};

// The whole page. Deterministic for a given input.
std::string RenderHtmlPage(const HtmlPage& page);

// A page for one `lnsim run`: its verdict, counters, latency table, SLOs and the two run plots.
HtmlPage RunPage(const Report& report, std::vector<TimingSample> timing);

// Escapes & < > " ' for text and attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace lnsim::harness
