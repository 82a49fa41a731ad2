// Seeded randomness, injected (STYLE.md, TigerBeetle's PRNG). Each component forks its own
// stream by name from the root seed, so adding a component does not shift the others. No
// std::*_distribution anywhere: their output differs across standard libraries, and the same
// seed must give the same trace byte for byte on every machine.
#pragma once

#include <cstdint>
#include <string_view>

namespace lnsim {

// xoshiro256** seeded through SplitMix64. Not thread-safe: one Rng per thread or component.
class Rng {
 public:
  explicit Rng(uint64_t seed);

  // An independent stream derived from this one's seed and `name` (not from its position:
  // forking does not consume numbers from this stream).
  Rng Fork(std::string_view name) const;

  uint64_t Next();
  // Uniform in [0, bound), bound > 0 (Lemire's unbiased method).
  uint64_t Uniform(uint64_t bound);
  // Uniform in [lo, hi], lo <= hi.
  int64_t UniformInt(int64_t lo, int64_t hi);
  // Uniform in [0, 1) with 53 random bits.
  double UniformDouble();
  // True with probability p (p clamped to [0, 1]).
  bool Bernoulli(double p);
  // Exponentially distributed with the given mean (inverse transform; deterministic).
  double Exponential(double mean);
  // Log-normal-ish skewed size: exp(Uniform(log lo, log hi)), lo > 0.
  double LogUniform(double lo, double hi);

  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_;
  uint64_t s_[4];
};

// 64-bit FNV-1a over bytes; stable across machines. Used for names -> seeds and digests.
uint64_t Fnv1a64(std::string_view bytes, uint64_t basis = 0xcbf29ce484222325ULL);

}  // namespace lnsim
