// Stream/bucket setup and crash recovery from NATS (see recovery.h).
#include "bridge/recovery.h"

#include <cstring>

#include "bridge/event.h"

namespace lnsim::bridge {
namespace {

std::string NatsText(natsStatus s) {
  std::string out = natsStatus_GetText(s);
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0' && out != last) out += std::string(": ") + last;
  return out;
}

std::string Sanitize(std::string_view cluster) {
  std::string out = EscapeToken(cluster);
  for (char& c : out) {
    if (c == '=') c = '_';
  }
  return out;
}

}  // namespace

std::string DefaultStreamName(std::string_view cluster) {
  std::string s = "LINSTOR_" + Sanitize(cluster);
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

std::string DefaultBucketName(std::string_view cluster) {
  return "linstor_" + Sanitize(cluster) + "_state";
}

std::string MirrorSubject(std::string_view bucket, std::string_view key) {
  return "$KV." + std::string(bucket) + "." + std::string(key);
}

Status EnsureStreamAndBucket(jsCtx* js, std::string_view cluster, const StreamSettings& settings,
                             Logger* logger) {
  const std::string subjects = StreamSubjects(cluster);
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js, settings.stream.c_str(), nullptr, &jerr);
  const int64_t dup_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(settings.dedup_window).count();
  if (s == NATS_NOT_FOUND) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = settings.stream.c_str();
    const char* subj[] = {subjects.c_str()};
    cfg.Subjects = subj;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = settings.replicas;
    cfg.Duplicates = dup_ns;
    s = js_AddStream(&si, js, &cfg, nullptr, &jerr);
    if (s != NATS_OK) {
      return UnavailableError("cannot create stream " + settings.stream + ": " + NatsText(s));
    }
    if (logger) {
      logger->Log("info", "created JetStream stream",
                  {{"stream", settings.stream},
                   {"subjects", subjects},
                   {"duplicate_window_ns", std::to_string(dup_ns)}});
    }
    jsStreamInfo_Destroy(si);
  } else if (s != NATS_OK) {
    return UnavailableError("cannot read stream " + settings.stream + ": " + NatsText(s));
  } else {
    bool covers = false;
    for (int i = 0; i < si->Config->SubjectsLen; ++i) {
      const std::string have = si->Config->Subjects[i];
      if (have == subjects || have == ">" || have == "linstor.>" || have == "linstor.v1.>") {
        covers = true;
      }
    }
    const int64_t have_dup = si->Config->Duplicates;
    if (!covers) {
      jsStreamInfo_Destroy(si);
      return FailedPreconditionError("stream " + settings.stream + " does not capture " + subjects);
    }
    if (have_dup != dup_ns) {
      jsStreamConfig cfg = *si->Config;
      cfg.Duplicates = dup_ns;
      jsStreamInfo* updated = nullptr;
      s = js_UpdateStream(&updated, js, &cfg, nullptr, &jerr);
      if (s == NATS_OK) {
        jsStreamInfo_Destroy(updated);
        if (logger) {
          logger->Log("info", "updated the stream's duplicate window",
                      {{"stream", settings.stream},
                       {"from_ns", std::to_string(have_dup)},
                       {"to_ns", std::to_string(dup_ns)}});
        }
      } else if (logger) {
        logger->Log("warn", "cannot update the stream's duplicate window",
                    {{"stream", settings.stream}, {"reason", NatsText(s)}});
      }
    }
    jsStreamInfo_Destroy(si);
  }
  kvStore* kv = nullptr;
  s = js_KeyValue(&kv, js, settings.bucket.c_str());
  if (s == NATS_NOT_FOUND) {
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = settings.bucket.c_str();
    kc.History = 1;
    kc.Replicas = settings.replicas;
    kc.StorageType = js_FileStorage;
    s = js_CreateKeyValue(&kv, js, &kc);
    if (s == NATS_OK && logger) {
      logger->Log("info", "created state mirror bucket", {{"bucket", settings.bucket}});
    }
  }
  if (s != NATS_OK) {
    return UnavailableError("cannot open KV bucket " + settings.bucket + ": " + NatsText(s));
  }
  kvStore_Destroy(kv);
  return OkStatus();
}

StatusOr<Recovered> Recover(natsConnection* nc, jsCtx* js, std::string_view cluster,
                            const StreamSettings& settings, Logger* logger) {
  (void)nc;
  (void)cluster;
  Recovered out;
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, js, settings.bucket.c_str());
  if (s != NATS_OK) {
    return UnavailableError("cannot open KV bucket " + settings.bucket + ": " + NatsText(s));
  }
  kvWatcher* w = nullptr;
  kvWatchOptions wo;
  kvWatchOptions_Init(&wo);
  wo.IgnoreDeletes = true;
  s = kvStore_WatchAll(&w, kv, &wo);
  if (s != NATS_OK) {
    kvStore_Destroy(kv);
    return UnavailableError("cannot watch KV bucket " + settings.bucket + ": " + NatsText(s));
  }
  std::vector<MirrorEntry> entries;
  Status status;
  while (true) {
    kvEntry* e = nullptr;
    s = kvWatcher_Next(&e, w, 10000);
    if (s != NATS_OK) {
      status = UnavailableError("reading KV bucket " + settings.bucket + ": " + NatsText(s));
      break;
    }
    if (e == nullptr) break;  // initial values done
    const std::string key = kvEntry_Key(e);
    const std::string value(static_cast<const char*>(kvEntry_Value(e)),
                            static_cast<size_t>(kvEntry_ValueLen(e)));
    kvEntry_Destroy(e);
    if (key == kSyncedKey) {
      out.synced = true;
      continue;
    }
    auto entry = DecodeMirrorEntry(key, value);
    if (!entry.ok()) {
      status = entry.status();
      break;
    }
    entries.push_back(std::move(entry).value());
  }
  kvWatcher_Destroy(w);
  kvStore_Destroy(kv);
  LNSIM_RETURN_IF_ERROR(status);
  out.entries = entries.size();
  // Whether the stream holds `ev` (or a later event of its key) as the last message on the
  // event's subject.
  auto in_stream = [&](const MirrorEntry& entry, const Event& ev) -> StatusOr<bool> {
    const std::string subject = ev.NatsSubject();
    natsMsg* last = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus st =
        js_GetLastMsg(&last, js, settings.stream.c_str(), subject.c_str(), nullptr, &jerr);
    bool present = false;
    if (st == NATS_OK && last != nullptr) {
      const char* key = nullptr;
      const char* seq = nullptr;
      if (natsMsgHeader_Get(last, kHeaderPartitionKey, &key) == NATS_OK &&
          natsMsgHeader_Get(last, kHeaderSequence, &seq) == NATS_OK && key && seq &&
          entry.key == key && std::strtoull(seq, nullptr, 10) >= ev.sequence) {
        present = true;
      }
    } else if (st != NATS_NOT_FOUND) {
      natsMsg_Destroy(last);
      return UnavailableError("cannot read the last message on " + subject + ": " + NatsText(st));
    }
    natsMsg_Destroy(last);
    return present;
  };
  for (const auto& entry : entries) {
    out.sequences[entry.key] = entry.sequence;
    ApplyMirrorEntry(entry, &out.baseline);
    if (entry.pending.empty()) continue;
    std::vector<Event> pending;
    for (const auto& encoded : entry.pending) {
      auto ev = DecodeEvent(encoded);
      if (!ev.ok()) {
        return DataLossError("state mirror entry '" + entry.key +
                             "' holds a bad pending event: " + ev.status().message());
      }
      pending.push_back(std::move(ev).value());
    }
    // A key publishes in order, one message in flight: if its last pending event is in the
    // stream, all are (the common case, one lookup per key).
    LNSIM_ASSIGN_OR_RETURN(bool last_present, in_stream(entry, pending.back()));
    if (last_present) {
      out.pending_already_published += pending.size();
      continue;
    }
    bool resend_rest = false;
    for (size_t i = 0; i < pending.size(); ++i) {
      const Event& ev = pending[i];
      if (!resend_rest) {
        LNSIM_ASSIGN_OR_RETURN(bool present, in_stream(entry, ev));
        if (present) {
          ++out.pending_already_published;
          continue;
        }
        resend_rest = true;  // order: everything after a missing event is missing too
      }
      OutMessage m;
      m.partition_key = entry.key;
      m.subject = ev.NatsSubject();
      m.payload = entry.pending[i];
      m.msg_id = ev.Id();
      m.sequence = ev.sequence;
      m.observed_unix_ns = ev.time_unix_ns;
      m.event_type = static_cast<int>(ev.body.type);
      out.republish.push_back(std::move(m));
    }
  }
  if (logger) {
    logger->Log("info", "recovered state from NATS",
                {{"bucket", settings.bucket},
                 {"entries", std::to_string(out.entries)},
                 {"synced", out.synced ? "true" : "false"},
                 {"pending_in_stream", std::to_string(out.pending_already_published)},
                 {"pending_to_resend", std::to_string(out.republish.size())}});
  }
  return out;
}

}  // namespace lnsim::bridge
