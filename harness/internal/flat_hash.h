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
    if ((size_ + 1) * 4 > slots_.size() * 3) Rehash(slots_.size() * 2);
    size_t i = MixKey(key) & mask_;
    while (true) {
      Slot& slot = slots_[i];
      if (slot.key == key) {
        *inserted = false;
        return slot.value;
      }
      if (slot.key == kEmpty) {
        slot.key = key;
        slot.value = init;
        ++size_;
        *inserted = true;
        return slot.value;
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
      const Slot& slot = slots_[i];
      if (slot.key == key) return &slot.value;
      if (slot.key == kEmpty) return nullptr;
      i = (i + 1) & mask_;
    }
  }
  bool Contains(uint64_t key) const { return Find(key) != nullptr; }
  size_t size() const { return size_; }
  void Reserve(size_t n) {
    if (n * 4 > slots_.size() * 3) Rehash(RoundUp(n * 2));
  }

 private:
  static uint64_t Fix(uint64_t key) { return key == kEmpty ? kEmpty - 1 : key; }
  static size_t RoundUp(size_t n) {
    size_t c = 16;
    while (c < n) c *= 2;
    return c;
  }
  void Rehash(size_t capacity) {
    std::vector<Slot> old(capacity);
    old.swap(slots_);
    mask_ = capacity - 1;
    size_ = 0;
    for (Slot& slot : old) {
      if (slot.key == kEmpty) continue;
      size_t i = MixKey(slot.key) & mask_;
      while (slots_[i].key != kEmpty) i = (i + 1) & mask_;
      slots_[i] = std::move(slot);
      ++size_;
    }
  }

  // Key and value side by side: one cache line per probe.
  struct Slot {
    uint64_t key = kEmpty;
    V value{};
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace lnsim::harness::internal
