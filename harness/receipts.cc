// Delivery recording and the bridge's timing side channel; see receipts.h.
#include "harness/receipts.h"

#include <nlohmann/json.hpp>

#include "harness/subject_grammar.h"

namespace lnsim::harness {

void TimingLog::Feed(std::string_view chunk) {
  if (chunk.empty()) return;
  partial_.append(chunk);
  size_t start = 0;
  while (true) {
    const size_t nl = partial_.find('\n', start);
    if (nl == std::string::npos) break;
    ParseLine(std::string_view(partial_.data() + start, nl - start));
    start = nl + 1;
  }
  partial_.erase(0, start);
}

void TimingLog::ParseLine(std::string_view line) {
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("id")) {
    ++malformed_lines_;
    return;
  }
  try {
    const std::string id = j.value("id", "");
    const int64_t acked = j.value("acked_unix_ns", int64_t{0});
    if (j.value("duplicate", false)) {
      ++published_duplicates_;
      return;
    }
    auto [it, inserted] = acked_.emplace(id, acked);
    if (inserted) {
      ++published_unique_;
      if (record_observed_) {
        observed_acked_.emplace_back(j.value("observed_unix_ns", int64_t{0}), acked);
      }
    }
  } catch (const nlohmann::json::exception&) {
    ++malformed_lines_;  // a field of the wrong type
  }
}

int64_t TimingLog::AckedUnixNs(const std::string& id) const {
  auto it = acked_.find(id);
  return it == acked_.end() ? 0 : it->second;
}

std::string DeliveryJsonLine(const Delivery& d, const std::string& consumer_name) {
  nlohmann::ordered_json j;
  j["consumer"] = consumer_name;
  j["subject"] = d.subject;
  j["id"] = d.id;
  j["delivered_unix_ns"] = d.delivered_unix_ns;
  j["observed_unix_ns"] = d.observed_unix_ns;
  j["num_delivered"] = d.num_delivered;
  j["stream_sequence"] = d.stream_sequence;
  j["processed"] = d.processed;
  j["content_type"] = d.content_type;
  auto payload = nlohmann::ordered_json::parse(d.payload, nullptr, false);
  if (payload.is_discarded()) {
    j["payload_text"] = d.payload;
  } else {
    j["payload"] = std::move(payload);
  }
  return j.dump();
}

Receipts::Receipts(std::vector<std::string> consumer_names, std::string timing_path,
                   bool record_observed)
    : consumer_names_(std::move(consumer_names)),
      timing_path_(std::move(timing_path)),
      timing_(record_observed),
      streams_(consumer_names_.size()),
      stream_ids_(consumer_names_.size()) {}

Status Receipts::OpenEventsFile(const std::string& path) {
  events_out_.open(path, std::ios::trunc);
  if (!events_out_.is_open()) return UnavailableError("cannot write " + path);
  return OkStatus();
}

void Receipts::StartDecoding(const sim::Cluster& cluster, int64_t world_epoch_unix_ns) {
  decoder_ = std::make_unique<ObservationDecoder>(cluster, world_epoch_unix_ns);
}

void Receipts::Decode(const std::vector<Delivery>& batch) {
  std::vector<Assertion> extras;
  for (const Delivery& d : batch) {
    Observation observation;
    const Status decoded = decoder_->Decode(d, &observation, &extras);
    std::string rule = SubjectRuleBroken(d.subject);
    if (rule.empty() && !decoded.ok()) rule = decoded.message();
    if (!rule.empty()) {
      ++decode_errors_;
      observation.invalid = true;
      extras.clear();
      KeepInvalidExample(d, std::move(rule));
    }
    observation.extra_count = static_cast<uint32_t>(extras.size());
    extras_begin_.push_back(static_cast<uint32_t>(extras_.size()));
    extras_.insert(extras_.end(), extras.begin(), extras.end());
    observations_.push_back(observation);
    observation_ids_.push_back(d.id);
    Record(d);
  }
}

void Receipts::KeepInvalidExample(const Delivery& d, std::string rule) {
  const std::string name = d.consumer < consumer_names_.size() ? consumer_names_[d.consumer]
                                                               : std::to_string(d.consumer);
  size_t same = 0;
  for (const Example& e : invalid_examples_) same += e.consumer == name ? 1 : 0;
  if (same >= kMaxExamplesPerCounter) return;
  constexpr size_t kMaxPayload = 200;
  Example e;
  e.counter = "invalid";
  e.consumer = name;
  e.key = d.subject;
  e.rule = std::move(rule);
  std::string payload = d.payload.substr(0, kMaxPayload);
  if (d.payload.size() > kMaxPayload) payload += "...";
  e.events.push_back("id '" + d.id + "' on " + d.subject + ": " + payload);
  invalid_examples_.push_back(std::move(e));
}

void Receipts::Record(const Delivery& d) {
  if (events_out_.is_open()) {
    const std::string name = d.consumer < consumer_names_.size() ? consumer_names_[d.consumer]
                                                                 : std::to_string(d.consumer);
    events_out_ << DeliveryJsonLine(d, name) << '\n';
  }
  if (!d.processed || d.consumer >= streams_.size()) return;
  if (!stream_ids_[d.consumer].emplace(d.id, true).second) return;
  auto event = bridge::DecodeEvent(d.payload);
  if (event.ok()) streams_[d.consumer].push_back(std::move(*event));
}

void Receipts::FollowTiming() {
  if (timing_path_.empty()) return;
  if (!timing_in_.is_open()) {
    timing_in_.open(timing_path_);
    if (!timing_in_.is_open()) return;
  }
  timing_in_.clear();
  std::string chunk;
  char buf[65536];
  while (true) {
    timing_in_.read(buf, sizeof buf);
    const std::streamsize n = timing_in_.gcount();
    if (n <= 0) break;
    chunk.append(buf, static_cast<size_t>(n));
  }
  timing_in_.clear();
  timing_.Feed(chunk);
}

void Receipts::Replay(Verifier* verifier) const {
  for (size_t i = 0; i < observations_.size(); ++i) {
    Observation observation = observations_[i];
    const int64_t acked = timing_.AckedUnixNs(observation_ids_[i]);
    if (acked > 0) observation.acked_ns = decoder_->ToWorld(acked);
    verifier->Observe(observation, observation.extra_count ? &extras_[extras_begin_[i]] : nullptr);
  }
}

}  // namespace lnsim::harness
