// The world's discrete-event scheduler: a binary min-heap ordered by (time, sequence), so events
// at the same time run in the order they were scheduled. Events are small PODs (32 bytes) so a
// storm of millions stays cheap; what an event means is up to the world (EventType in
// sim/internal/world_impl.h).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace lnsim::sim::internal {

struct Event {
  int64_t time_ns = 0;
  uint64_t seq = 0;
  uint32_t a = 0, b = 0;
  uint16_t type = 0;
  uint16_t c = 0;
  uint32_t cause = 0;
};

class EventQueue {
 public:
  void Push(Event e) {
    e.seq = ++next_seq_;
    heap_.push_back(e);
    std::push_heap(heap_.begin(), heap_.end(), Later);
  }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  const Event& top() const { return heap_.front(); }
  Event Pop() {
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    Event e = heap_.back();
    heap_.pop_back();
    return e;
  }

 private:
  static bool Later(const Event& x, const Event& y) {
    return x.time_ns != y.time_ns ? x.time_ns > y.time_ns : x.seq > y.seq;
  }
  std::vector<Event> heap_;
  uint64_t next_seq_ = 0;
};

}  // namespace lnsim::sim::internal
