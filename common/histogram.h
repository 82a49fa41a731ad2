// Latency histogram: log-linear buckets (HdrHistogram's layout with 128 linear sub-buckets per
// power of two), so any recorded value is reported within 0.4% (bucket midpoint; the bound is
// 1/256) and two histograms merge by adding counts. Values are non-negative integers, by
// convention nanoseconds. Record is a few instructions, no allocation. Not thread-safe: one per
// thread, then Merge.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace lnsim {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;                 // 128 sub-buckets per octave
  static constexpr int kSubBuckets = 1 << kSubBucketBits;  // values below 2*128 are exact
  static constexpr int kBucketCount = 2 * kSubBuckets + (64 - kSubBucketBits - 1) * kSubBuckets;

  Histogram();

  void Record(uint64_t value) {
    ++counts_[IndexOf(value)];
    ++total_;
    if (value > max_) max_ = value;
    if (value < min_) min_ = value;
    sum_ += value;
  }
  // Negative values (clock skew between stages) are recorded as 0 and counted apart.
  void RecordSigned(int64_t value) {
    if (value < 0) {
      ++negative_;
      value = 0;
    }
    Record(static_cast<uint64_t>(value));
  }
  void Merge(const Histogram& other);
  void Reset();

  uint64_t count() const { return total_; }
  uint64_t negative_count() const { return negative_; }
  uint64_t max() const { return total_ ? max_ : 0; }
  uint64_t min() const { return total_ ? min_ : 0; }
  double mean() const { return total_ ? static_cast<double>(sum_) / total_ : 0.0; }
  // q in [0, 1]; returns a representative value of the bucket holding the q-quantile
  // (clamped to [min, max], so p100 == max exactly). 0 when empty.
  uint64_t Quantile(double q) const;

  static int IndexOf(uint64_t value) {
    if (value < 2 * kSubBuckets) return static_cast<int>(value);
    const int msb = 63 - __builtin_clzll(value);       // >= kSubBucketBits + 1
    const int shift = msb - kSubBucketBits;            // >= 1
    const int sub = static_cast<int>(value >> shift);  // in [128, 256)
    return 2 * kSubBuckets + (shift - 1) * kSubBuckets + (sub - kSubBuckets);
  }
  // Inclusive lower bound and exclusive upper bound of bucket `index`.
  static uint64_t BucketLow(int index);
  static uint64_t BucketHigh(int index);

 private:
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t negative_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = UINT64_MAX;
  unsigned __int128 sum_ = 0;
};

}  // namespace lnsim
