// Receipts of one `lnsim run`: what the consumers received, as it arrives, and when each event
// was published. Three records kept side by side:
//  - the observations the verifier judges (decoded against the live world, with their extras);
//  - events.jsonl in the work dir (every receipt as delivered) and, per consumer, the processed
//    stream (first receipt of each id) for the domain invariants;
//  - the timing side channel of lnsim's bridge (--timing-file: one JSON line per publish), for
//    the acknowledged time of each event and the publish counts.
// Not thread-safe: the run's thread feeds and reads it.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bridge/event.h"
#include "harness/consumer.h"
#include "harness/observation.h"
#include "harness/verifier.h"
#include "sim/model.h"

namespace lnsim::harness {

// The bridge's timing side channel, fed as the file grows (pure: no file access).
class TimingLog {
 public:
  // `record_observed`: keep (observed, acked) of every first publish (nats.cluster runs).
  explicit TimingLog(bool record_observed = false) : record_observed_(record_observed) {}

  // Appends a chunk as read from the file; complete lines are parsed, a line cut at the end of
  // the chunk waits for its rest. Lines that are not JSON objects with an "id" are counted and
  // skipped; "duplicate": true lines count as duplicates only.
  void Feed(std::string_view chunk);

  // The acknowledged Unix time of an event's first publish; 0 when unknown.
  int64_t AckedUnixNs(const std::string& id) const;
  uint64_t published_unique() const { return published_unique_; }
  uint64_t published_duplicates() const { return published_duplicates_; }
  uint64_t malformed_lines() const { return malformed_lines_; }
  // (observed, acked) Unix ns of every first publish, in file order (record_observed only).
  const std::vector<std::pair<int64_t, int64_t>>& observed_acked() const { return observed_acked_; }

 private:
  void ParseLine(std::string_view line);

  bool record_observed_;
  std::string partial_;
  std::unordered_map<std::string, int64_t> acked_;
  std::vector<std::pair<int64_t, int64_t>> observed_acked_;
  uint64_t published_unique_ = 0;
  uint64_t published_duplicates_ = 0;
  uint64_t malformed_lines_ = 0;
};

// One line of events.jsonl: the receipt with its consumer's name and the payload as JSON (or as
// `payload_text` when it is not JSON).
std::string DeliveryJsonLine(const Delivery& delivery, const std::string& consumer_name);

class Receipts {
 public:
  // `consumer_names` by consumer index; `timing_path` "" = no side channel (a team's bridge).
  Receipts(std::vector<std::string> consumer_names, std::string timing_path, bool record_observed);

  // events.jsonl; kUnavailable naming the path. Without it receipts are not written anywhere.
  Status OpenEventsFile(const std::string& path);
  void CloseEventsFile() { events_out_.close(); }

  // Call with the world locked: the decoder reads the live cluster (which must outlive it).
  void StartDecoding(const sim::Cluster& cluster, int64_t world_epoch_unix_ns);
  // Decodes and records a batch. Call with the world locked, after StartDecoding.
  void Decode(const std::vector<Delivery>& batch);
  // Records one receipt in events.jsonl and the processed streams (Decode does this too).
  void Record(const Delivery& delivery);
  // Reads what the bridge appended to the timing file since the last call.
  void FollowTiming();
  // Feeds every observation to the verifier, with its acknowledged time from the side channel.
  // Call with the world locked.
  void Replay(Verifier* verifier) const;

  size_t delivered() const { return observations_.size(); }
  // Receipts that were not valid events (bad subject per docs/subjects.md, or an envelope
  // bridge::DecodeEvent rejects): the verifier counts them in `invalid`.
  uint64_t decode_errors() const { return decode_errors_; }
  // Up to kMaxExamplesPerCounter per consumer: subject, the rule broken, the message.
  const std::vector<Example>& invalid_examples() const { return invalid_examples_; }
  const TimingLog& timing() const { return timing_; }
  // Per consumer: the events it processed, first receipt of each id, in arrival order.
  const std::vector<std::vector<bridge::Event>>& streams() const { return streams_; }

 private:
  void KeepInvalidExample(const Delivery& d, std::string rule);

  std::vector<std::string> consumer_names_;
  std::string timing_path_;
  std::unique_ptr<ObservationDecoder> decoder_;

  std::vector<Observation> observations_;
  std::vector<uint32_t> extras_begin_;
  std::vector<Assertion> extras_;
  std::vector<std::string> observation_ids_;
  uint64_t decode_errors_ = 0;
  std::vector<Example> invalid_examples_;

  TimingLog timing_;
  std::ifstream timing_in_;

  std::ofstream events_out_;
  std::vector<std::vector<bridge::Event>> streams_;
  std::vector<std::unordered_map<std::string, bool>> stream_ids_;
};

}  // namespace lnsim::harness
