#include "common/histogram.h"

#include <algorithm>
#include <cmath>

namespace lnsim {

Histogram::Histogram() : counts_(kBucketCount, 0) {}

void Histogram::Merge(const Histogram& other) {
  for (int i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  negative_ += other.negative_;
  sum_ += other.sum_;
  if (other.total_) {
    max_ = std::max(max_, other.max_);
    min_ = std::min(min_, other.min_);
  }
}

void Histogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = negative_ = 0;
  max_ = 0;
  min_ = UINT64_MAX;
  sum_ = 0;
}

uint64_t Histogram::BucketLow(int index) {
  if (index < 2 * kSubBuckets) return static_cast<uint64_t>(index);
  const int rel = index - 2 * kSubBuckets;
  const int shift = rel / kSubBuckets + 1;
  const uint64_t sub = static_cast<uint64_t>(rel % kSubBuckets + kSubBuckets);
  return sub << shift;
}

uint64_t Histogram::BucketHigh(int index) {
  if (index < 2 * kSubBuckets) return static_cast<uint64_t>(index) + 1;
  const int rel = index - 2 * kSubBuckets;
  const int shift = rel / kSubBuckets + 1;
  return BucketLow(index) + (uint64_t{1} << shift);
}

uint64_t Histogram::Quantile(double q) const {
  if (total_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Rank of the q-quantile, 1-based (nearest-rank definition).
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total_)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const uint64_t low = BucketLow(i), high = BucketHigh(i);
      const uint64_t mid = low + (high - low - 1) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace lnsim
