#include "common/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/rng.h"

namespace lnsim {
namespace {

TEST(HistogramTest, BucketsTileTheRangeWithoutGaps) {
  for (int i = 0; i + 1 < Histogram::kBucketCount; ++i) {
    ASSERT_EQ(Histogram::BucketHigh(i), Histogram::BucketLow(i + 1)) << i;
  }
  for (uint64_t v : std::initializer_list<uint64_t>{0, 1, 255, 256, 257, 1000, 123456789,
                                                    1ull << 40, UINT64_MAX / 3}) {
    const int i = Histogram::IndexOf(v);
    ASSERT_LE(Histogram::BucketLow(i), v);
    ASSERT_LT(v, Histogram::BucketHigh(i));
  }
}

TEST(HistogramTest, QuantilesWithinOnePercentOfExact) {
  Rng rng(5);
  Histogram h;
  std::vector<uint64_t> values;
  for (int i = 0; i < 200000; ++i) {
    const uint64_t v = static_cast<uint64_t>(rng.LogUniform(1e3, 5e9));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const uint64_t exact = values[static_cast<size_t>(std::ceil(q * values.size())) - 1];
    const double got = static_cast<double>(h.Quantile(q));
    EXPECT_LE(std::fabs(got - exact) / exact, 0.01) << "q=" << q;
  }
  EXPECT_EQ(h.Quantile(1.0), values.back());
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.count(), values.size());
}

TEST(HistogramTest, MergeEqualsRecordingEverythingInOne) {
  Histogram a, b, all;
  for (uint64_t v = 1; v < 100000; v += 7) {
    (v % 2 ? a : b).Record(v * 13);
    all.Record(v * 13);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  for (double q : {0.1, 0.5, 0.99}) EXPECT_EQ(a.Quantile(q), all.Quantile(q));
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(a.min(), all.min());
}

TEST(HistogramTest, NegativeValuesAreCountedApart) {
  Histogram h;
  h.RecordSigned(-5);
  h.RecordSigned(10);
  EXPECT_EQ(h.negative_count(), 1u);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(Histogram().Quantile(0.5), 0u);
}

}  // namespace
}  // namespace lnsim
