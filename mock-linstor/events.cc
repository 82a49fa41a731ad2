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

int EventHub::ControllerView(const sim::Cluster& c, sim::ReplicaIndex r) {
  const sim::Replica& rep = c.replicas[r];
  if (rep.node >= c.nodes.size() || c.nodes[rep.node].connection != sim::NodeConnection::kOnline) {
    return -1;
  }
  return rep.may_promote ? 1 : 0;
}

std::string EventHub::PromotionEvent(const sim::Cluster& c, sim::ReplicaIndex r, int value) const {
  const sim::Replica& rep = c.replicas[r];
  std::string data;
  internal::JsonWriter w(&data);
  w.BeginObject();
  w.KeyStr("resource_name", c.rds[rep.rd].name);
  w.KeyStr("node_name", c.nodes[rep.node].name);
  if (value >= 0) w.KeyBool("may_promote", value == 1);  // NON_EMPTY: unknown -> key left out
  w.EndObject();
  return FormatSseEvent("may-promote-change", data);
}

void EventHub::Pump(const sim::Cluster& c, const sim::TraceLog& trace, bool publish) {
  const auto& ts = trace.transitions();
  // Replicas that exist at start-up (publish == false) are known with their current value;
  // replicas appearing later start unknown so that their first value is announced.
  for (size_t r = last_sent_.size(); r < c.replicas.size(); ++r) {
    last_sent_.push_back(
        !publish && c.replicas[r].alive
            ? static_cast<int8_t>(ControllerView(c, static_cast<sim::ReplicaIndex>(r)))
            : int8_t{-2});
  }
  std::set<sim::ReplicaIndex> dirty;
  std::vector<std::pair<std::string, sim::NodeIndex>> node_events;
  auto mark_replica = [&](uint32_t rd, uint32_t node) {
    if (rd >= c.rds.size()) return;
    for (sim::ReplicaIndex r : c.rds[rd].replicas) {
      if (r < c.replicas.size() && c.replicas[r].node == node) dirty.insert(r);
    }
    // Deleted replicas leave rd.replicas: find them by scanning is too costly; their slot is
    // reset lazily below when seen dead.
  };
  for (size_t i = processed_; i < ts.size(); ++i) {
    const sim::Transition& t = ts[i];
    switch (t.entity.kind) {
      case sim::EntityKind::kReplica:
        if (t.attr == sim::Attribute::kMayPromote || t.attr == sim::Attribute::kExists) {
          mark_replica(t.entity.a, t.entity.b);
        }
        break;
      case sim::EntityKind::kNode:
        if (t.attr == sim::Attribute::kConnection && t.entity.a < c.nodes.size()) {
          for (sim::ReplicaIndex r : c.nodes[t.entity.a].replicas) dirty.insert(r);
        } else if (t.attr == sim::Attribute::kNodeFlags && t.entity.a < c.nodes.size()) {
          const bool was = t.old_value != sim::kAbsent && (t.old_value & sim::kNodeEvicted) != 0;
          const bool now = t.new_value != sim::kAbsent && (t.new_value & sim::kNodeEvicted) != 0;
          if (!was && now) node_events.emplace_back("node-evicted", t.entity.a);
          if (was && !now) node_events.emplace_back("node-restored", t.entity.a);
        }
        break;
      default:
        break;
    }
  }
  processed_ = ts.size();
  const bool any_promotion = publish && subscriber_count() > 0;
  for (sim::ReplicaIndex r : dirty) {
    if (r >= c.replicas.size()) continue;
    const sim::Replica& rep = c.replicas[r];
    if (!rep.alive) {
      last_sent_[r] = -2;
      continue;
    }
    const int value = ControllerView(c, r);
    if (value == last_sent_[r]) continue;
    // A replica never seen before whose value is unknown has nothing to announce.
    const bool announce = !(last_sent_[r] == -2 && value == -1);
    last_sent_[r] = static_cast<int8_t>(value);
    if (announce && any_promotion) Publish(EventStream::kPromotion, PromotionEvent(c, r, value));
  }
  if (publish) {
    for (const auto& [name, node] : node_events) {
      PublishNodeEvent(name, "{\"node\":" + node_json_(c, node) + "}");
    }
  }
}

std::shared_ptr<Subscriber> EventHub::Subscribe(EventStream stream, bool replay_current,
                                                const sim::Cluster& c) {
  auto sub = std::make_shared<Subscriber>(clock_, stream, max_queued_);
  if (stream == EventStream::kPromotion && replay_current) {
    std::vector<std::pair<std::string, sim::ReplicaIndex>> order;
    for (sim::ReplicaIndex r = 0; r < c.replicas.size(); ++r) {
      const sim::Replica& rep = c.replicas[r];
      if (!rep.alive || !c.rds[rep.rd].alive || !c.nodes[rep.node].alive) continue;
      order.emplace_back(
          sim::FoldName(c.rds[rep.rd].name) + "\n" + sim::FoldName(c.nodes[rep.node].name), r);
    }
    std::sort(order.begin(), order.end());
    for (const auto& [key, r] : order) sub->Push(PromotionEvent(c, r, ControllerView(c, r)));
  }
  std::lock_guard<std::mutex> lock(mu_);
  subs_.push_back(sub);
  return sub;
}

void EventHub::Unsubscribe(const std::shared_ptr<Subscriber>& sub) {
  sub->Close();
  std::lock_guard<std::mutex> lock(mu_);
  subs_.erase(std::remove(subs_.begin(), subs_.end(), sub), subs_.end());
}

void EventHub::PublishNodeEvent(const std::string& name, const std::string& data) {
  Publish(EventStream::kNodes, FormatSseEvent(name, data));
}

void EventHub::Publish(EventStream stream, const std::string& event) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& sub : subs_) {
    if (sub->stream() == stream) sub->Push(event);
  }
}

void EventHub::DropAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& sub : subs_) sub->Close();
  subs_.clear();
}

size_t EventHub::subscriber_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return subs_.size();
}

}  // namespace lnsim::mock
