// Trace tail -> SSE events (see events.h).
#include "mock-linstor/events.h"

#include <algorithm>
#include <set>

#include "mock-linstor/internal/json_writer.h"

namespace lnsim::mock {

std::string FormatSseEvent(std::string_view name, std::string_view data) {
  std::string out;
  out.reserve(name.size() + data.size() + 16);
  out.append("event: ").append(name).append("\ndata: ").append(data).append("\n\n");
  return out;
}

void Subscriber::Push(std::string event) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    if (queue_.size() >= max_queued_) {
      closed_ = true;  // a stalled reader: drop the stream rather than grow without bound
    } else {
      queue_.push_back(std::move(event));
    }
  }
  cv_.notify_all();
}

void Subscriber::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool Subscriber::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

bool Subscriber::Wait(Duration timeout, std::vector<std::string>* out) {
  std::unique_lock<std::mutex> lock(mu_);
  clock_.WaitFor(lock, cv_, timeout, [&] { return closed_ || !queue_.empty(); });
  if (closed_) {
    queue_.clear();
    return false;
  }
  while (!queue_.empty()) {
    out->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return true;
}

int EventHub::ControllerView(const sim::Cluster& cluster, sim::ReplicaIndex index) {
  const sim::Replica& replica = cluster.replicas[index];
  if (replica.node >= cluster.nodes.size() ||
      cluster.nodes[replica.node].connection != sim::NodeConnection::kOnline) {
    return -1;
  }
  return replica.may_promote ? 1 : 0;
}

std::string EventHub::PromotionEvent(const sim::Cluster& cluster, sim::ReplicaIndex index,
                                     int value) const {
  const sim::Replica& replica = cluster.replicas[index];
  std::string data;
  internal::JsonWriter writer(&data);
  writer.BeginObject();
  writer.KeyStr("resource_name", cluster.rds[replica.rd].name);
  writer.KeyStr("node_name", cluster.nodes[replica.node].name);
  if (value >= 0) writer.KeyBool("may_promote", value == 1);  // NON_EMPTY: unknown -> key left out
  writer.EndObject();
  return FormatSseEvent("may-promote-change", data);
}

void EventHub::Pump(const sim::Cluster& cluster, const sim::TraceLog& trace, bool publish) {
  const auto& transitions = trace.transitions();
  // Replicas that exist at start-up (publish == false) are known with their current value;
  // replicas appearing later start unknown so that their first value is announced.
  for (size_t index = last_sent_.size(); index < cluster.replicas.size(); ++index) {
    last_sent_.push_back(
        !publish && cluster.replicas[index].alive
            ? static_cast<int8_t>(ControllerView(cluster, static_cast<sim::ReplicaIndex>(index)))
            : int8_t{-2});
  }
  std::set<sim::ReplicaIndex> dirty;
  std::vector<std::pair<std::string, sim::NodeIndex>> node_events;
  auto mark_replica = [&](uint32_t definition, uint32_t node) {
    if (definition >= cluster.rds.size()) return;
    for (sim::ReplicaIndex index : cluster.rds[definition].replicas) {
      if (index < cluster.replicas.size() && cluster.replicas[index].node == node)
        dirty.insert(index);
    }
    // Deleted replicas leave rds[].replicas: finding them by a scan costs too much; their slot
    // is reset lazily below when seen dead.
  };
  for (size_t i = processed_; i < transitions.size(); ++i) {
    const sim::Transition& transition = transitions[i];
    switch (transition.entity.kind) {
      case sim::EntityKind::kReplica:
        if (transition.attr == sim::Attribute::kMayPromote ||
            transition.attr == sim::Attribute::kExists) {
          mark_replica(transition.entity.a, transition.entity.b);
        }
        break;
      case sim::EntityKind::kNode:
        if (transition.attr == sim::Attribute::kConnection &&
            transition.entity.a < cluster.nodes.size()) {
          for (sim::ReplicaIndex index : cluster.nodes[transition.entity.a].replicas)
            dirty.insert(index);
        } else if (transition.attr == sim::Attribute::kNodeFlags &&
                   transition.entity.a < cluster.nodes.size()) {
          const bool was = transition.old_value != sim::kAbsent &&
                           (transition.old_value & sim::kNodeEvicted) != 0;
          const bool now = transition.new_value != sim::kAbsent &&
                           (transition.new_value & sim::kNodeEvicted) != 0;
          if (!was && now) node_events.emplace_back("node-evicted", transition.entity.a);
          if (was && !now) node_events.emplace_back("node-restored", transition.entity.a);
        }
        break;
      default:
        break;
    }
  }
  processed_ = transitions.size();
  const bool any_promotion = publish && subscriber_count() > 0;
  for (sim::ReplicaIndex index : dirty) {
    if (index >= cluster.replicas.size()) continue;
    const sim::Replica& replica = cluster.replicas[index];
    if (!replica.alive) {
      last_sent_[index] = -2;
      continue;
    }
    const int value = ControllerView(cluster, index);
    if (value == last_sent_[index]) continue;
    // A replica never seen before whose value is unknown has nothing to announce.
    const bool announce = !(last_sent_[index] == -2 && value == -1);
    last_sent_[index] = static_cast<int8_t>(value);
    if (announce && any_promotion)
      Publish(EventStream::kPromotion, PromotionEvent(cluster, index, value));
  }
  if (publish) {
    for (const auto& [name, node] : node_events) {
      PublishNodeEvent(name, "{\"node\":" + node_json_(cluster, node) + "}");
    }
  }
}

std::shared_ptr<Subscriber> EventHub::Subscribe(EventStream stream, bool replay_current,
                                                const sim::Cluster& cluster) {
  auto subscriber = std::make_shared<Subscriber>(clock_, stream, max_queued_);
  if (stream == EventStream::kPromotion && replay_current) {
    std::vector<std::pair<std::string, sim::ReplicaIndex>> order;
    for (sim::ReplicaIndex index = 0; index < cluster.replicas.size(); ++index) {
      const sim::Replica& replica = cluster.replicas[index];
      if (!replica.alive || !cluster.rds[replica.rd].alive || !cluster.nodes[replica.node].alive)
        continue;
      order.emplace_back(sim::FoldName(cluster.rds[replica.rd].name) + "\n" +
                             sim::FoldName(cluster.nodes[replica.node].name),
                         index);
    }
    std::sort(order.begin(), order.end());
    for (const auto& [key, index] : order)
      subscriber->Push(PromotionEvent(cluster, index, ControllerView(cluster, index)));
  }
  std::lock_guard<std::mutex> lock(mu_);
  subs_.push_back(subscriber);
  return subscriber;
}

void EventHub::Unsubscribe(const std::shared_ptr<Subscriber>& subscriber) {
  subscriber->Close();
  std::lock_guard<std::mutex> lock(mu_);
  subs_.erase(std::remove(subs_.begin(), subs_.end(), subscriber), subs_.end());
}

void EventHub::PublishNodeEvent(const std::string& name, const std::string& data) {
  Publish(EventStream::kNodes, FormatSseEvent(name, data));
}

void EventHub::Publish(EventStream stream, const std::string& event) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& subscriber : subs_) {
    if (subscriber->stream() == stream) subscriber->Push(event);
  }
}

void EventHub::DropAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& subscriber : subs_) subscriber->Close();
  subs_.clear();
}

size_t EventHub::subscriber_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return subs_.size();
}

}  // namespace lnsim::mock
