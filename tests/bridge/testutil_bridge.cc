// Implementation of the bridge integration-test support (see testutil_bridge.h).
#include "tests/bridge/testutil_bridge.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "bridge/linstor_client.h"
#include "bridge/metrics.h"
#include "bridge/recovery.h"

namespace lnsim::bridge::testing {

BridgeConfig EveryOptionSet() {
  BridgeConfig c;
  c.linstor_urls = {"http://ctrl-1:3370", "https://ctrl-2:3371"};
  c.linstor_tls = {"/etc/linstor/ca.pem", "/etc/linstor/cert.pem", "/etc/linstor/key.pem"};
  c.nats_urls = {"nats://a:4222", "nats://b:4222"};
  c.cluster = "prod";
  c.jetstream = true;
  c.stream = "S";
  c.bucket = "b";
  c.replicas = 3;
  c.dedup_window = std::chrono::minutes(5);
  c.poll_interval = std::chrono::milliseconds(250);
  c.request_timeout = std::chrono::seconds(3);
  c.ack_timeout = std::chrono::seconds(7);
  c.drain_timeout = std::chrono::seconds(20);
  c.creds_file = "/etc/nats.creds";
  c.nkey_seed_file = "/etc/nats.nk";
  c.inbox_prefix = "_INBOX_bridge";
  c.nats_tls = {"/etc/nats/ca.pem", "/etc/nats/cert.pem", "/etc/nats/key.pem"};
  c.metrics_addr = "127.0.0.1:9310";
  c.timing_file = "/tmp/t.jsonl";
  c.timing_subject = "timing";
  c.ready_file = "/run/lnsim/bridge.ready";
  c.pool_low_threshold_percent = 12.5;
  c.resync_step_percent = 5;
  c.page_size = 0;
  c.max_in_flight = 100;
  c.sse = false;
  c.send_asap = true;
  c.quiet = true;
  return c;
}

std::string MakeTempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp ? tmp : "/tmp") + "/" + prefix + "XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  LNSIM_CHECK(mkdtemp(buf.data()) != nullptr) << "mkdtemp " << tmpl;
  return buf.data();
}

std::string WriteFile(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream out(path);
  out << text;
  return path;
}

StatusOr<Mock> StartMock(const std::string& scenario_path, const Clock& clock) {
  harness::ChildOptions o;
  o.argv = {
      LNSIM_BINARY_PATH, "mock-linstor", "--port", "0", "--scenario", scenario_path,
  };
  o.capture_stdout = true;
  o.log_path = scenario_path + ".mock.log";
  LNSIM_ASSIGN_OR_RETURN(auto child, harness::ChildProcess::Spawn(o, clock));
  LNSIM_ASSIGN_OR_RETURN(std::string line, child->ReadLine(std::chrono::seconds(20)));
  const std::string prefix = "listening on ";
  if (line.rfind(prefix, 0) != 0) return InternalError("mock said: " + line);
  Mock m;
  m.url = line.substr(prefix.size());
  m.child = std::move(child);
  return m;
}

StatusOr<std::unique_ptr<harness::ChildProcess>> StartBridge(const std::vector<std::string>& args,
                                                             const std::string& log_path,
                                                             const Clock& clock) {
  harness::ChildOptions o;
  o.argv = {LNSIM_BINARY_PATH, "bridge"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.capture_stdout = true;
  o.log_path = log_path;
  return harness::ChildProcess::Spawn(o, clock);
}

StatusOr<std::vector<StreamMessage>> ReadStream(jsCtx* js, const std::string& stream) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js, stream.c_str(), nullptr, &jerr);
  if (s != NATS_OK) return UnavailableError("stream info: " + std::string(natsStatus_GetText(s)));
  const uint64_t first = si->State.FirstSeq;
  const uint64_t last = si->State.LastSeq;
  jsStreamInfo_Destroy(si);
  std::vector<StreamMessage> out;
  for (uint64_t seq = first; seq <= last && last > 0; ++seq) {
    natsMsg* msg = nullptr;
    s = js_GetMsg(&msg, js, stream.c_str(), seq, nullptr, &jerr);
    if (s == NATS_NOT_FOUND) continue;
    if (s != NATS_OK) return UnavailableError("get msg: " + std::string(natsStatus_GetText(s)));
    StreamMessage m;
    m.stream_sequence = seq;
    m.subject = natsMsg_GetSubject(msg);
    m.data.assign(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
    const char* id = nullptr;
    if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id) m.msg_id = id;
    natsMsg_Destroy(msg);
    out.push_back(std::move(m));
  }
  return out;
}

StatusOr<std::map<std::string, MirrorEntry>> ReadMirror(jsCtx* js, const std::string& bucket) {
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, js, bucket.c_str());
  if (s != NATS_OK) return UnavailableError("kv: " + std::string(natsStatus_GetText(s)));
  kvKeysList keys;
  s = kvStore_Keys(&keys, kv, nullptr);
  std::map<std::string, MirrorEntry> out;
  if (s == NATS_NOT_FOUND) {
    kvStore_Destroy(kv);
    return out;
  }
  if (s != NATS_OK) {
    kvStore_Destroy(kv);
    return UnavailableError("kv keys: " + std::string(natsStatus_GetText(s)));
  }
  Status status;
  for (int i = 0; i < keys.Count; ++i) {
    const std::string key = keys.Keys[i];
    if (key == kSyncedKey) continue;
    kvEntry* e = nullptr;
    if (kvStore_Get(&e, kv, key.c_str()) != NATS_OK) continue;
    std::string value(static_cast<const char*>(kvEntry_Value(e)),
                      static_cast<size_t>(kvEntry_ValueLen(e)));
    kvEntry_Destroy(e);
    auto entry = DecodeMirrorEntry(key, value);
    if (!entry.ok()) {
      status = entry.status();
      break;
    }
    out[key] = std::move(entry).value();
  }
  kvKeysList_Destroy(&keys);
  kvStore_Destroy(kv);
  if (!status.ok()) return status;
  return out;
}

Model ModelFromEvents(const std::vector<Event>& events) {
  // Per key, in sequence order; keys are independent.
  std::map<std::string, std::map<uint64_t, const Event*>> by_key;
  for (const auto& e : events) by_key[e.partition_key][e.sequence] = &e;
  Model model;
  for (const auto& [key, seqs] : by_key) {
    for (const auto& [seq, ev] : seqs) {
      const DomainEvent& d = ev->body;
      const std::string rd = FoldName(d.resource);
      switch (d.type) {
        case EventType::kResourceCreated: {
          auto& r = model[rd];
          r.sizes.clear();
          for (const auto& v : d.volumes) r.sizes[v.volume_number] = v.size_kib;
          break;
        }
        case EventType::kResourceDeleted:
          model.erase(rd);
          break;
        case EventType::kVolumeResized:
          model[rd].sizes[d.volume_number] = d.new_size_kib;
          break;
        case EventType::kReplicaCreated:
          model[rd].replicas[FoldName(d.node)].in_use = d.in_use;
          break;
        case EventType::kReplicaDeleted:
          model[rd].replicas.erase(FoldName(d.node));
          break;
        case EventType::kVolumeAttached:
          model[rd].replicas[FoldName(d.node)].in_use = Tri::kTrue;
          break;
        case EventType::kVolumeDetached:
          model[rd].replicas[FoldName(d.node)].in_use = Tri::kFalse;
          break;
        default:
          break;
      }
    }
  }
  // Resources that only ever had replica events but no definition yet are kept: LINSTOR's view
  // can list replicas of a definition created between the two list polls.
  return model;
}

Model ModelFromSnapshot(const Snapshot& s) {
  Model model;
  for (const auto& [name, rd] : s.resource_definitions) {
    auto& r = model[name];
    for (const auto& v : rd.volumes) r.sizes[v.volume_number] = v.size_kib;
  }
  for (const auto& [name, reps] : s.replicas) {
    for (const auto& [node, rep] : reps) model[name].replicas[node].in_use = rep.in_use;
  }
  return model;
}

std::string CompareModels(const Model& ev, const Model& ls) {
  std::ostringstream os;
  int problems = 0;
  auto note = [&](const std::string& s) {
    if (problems++ < 10) os << s << "\n";
  };
  for (const auto& [name, r] : ls) {
    auto it = ev.find(name);
    if (it == ev.end()) {
      note("resource " + name + " exists in LINSTOR but not in the events");
      continue;
    }
    for (const auto& [v, size] : r.sizes) {
      auto s = it->second.sizes.find(v);
      if (s == it->second.sizes.end()) {
        note("resource " + name + " volume " + std::to_string(v) + " never announced by events");
      } else if (s->second != size) {
        note("resource " + name + " volume " + std::to_string(v) + " size " +
             std::to_string(s->second) + " in events, " + std::to_string(size) + " in LINSTOR");
      }
    }
    for (const auto& [node, rep] : r.replicas) {
      auto x = it->second.replicas.find(node);
      if (x == it->second.replicas.end()) {
        note("replica " + name + "@" + node + " missing from the events");
        continue;
      }
      if (rep.in_use != Tri::kUnknown && x->second.in_use != Tri::kUnknown &&
          rep.in_use != x->second.in_use) {
        note("replica " + name + "@" + node + " in_use differs");
      }
      if (rep.in_use != Tri::kUnknown && x->second.in_use == Tri::kUnknown &&
          rep.in_use == Tri::kTrue) {
        note("replica " + name + "@" + node + " attached in LINSTOR, never in the events");
      }
    }
    for (const auto& [node, rep] : it->second.replicas) {
      if (!r.replicas.count(node)) note("replica " + name + "@" + node + " deleted, not in events");
    }
  }
  for (const auto& [name, r] : ev) {
    if (!ls.count(name)) note("resource " + name + " in the events but gone from LINSTOR");
  }
  if (problems > 10) os << "... " << problems << " differences\n";
  return os.str();
}

std::string CheckStream(const std::vector<StreamMessage>& messages, std::vector<Event>* events,
                        size_t* copies) {
  std::ostringstream os;
  std::map<std::pair<std::string, uint64_t>, std::string> content;
  std::map<std::string, std::set<uint64_t>> seqs;
  *copies = 0;
  for (const auto& m : messages) {
    auto ev = DecodeEvent(m.data);
    if (!ev.ok()) {
      os << "stream seq " << m.stream_sequence << ": " << ev.status().ToString() << "\n";
      continue;
    }
    if (ev->NatsSubject() != m.subject) {
      os << "stream seq " << m.stream_sequence << ": subject " << m.subject << " != envelope\n";
    }
    if (m.msg_id != ev->Id()) os << "stream seq " << m.stream_sequence << ": Nats-Msg-Id differs\n";
    const auto k = std::make_pair(ev->partition_key, ev->sequence);
    const std::string digest = ContentDigest(*ev);
    auto it = content.find(k);
    if (it != content.end()) {
      ++*copies;
      if (it->second != digest) {
        os << "(key, sequence) (" << k.first << ", " << k.second
           << ") reused for different content\n";
      }
      continue;
    }
    content[k] = digest;
    seqs[ev->partition_key].insert(ev->sequence);
    events->push_back(std::move(ev).value());
  }
  for (const auto& [key, s] : seqs) {
    uint64_t expect = 1;
    for (uint64_t q : s) {
      if (q != expect) {
        os << "key " << key << ": sequence " << expect << " missing (next is " << q << ")\n";
        break;
      }
      ++expect;
    }
  }
  return os.str();
}

StatusOr<Snapshot> FetchLinstor(const std::string& url, const Clock& clock) {
  LinstorClientOptions o;
  o.urls = {url};
  o.page_size = 0;
  LinstorClient client(o, clock, nullptr, nullptr);
  PollStats stats;
  LNSIM_ASSIGN_OR_RETURN(Snapshot s, client.FetchSnapshot(&stats));
  FinalizeSnapshot(&s, DiffOptions());
  return s;
}

}  // namespace lnsim::bridge::testing
