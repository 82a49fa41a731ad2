// The two SSE streams of the controller (LINSTOR-API.md 2.9), driven by the world's ground-truth
// log: /v1/events/drbd/promotion (`may-promote-change`, from replica may_promote and node
// connection transitions) and /v1/events/nodes (node-create/delete/modified from API actions,
// node-evicted/restored from the EVICTED flag). Going OFFLINE sends no node event.
//
// Threads: Pump() and Subscribe() are called under the server's world lock (so a subscriber's
// "current values" replay and the live tail meet exactly); each subscriber's queue is read by its
// own HTTP thread. A subscriber whose queue overflows (a stalled client) is closed, so a slow
// reader never blocks the pump or other clients.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "sim/model.h"
#include "sim/trace.h"

namespace lnsim::mock {

enum class EventStream : uint8_t { kPromotion, kNodes };

// "event: <name>\ndata: <json>\n\n" (no id:, no retry:, no comments).
std::string FormatSseEvent(std::string_view name, std::string_view data);

class Subscriber {
 public:
  // `clock` times Wait() and must outlive the subscriber.
  Subscriber(const Clock& clock, EventStream stream, size_t max_queued)
      : clock_(clock), stream_(stream), max_queued_(max_queued) {}
  EventStream stream() const { return stream_; }

  // Appends an event; closes the subscriber when its queue is full.
  void Push(std::string event);
  void Close();
  // Waits up to `timeout` of the clock's time for events (a Push or Close ends the wait early);
  // moves them into *out. Returns false once closed and drained.
  bool Wait(Duration timeout, std::vector<std::string>* out);
  bool closed() const;

 private:
  const Clock& clock_;
  const EventStream stream_;
  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool closed_ = false;
};

class EventHub {
 public:
  // node_json renders a node object (the server binds the mock state and epoch).
  using NodeJsonFn = std::function<std::string(const sim::Cluster&, sim::NodeIndex)>;
  // `clock` times the subscribers' waits and must outlive the hub and its subscribers.
  EventHub(const Clock& clock, NodeJsonFn node_json, size_t max_queued = 100000)
      : clock_(clock), node_json_(std::move(node_json)), max_queued_(max_queued) {}

  // Processes transitions appended since the last call. With publish == false (start-up) it only
  // records the current values.
  void Pump(const sim::Cluster& cluster, const sim::TraceLog& trace, bool publish = true);

  // Registers a subscriber. For promotion with replay_current (`Last-Event-ID: current`), the
  // current value of every DRBD resource is queued first.
  std::shared_ptr<Subscriber> Subscribe(EventStream stream, bool replay_current,
                                        const sim::Cluster& cluster);
  void Unsubscribe(const std::shared_ptr<Subscriber>& sub);
  // Publishes a node event from an API action.
  void PublishNodeEvent(const std::string& name, const std::string& data);
  // Closes every stream (sse_drop fault, controller down, shutdown).
  void DropAll();
  size_t subscriber_count() const;
  uint64_t processed_seq() const { return processed_; }

 private:
  void Publish(EventStream stream, const std::string& event);
  std::string PromotionEvent(const sim::Cluster& c, sim::ReplicaIndex r, int value) const;
  // -1 unknown (node not ONLINE), 0/1 may_promote.
  static int ControllerView(const sim::Cluster& c, sim::ReplicaIndex r);

  const Clock& clock_;
  NodeJsonFn node_json_;
  const size_t max_queued_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Subscriber>> subs_;
  size_t processed_ = 0;           // transitions consumed
  std::vector<int8_t> last_sent_;  // per replica: -2 never, -1 unknown, 0/1
};

}  // namespace lnsim::mock
