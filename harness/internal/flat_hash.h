// Open-addressing hash map from uint64 keys to a small value, for the verifier's per-event
// bookkeeping (ids seen, last sequence per key, matched segments): one probe sequence in one flat
// array, no allocation per insert, no node chasing. std::unordered_map costs an allocation per
// element and a pointer chase per lookup, which the 1M events/s budget cannot afford.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "common/check.h"

namespace lnsim::harness::internal {

// Mixes a 64-bit key so that packed or sequential keys spread over the table (splitmix64).
inline uint64_t MixKey(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Keys are any uint64 except kEmpty (UINT64_MAX), which is remapped to kEmpty - 1: callers key
// by hashes or packed indices, where that collision is either impossible or negligible.
template <typename V>
class FlatMap64 {
 public:
  static constexpr uint64_t kEmpty = UINT64_MAX;

  explicit FlatMap64(size_t initial_capacity = 16) { Rehash(RoundUp(initial_capacity * 2)); }

  // Returns the value slot for `key`, inserting `init` when absent; *inserted tells which.
  V& FindOrInsert(uint64_t key, const V& init, bool* inserted) {
    key = Fix(key);
    if ((size_ + 1) * 4 > keys_.size() * 3) Rehash(keys_.size() * 2);
    size_t i = MixKey(key) & mask_;
    while (true) {
      if (keys_[i] == key) {
        *inserted = false;
        return values_[i];
      }
      if (keys_[i] == kEmpty) {
        keys_[i] = key;
        values_[i] = init;
        ++size_;
        *inserted = true;
        return values_[i];
      }
      i = (i + 1) & mask_;
    }
  }
  // True when newly inserted (a set's Insert).
  bool Insert(uint64_t key) {
    bool inserted = false;
    FindOrInsert(key, V{}, &inserted);
    return inserted;
  }
  const V* Find(uint64_t key) const {
    key = Fix(key);
    size_t i = MixKey(key) & mask_;
    while (true) {
      if (keys_[i] == key) return &values_[i];
      if (keys_[i] == kEmpty) return nullptr;
      i = (i + 1) & mask_;
    }
  }
  bool Contains(uint64_t key) const { return Find(key) != nullptr; }
  size_t size() const { return size_; }
  void Reserve(size_t n) {
    if (n * 4 > keys_.size() * 3) Rehash(RoundUp(n * 2));
  }

 private:
  static uint64_t Fix(uint64_t key) { return key == kEmpty ? kEmpty - 1 : key; }
  static size_t RoundUp(size_t n) {
    size_t c = 16;
    while (c < n) c *= 2;
    return c;
  }
  void Rehash(size_t capacity) {
    std::vector<uint64_t> old_keys(capacity, kEmpty);
    std::vector<V> old_values(capacity);
    old_keys.swap(keys_);
    old_values.swap(values_);
    mask_ = capacity - 1;
    size_ = 0;
    for (size_t j = 0; j < old_keys.size(); ++j) {
      if (old_keys[j] == kEmpty) continue;
      size_t i = MixKey(old_keys[j]) & mask_;
      while (keys_[i] != kEmpty) i = (i + 1) & mask_;
      keys_[i] = old_keys[j];
      values_[i] = std::move(old_values[j]);
      ++size_;
    }
  }

  std::vector<uint64_t> keys_;
  std::vector<V> values_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace lnsim::harness::internal
