// The self-contained HTML pages of `lnsim run --html` and `lnsim sweep` (see html_report.h).
#include "harness/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/explain.h"

namespace lnsim::harness {
namespace {

constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                    "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};

std::string Num(double v, int precision = 2) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}

std::string Short(double v) {
  char buf[48];
  const double a = std::abs(v);
  if (a >= 1e6) {
    std::snprintf(buf, sizeof buf, "%gM", v / 1e6);
  } else if (a >= 1e4) {
    std::snprintf(buf, sizeof buf, "%gk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%g", v);
  }
  return buf;
}

struct Series {
  std::string label;
  std::string color;
  std::vector<std::pair<double, double>> xy;
  std::vector<bool> hollow;  // per point; empty = all filled
  bool line = true;
  bool markers = true;
  double marker_radius = 3.5;
  bool dashed = false;
  std::string css_class;  // on every marker (the DOM checks of scripts/check-html count them)
};

struct Plot {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;
  bool log_y = false;
  bool nines_x = false;  // x is a quantile q in [0.5, 1): plotted as -log10(1 - q)
  std::vector<Series> series;
  std::vector<std::pair<double, double>> shaded;        // x ranges
  std::vector<std::pair<double, std::string>> markers;  // vertical dashed lines with labels
  std::vector<std::pair<double, std::string>> x_ticks;  // explicit ticks (else automatic)
};

std::vector<double> NiceTicks(double lo, double hi, int target = 6) {
  std::vector<double> ticks;
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (raw <= step) break;
  }
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  }
  return ticks;
}

std::vector<double> LogTicks(double lo, double hi) {
  std::vector<double> ticks;
  // Over more than four decades, 1-2-5 ticks crowd the axis: powers of ten only.
  const bool decades_only = hi > lo * 1e4;
  for (double d = std::pow(10.0, std::floor(std::log10(lo))); d <= hi * 1.0001; d *= 10) {
    for (double m : {1.0, 2.0, 5.0}) {
      if (decades_only && m != 1.0) continue;
      const double t = d * m;
      if (t >= lo * 0.9999 && t <= hi * 1.0001) ticks.push_back(t);
    }
  }
  return ticks;
}

// One plot drawn into an SVG: the data ranges and the data -> pixel mapping, then each layer.
class SvgPlot {
 public:
  static constexpr double kWidth = 760, kHeight = 320;
  static constexpr double kLeft = 70, kRight = 150, kTop = 30, kBottom = 50;
  static constexpr double kPlotWidth = kWidth - kLeft - kRight;
  static constexpr double kPlotHeight = kHeight - kTop - kBottom;

  explicit SvgPlot(const Plot& plot) : plot_(plot) { ComputeRanges(); }

  std::string Render() {
    Frame();
    Axes();
    for (const Series& s : plot_.series) DrawSeries(s);
    Markers();
    Legend();
    o_ << "</svg>\n";
    return o_.str();
  }

 private:
  double Tx(double x) const {
    if (plot_.nines_x) return -std::log10(std::max(1e-9, 1 - x));
    return plot_.log_x ? std::log10(std::max(x, 1e-12)) : x;
  }
  double Ty(double y) const { return plot_.log_y ? std::log10(std::max(y, 1e-6)) : y; }
  double Px(double x) const { return kLeft + (Tx(x) - tx0_) / (tx1_ - tx0_) * kPlotWidth; }
  double Py(double y) const {
    return kTop + kPlotHeight - (Ty(y) - ty0_) / (ty1_ - ty0_) * kPlotHeight;
  }

  void ComputeRanges() {
    x0_ = INFINITY, x1_ = -INFINITY, y0_ = INFINITY, y1_ = -INFINITY;
    for (const Series& s : plot_.series) {
      for (auto [x, y] : s.xy) {
        x0_ = std::min(x0_, x), x1_ = std::max(x1_, x);
        y0_ = std::min(y0_, y), y1_ = std::max(y1_, y);
      }
    }
    for (auto [a, b] : plot_.shaded) x0_ = std::min(x0_, a), x1_ = std::max(x1_, b);
    for (const auto& m : plot_.markers) x0_ = std::min(x0_, m.first), x1_ = std::max(x1_, m.first);
    empty_ = !(x1_ >= x0_) || !(y1_ >= y0_);
    if (empty_) x0_ = 0, x1_ = 1, y0_ = 0, y1_ = 1;
    if (!plot_.log_y) y0_ = std::min(0.0, y0_);
    if (plot_.log_y && y0_ <= 0) y0_ = 1e-3;
    if (x1_ == x0_) x1_ = x0_ + (plot_.log_x ? x0_ : 1);
    if (y1_ == y0_) y1_ = y0_ + (plot_.log_y ? y0_ : 1);
    if (!plot_.log_y) y1_ *= 1.08;
    tx0_ = Tx(x0_), tx1_ = Tx(x1_), ty0_ = Ty(y0_), ty1_ = Ty(y1_);
  }

  // The svg element, the plot area and the shaded fault windows.
  void Frame() {
    const double pw = kPlotWidth, ph = kPlotHeight;
    o_ << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"" << kWidth
       << "\" height=\"" << kHeight << "\" viewBox=\"0 0 " << kWidth << " " << kHeight
       << "\" role=\"img\" aria-label=\"" << HtmlEscape(plot_.title) << "\">\n";
    o_ << "<title>" << HtmlEscape(plot_.title) << "</title>\n";
    o_ << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << pw << "\" height=\"" << ph
       << "\" fill=\"#fff\" stroke=\"#999\"/>\n";
    for (auto [a, b] : plot_.shaded) {
      const double xa = std::clamp(Px(a), kLeft, kLeft + pw),
                   xb = std::clamp(Px(b), kLeft, kLeft + pw);
      o_ << "<rect class=\"fault\" x=\"" << Num(xa) << "\" y=\"" << kTop << "\" width=\""
         << Num(std::max(1.0, xb - xa)) << "\" height=\"" << ph
         << "\" fill=\"#f4a582\" fill-opacity=\"0.35\"/>\n";
    }
  }

  // Grid lines, tick labels, axis labels and the title.
  void Axes() {
    const double pw = kPlotWidth, ph = kPlotHeight;
    std::vector<std::pair<double, std::string>> xt = plot_.x_ticks;
    if (xt.empty()) {
      for (double t : plot_.log_x ? LogTicks(x0_, x1_) : NiceTicks(x0_, x1_)) {
        xt.push_back({t, Short(t)});
      }
    }
    for (const auto& [t, label] : xt) {
      const double x = Px(t);
      if (x < kLeft - 0.5 || x > kLeft + pw + 0.5) continue;
      o_ << "<line x1=\"" << Num(x) << "\" y1=\"" << kTop << "\" x2=\"" << Num(x) << "\" y2=\""
         << kTop + ph << "\" stroke=\"#eee\"/>\n";
      o_ << "<text x=\"" << Num(x) << "\" y=\"" << kTop + ph + 16
         << "\" font-size=\"11\" text-anchor=\"middle\">" << HtmlEscape(label) << "</text>\n";
    }
    for (double t : plot_.log_y ? LogTicks(y0_, y1_) : NiceTicks(y0_, y1_)) {
      const double y = Py(t);
      if (y < kTop - 0.5 || y > kTop + ph + 0.5) continue;
      o_ << "<line x1=\"" << kLeft << "\" y1=\"" << Num(y) << "\" x2=\"" << kLeft + pw << "\" y2=\""
         << Num(y) << "\" stroke=\"#eee\"/>\n";
      o_ << "<text x=\"" << kLeft - 6 << "\" y=\"" << Num(y + 4)
         << "\" font-size=\"11\" text-anchor=\"end\">" << HtmlEscape(Short(t)) << "</text>\n";
    }
    o_ << "<text x=\"" << kLeft + pw / 2 << "\" y=\"" << kHeight - 12
       << "\" font-size=\"12\" text-anchor=\"middle\">" << HtmlEscape(plot_.x_label) << "</text>\n";
    o_ << "<text x=\"16\" y=\"" << kTop + ph / 2 << "\" font-size=\"12\" text-anchor=\"middle\" "
       << "transform=\"rotate(-90 16 " << kTop + ph / 2 << ")\">" << HtmlEscape(plot_.y_label)
       << "</text>\n";
    o_ << "<text x=\"" << kLeft << "\" y=\"18\" font-size=\"13\" font-weight=\"bold\">"
       << HtmlEscape(plot_.title) << "</text>\n";
    if (empty_) {
      o_ << "<text x=\"" << kLeft + pw / 2 << "\" y=\"" << kTop + ph / 2
         << "\" font-size=\"13\" text-anchor=\"middle\" fill=\"#888\">no samples</text>\n";
    }
  }

  void DrawSeries(const Series& s) {
    if (s.line && s.xy.size() > 1) {
      o_ << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"1.5\""
         << (s.dashed ? " stroke-dasharray=\"4 3\"" : "") << " points=\"";
      for (auto [x, y] : s.xy) o_ << Num(Px(x)) << "," << Num(Py(y)) << " ";
      o_ << "\"/>\n";
    }
    if (!s.markers) return;
    for (size_t i = 0; i < s.xy.size(); ++i) {
      const bool hollow = i < s.hollow.size() && s.hollow[i];
      o_ << "<circle cx=\"" << Num(Px(s.xy[i].first)) << "\" cy=\"" << Num(Py(s.xy[i].second))
         << "\" r=\"" << s.marker_radius << "\""
         << (s.css_class.empty() ? "" : " class=\"" + s.css_class + "\"") << " fill=\""
         << (hollow ? "#fff" : s.color) << "\" stroke=\"" << s.color << "\"/>\n";
    }
  }

  // Vertical marker lines (knees), labelled bottom up so labels stay clear of legend and curves.
  void Markers() {
    const double pw = kPlotWidth, ph = kPlotHeight;
    double label_y = kTop + ph - 6;
    for (const auto& [x, label] : plot_.markers) {
      o_ << "<line class=\"knee\" x1=\"" << Num(Px(x)) << "\" y1=\"" << kTop << "\" x2=\""
         << Num(Px(x)) << "\" y2=\"" << kTop + ph
         << "\" stroke=\"#333\" stroke-dasharray=\"6 4\"/>\n";
      const bool right_half = Px(x) > kLeft + pw / 2;
      o_ << "<text x=\"" << Num(Px(x) + (right_half ? -4 : 4)) << "\" y=\"" << Num(label_y)
         << "\" font-size=\"11\" text-anchor=\"" << (right_half ? "end" : "start") << "\">"
         << HtmlEscape(label) << "</text>\n";
      label_y -= 14;
    }
  }

  // The legend on the right.
  void Legend() {
    const double pw = kPlotWidth;
    double ly = kTop + 10;
    for (const Series& s : plot_.series) {
      if (s.label.empty()) continue;
      if (s.line) {
        o_ << "<line x1=\"" << kLeft + pw + 10 << "\" y1=\"" << ly << "\" x2=\"" << kLeft + pw + 28
           << "\" y2=\"" << ly << "\" stroke=\"" << s.color << "\" stroke-width=\"2\""
           << (s.dashed ? " stroke-dasharray=\"4 3\"" : "") << "/>\n";
      } else {  // dots only: a dot
        o_ << "<circle cx=\"" << kLeft + pw + 19 << "\" cy=\"" << ly << "\" r=\"4\" fill=\""
           << s.color << "\"/>\n";
      }
      o_ << "<text x=\"" << kLeft + pw + 32 << "\" y=\"" << ly + 4 << "\" font-size=\"11\">"
         << HtmlEscape(s.label) << "</text>\n";
      ly += 16;
    }
    if (!plot_.shaded.empty()) {
      o_ << "<rect x=\"" << kLeft + pw + 10 << "\" y=\"" << ly - 6
         << "\" width=\"18\" height=\"10\" fill=\"#f4a582\" fill-opacity=\"0.35\"/>\n";
      o_ << "<text x=\"" << kLeft + pw + 32 << "\" y=\"" << ly + 4
         << "\" font-size=\"11\">fault window</text>\n";
    }
  }

  const Plot& plot_;
  double x0_ = 0, x1_ = 0, y0_ = 0, y1_ = 0;      // data ranges
  double tx0_ = 0, tx1_ = 0, ty0_ = 0, ty1_ = 0;  // the ranges, transformed (log, nines)
  bool empty_ = false;
  std::ostringstream o_;
};

std::string RenderSvg(const Plot& plot) { return SvgPlot(plot).Render(); }

std::string LatencyVsLoadSvg(const HtmlPage& page) {
  Plot plot;
  plot.title = "End-to-end latency vs load (filled: met the SLOs, hollow: failed)";
  plot.x_label = "load (" + page.load_unit + ", log scale)";
  plot.y_label = "latency (ms, log scale)";
  plot.log_x = true;
  plot.log_y = true;
  for (size_t i = 0; i < page.curves.size(); ++i) {
    const LoadCurve& c = page.curves[i];
    std::vector<LoadPoint> pts = c.points;
    std::sort(pts.begin(), pts.end(), [](const auto& a, const auto& b) { return a.load < b.load; });
    Series p50{c.label + " p50", kPalette[(2 * i) % 8], {}, {}, true, true, 3, true};
    Series p99{c.label + " p99", kPalette[(2 * i + 1) % 8], {}, {}, true, true, 3.5, false};
    for (const LoadPoint& p : pts) {
      p50.xy.push_back({p.load, std::max(p.p50_ms, 1e-3)});
      p99.xy.push_back({p.load, std::max(p.p99_ms, 1e-3)});
      p50.hollow.push_back(!p.passed);
      p99.hollow.push_back(!p.passed);
    }
    plot.series.push_back(std::move(p50));
    plot.series.push_back(std::move(p99));
    if (c.knee) plot.markers.push_back({*c.knee, "knee " + c.label + ": " + Short(*c.knee)});
  }
  return RenderSvg(plot);
}

// The over-time plot's log axis starts here: shorter latencies are drawn on it.
constexpr double kOverTimeFloorMs = 0.1;

// Stage colours: the same in the over-time plot and the spectrum.
const char* StageColor(int stage) { return kPalette[stage % 8]; }

void ShadeFaults(const HtmlPage& page, Plot* plot) {
  if (!page.run) return;
  for (const FaultWindow& f : page.run->faults) {
    plot->shaded.push_back({f.start_ms / 1000.0, std::max(f.end_ms, f.start_ms) / 1000.0});
  }
}

// Every stage of the matched events the report counts (the verifier's samples), one colour per
// stage; the legend says how many events each stage plotted.
std::string StageLatencyOverTimeSvg(const Report& run, const HtmlPage& page) {
  Plot plot;
  plot.title = "Latency over time, every stage (per matched event)";
  plot.x_label = "world time of the change (s)";
  plot.y_label = "latency (ms, log scale)";
  plot.log_y = true;
  for (int s = 0; s < kStageCount; ++s) {
    const StageSamples& samples = run.samples[s];
    const std::string name(StageName(static_cast<Stage>(s)));
    Series dots{name, StageColor(s), {}, {}, false, true, 1.6, false, "pt stage-" + name};
    for (const LatencyPoint& p : samples.points) {
      dots.xy.push_back({p.t_s, std::max(kOverTimeFloorMs, static_cast<double>(p.ms))});
    }
    dots.label += samples.points.size() == samples.total
                      ? " (" + std::to_string(samples.total) + ")"
                      : " (" + std::to_string(samples.points.size()) + " of " +
                            std::to_string(samples.total) + ")";
    plot.series.push_back(std::move(dots));
  }
  ShadeFaults(page, &plot);
  return RenderSvg(plot);
}

std::string LatencyOverTimeSvg(const HtmlPage& page) {
  if (page.run && page.run->samples_recorded) return StageLatencyOverTimeSvg(*page.run, page);
  Plot plot;
  plot.title = "Publish latency over time (bridge observed -> acked, per event)";
  plot.x_label = "world time (s)";
  plot.y_label = "publish latency (ms)";
  std::vector<TimingSample> samples = page.timing;
  std::sort(samples.begin(), samples.end(),
            [](const auto& a, const auto& b) { return a.t_s < b.t_s; });
  if (samples.size() <= 3000) {
    Series dots{"event", "#9ecae1", {}, {}, false, true, 1.6, false};
    for (const auto& s : samples) dots.xy.push_back({s.t_s, s.publish_ms});
    plot.series.push_back(std::move(dots));
  }
  if (!samples.empty()) {
    // Median and max per time bin.
    const double t0 = samples.front().t_s, t1 = samples.back().t_s;
    const int bins = std::clamp(static_cast<int>(samples.size() / 10), 1, 200);
    const double width = std::max(1e-6, (t1 - t0) / bins);
    Series median{"median per bin", "#1f77b4", {}, {}, true, false, 0, false};
    Series max{"max per bin", "#d62728", {}, {}, true, false, 0, false};
    size_t i = 0;
    for (int b = 0; b < bins && i < samples.size(); ++b) {
      const double end = b == bins - 1 ? t1 + 1 : t0 + (b + 1) * width;
      std::vector<double> v;
      while (i < samples.size() && samples[i].t_s < end) v.push_back(samples[i++].publish_ms);
      if (v.empty()) continue;
      std::sort(v.begin(), v.end());
      const double mid = t0 + (b + 0.5) * width;
      median.xy.push_back({mid, v[v.size() / 2]});
      max.xy.push_back({mid, v.back()});
    }
    plot.series.push_back(std::move(median));
    plot.series.push_back(std::move(max));
  }
  ShadeFaults(page, &plot);
  return RenderSvg(plot);
}

std::string SpectrumSvg(const HtmlPage& page) {
  Plot plot;
  plot.title = "Percentile spectrum";
  plot.x_label = "percentile";
  plot.y_label = "latency (ms, log scale)";
  plot.nines_x = true;
  plot.log_y = true;
  const double kMaxQ = 0.9999;  // where "max" is drawn
  plot.x_ticks = {{0.5, "50%"}, {0.9, "90%"}, {0.99, "99%"}, {0.999, "99.9%"}, {kMaxQ, "max"}};
  if (page.run) {
    for (int s = 0; s < kStageCount; ++s) {
      const StageSummary& st = page.run->latency[s];
      Series line{std::string(StageName(static_cast<Stage>(s))),
                  StageColor(s),
                  {},
                  {},
                  true,
                  true,
                  3,
                  false};
      if (st.count == 0) continue;
      const uint64_t v[] = {st.p50_ns, st.p90_ns, st.p99_ns, st.p999_ns, st.max_ns};
      const double q[] = {0.5, 0.9, 0.99, 0.999, kMaxQ};
      for (int i = 0; i < 5; ++i) line.xy.push_back({q[i], std::max(1e-3, v[i] / 1e6)});
      plot.series.push_back(std::move(line));
    }
  }
  if (page.timing.size() >= 10) {
    std::vector<double> v;
    for (const auto& s : page.timing) v.push_back(s.publish_ms);
    std::sort(v.begin(), v.end());
    Series fine{"publish (all samples)", "#7f7f7f", {}, {}, true, false, 0, true};
    for (double q = 0.5; q < kMaxQ; q = 1 - (1 - q) / 1.25) {
      const size_t idx = std::min(v.size() - 1, static_cast<size_t>(q * v.size()));
      fine.xy.push_back({q, std::max(1e-3, v[idx])});
    }
    fine.xy.push_back({kMaxQ, std::max(1e-3, v.back())});
    plot.series.push_back(std::move(fine));
  }
  return RenderSvg(plot);
}

std::string OverTimeNote(const HtmlPage& page) {
  if (!page.run || !page.run->samples_recorded) {
    return "Each dot is one event's publish stage from the bridge's timing side channel; shaded: "
           "the scenario's fault windows. End-to-end percentiles are in the table and the "
           "spectrum.";
  }
  std::string note =
      "Each dot is one matched event at one stage (observe, publish, deliver, end_to_end), at the "
      "world time of the change it carries: the events the latency table counts (latencies "
      "under 0.1 ms are drawn at 0.1 ms). Shaded: the scenario's fault windows.";
  bool decimated = false;
  for (const StageSamples& s : page.run->samples) decimated |= s.points.size() != s.total;
  if (decimated) {
    note += " From " + std::to_string(kMaxStageSamples) +
            " events on, a stage plots every n-th event (bounded memory); the legend says how "
            "many of how many.";
  }
  return note;
}

void Table(std::ostringstream& o, const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return;
  o << "<table>\n<tr>";
  for (const auto& h : rows[0]) o << "<th>" << HtmlEscape(h) << "</th>";
  o << "</tr>\n";
  for (size_t i = 1; i < rows.size(); ++i) {
    o << "<tr>";
    for (const auto& c : rows[i]) o << "<td>" << HtmlEscape(c) << "</td>";
    o << "</tr>\n";
  }
  o << "</table>\n";
}

}  // namespace

int64_t OriginRecordingClock::UnixNanos() const {
  const int64_t now = base().UnixNanos();
  int64_t expected = 0;
  origin_.compare_exchange_strong(expected, now, std::memory_order_acq_rel);
  return now;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

StatusOr<std::vector<TimingSample>> ReadTimingSamples(const std::string& path,
                                                      int64_t origin_unix_ns) {
  std::ifstream in(path);
  if (!in) return NotFoundError(path + ": cannot open the bridge's timing file");
  std::vector<TimingSample> out;
  std::string line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("duplicate", false)) continue;
    const int64_t observed = j.value("observed_unix_ns", int64_t{0});
    const int64_t acked = j.value("acked_unix_ns", int64_t{0});
    if (observed == 0 || acked == 0) continue;
    out.push_back({static_cast<double>(observed - origin_unix_ns) / 1e9,
                   std::max(0.0, static_cast<double>(acked - observed) / 1e6)});
  }
  return out;
}

HtmlPage RunPage(const Report& report, std::vector<TimingSample> timing) {
  HtmlPage page;
  page.title = "lnsim run " + report.scenario;
  page.summary = {
      {"verdict", report.passed ? "PASSED" : "FAILED"},
      {"scenario", report.scenario},
      {"seed", std::to_string(report.seed)},
      {"trace digest", report.trace_digest},
      {"throughput",
       Num(report.throughput, 1) + " events/s over " + Num(report.duration_s, 1) + " s"},
      {"delivered = matched + unjudged + other", DeliveredSumText(report.totals)},
      {"coalesced (not owed, not lost)", std::to_string(report.totals.coalesced)},
      {"world changes (owed to each consumer)", std::to_string(report.events)},
      {"judged window", JudgedFromText(report)},
      {"lost / duplicated / reordered / phantom / late",
       std::to_string(report.totals.lost) + " / " + std::to_string(report.totals.duplicated) +
           " / " + std::to_string(report.totals.reordered) + " / " +
           std::to_string(report.totals.phantom) + " / " + std::to_string(report.totals.late)},
      {"redelivered (not gated)", std::to_string(report.totals.redelivered)},
      {"misordered / sequence_gaps / invalid (documented promises)",
       std::to_string(report.totals.misordered) + " / " +
           std::to_string(report.totals.sequence_gaps) + " / " +
           std::to_string(report.totals.invalid)},
      {"command", report.command}};
  for (const SloResult& s : report.slos) {
    page.summary.push_back(
        {"SLO " + s.expression, (s.passed ? "pass (" : "FAIL (") + s.measured + ")"});
  }
  for (const std::string& c : report.failed_checks) page.summary.push_back({"failed check", c});
  for (const std::string& h : report.hints) page.summary.push_back({"hint", h});
  // The screen table's legend (harness/report.h CounterLegend), one paragraph.
  std::string legend = "Counters, per consumer (the totals above are their sums):";
  for (const CounterMeaning& m : CounterLegend()) {
    std::string meaning(m.meaning);
    std::replace(meaning.begin(), meaning.end(), '\n', ' ');
    legend += " " + std::string(m.name) + ": " + meaning + ";";
  }
  legend.back() = '.';
  page.notes.push_back(legend);
  page.notes.push_back("Latency below is over the " + std::to_string(report.totals.matched) +
                       " matched events (count: samples per stage).");
  page.table.push_back({"stage", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "count"});
  for (int s = 0; s < kStageCount; ++s) {
    const StageSummary& st = report.latency[s];
    page.table.push_back({std::string(StageName(static_cast<Stage>(s))), StageMsText(st, st.p50_ns),
                          StageMsText(st, st.p90_ns), StageMsText(st, st.p99_ns),
                          StageMsText(st, st.p999_ns), StageMsText(st, st.max_ns),
                          std::to_string(st.count)});
  }
  page.run = report;
  page.run_caption = "this run";
  page.timing = std::move(timing);
  return page;
}

std::string RenderHtmlPage(const HtmlPage& page) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>"
    << HtmlEscape(page.title) << "</title>\n<style>\n"
    << "body{font-family:sans-serif;margin:24px;color:#222;max-width:980px}"
       "table{border-collapse:collapse;margin:8px 0}"
       "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}"
       "th{background:#f0f0f0}svg.plot{display:block;margin:12px 0}"
       "p.note{font-size:13px;color:#444}\n"
    << "</style>\n</head>\n<body>\n<h1>" << HtmlEscape(page.title) << "</h1>\n";
  if (!page.summary.empty()) {
    o << "<table class=\"summary\">\n";
    for (const auto& [k, v] : page.summary) {
      o << "<tr><th>" << HtmlEscape(k) << "</th><td>" << HtmlEscape(v) << "</td></tr>\n";
    }
    o << "</table>\n";
  }
  for (const std::string& n : page.notes) o << "<p class=\"note\">" << HtmlEscape(n) << "</p>\n";
  Table(o, page.table);
  if (page.run) o << ExamplesHtml(page.run->examples);
  if (!page.curves.empty()) {
    o << "<h2>Latency vs load</h2>\n" << LatencyVsLoadSvg(page);
  }
  if (page.run) {
    o << "<h2>Latency over time (" << HtmlEscape(page.run_caption) << ")</h2>\n"
      << "<p class=\"note\">" << HtmlEscape(OverTimeNote(page)) << "</p>\n"
      << LatencyOverTimeSvg(page);
    o << "<h2>Percentile spectrum (" << HtmlEscape(page.run_caption) << ")</h2>\n"
      << SpectrumSvg(page);
  }
  o << "</body>\n</html>\n";
  return o.str();
}

}  // namespace lnsim::harness
