// Implementation of the event contract (bridge/event.h): escaping, subjects, ids and the
// CloudEvents envelope. Encoding is hand-written (it sits on the publish path); decoding uses
// nlohmann_json because consumers and the verifier value strictness over speed.
#include "bridge/event.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace lnsim::bridge {
namespace {

struct TypeInfo {
  EventType type;
  Entity entity;
  std::string_view name;
  std::string_view label;
  std::string_view ce_type;
};

constexpr TypeInfo kTypes[kEventTypeCount] = {
    {EventType::kNodeOnline, Entity::kNode, "online", "node.online", "io.linstor.node.online.v2"},
    {EventType::kNodeOffline, Entity::kNode, "offline", "node.offline",
     "io.linstor.node.offline.v2"},
    {EventType::kNodeEvicted, Entity::kNode, "evicted", "node.evicted",
     "io.linstor.node.evicted.v2"},
    {EventType::kPoolCapacityLow, Entity::kPool, "capacity_low", "pool.capacity_low",
     "io.linstor.pool.capacity_low.v2"},
    {EventType::kPoolCapacityOk, Entity::kPool, "capacity_ok", "pool.capacity_ok",
     "io.linstor.pool.capacity_ok.v2"},
    {EventType::kResourceCreated, Entity::kResource, "created", "resource.created",
     "io.linstor.resource.created.v2"},
    {EventType::kResourceDeleted, Entity::kResource, "deleted", "resource.deleted",
     "io.linstor.resource.deleted.v2"},
    {EventType::kReplicaCreated, Entity::kReplica, "created", "replica.created",
     "io.linstor.replica.created.v2"},
    {EventType::kReplicaDeleted, Entity::kReplica, "deleted", "replica.deleted",
     "io.linstor.replica.deleted.v2"},
    {EventType::kVolumeAttached, Entity::kVolume, "attached", "volume.attached",
     "io.linstor.volume.attached.v2"},
    {EventType::kVolumeDetached, Entity::kVolume, "detached", "volume.detached",
     "io.linstor.volume.detached.v2"},
    {EventType::kVolumeResized, Entity::kVolume, "resized", "volume.resized",
     "io.linstor.volume.resized.v2"},
    {EventType::kReplicaDiskStateChanged, Entity::kReplica, "disk_state_changed",
     "replica.disk_state_changed", "io.linstor.replica.disk_state_changed.v2"},
    {EventType::kReplicaConnectionLost, Entity::kReplica, "connection_lost",
     "replica.connection_lost", "io.linstor.replica.connection_lost.v2"},
    {EventType::kReplicaConnectionRestored, Entity::kReplica, "connection_restored",
     "replica.connection_restored", "io.linstor.replica.connection_restored.v2"},
    {EventType::kReplicaQuorumLost, Entity::kReplica, "quorum_lost", "replica.quorum_lost",
     "io.linstor.replica.quorum_lost.v2"},
    {EventType::kReplicaQuorumRegained, Entity::kReplica, "quorum_regained",
     "replica.quorum_regained", "io.linstor.replica.quorum_regained.v2"},
};

const TypeInfo& Info(EventType type) {
  const auto index = static_cast<size_t>(type);
  LNSIM_CHECK(index < kEventTypeCount) << "bad event type " << index;
  return kTypes[index];
}

constexpr char kHex[] = "0123456789abcdef";

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void AppendUint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void AppendDouble(std::string& out, double v) {
  if (!std::isfinite(v)) v = 0;
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Appends ,"key":value pieces. `first` handles the comma.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_.push_back('{'); }
  void Key(std::string_view key) {
    if (!first_) out_.push_back(',');
    first_ = false;
    out_.push_back('"');
    out_.append(key);
    out_ += "\":";
  }
  void String(std::string_view key, std::string_view v) {
    Key(key);
    AppendJsonString(out_, v);
  }
  void StringIfSet(std::string_view key, std::string_view v) {
    if (!v.empty()) String(key, v);
  }
  void Int(std::string_view key, int64_t v) {
    Key(key);
    AppendInt(out_, v);
  }
  void Double(std::string_view key, double v) {
    Key(key);
    AppendDouble(out_, v);
  }
  void Bool(std::string_view key, bool v) {
    Key(key);
    out_ += v ? "true" : "false";
  }
  void Close() { out_.push_back('}'); }

 private:
  std::string& out_;
  bool first_ = true;
};

void EncodeData(std::string& out, const DomainEvent& e) {
  ObjectWriter w(out);
  switch (EntityOf(e.type)) {
    case Entity::kNode:
      w.String("node", e.node);
      w.String("connection_status", e.new_state);
      w.StringIfSet("previous_status", e.old_state);
      break;
    case Entity::kPool:
      w.String("node", e.node);
      w.String("pool", e.pool);
      w.Int("free_capacity_kib", e.free_capacity_kib);
      w.Int("total_capacity_kib", e.total_capacity_kib);
      w.Double("threshold_percent", e.threshold_percent);
      break;
    case Entity::kResource:
      w.String("resource", e.resource);
      if (e.type == EventType::kResourceCreated) {
        w.StringIfSet("resource_group", e.resource_group);
        w.Key("volumes");
        out.push_back('[');
        for (size_t i = 0; i < e.volumes.size(); ++i) {
          if (i) out.push_back(',');
          ObjectWriter v(out);
          v.Int("volume_number", e.volumes[i].volume_number);
          v.Int("size_kib", e.volumes[i].size_kib);
          v.Close();
        }
        out.push_back(']');
      }
      break;
    case Entity::kVolume:
      w.String("resource", e.resource);
      if (e.type == EventType::kVolumeResized) {
        w.Int("volume_number", e.volume_number);
        w.Int("old_size_kib", e.old_size_kib);
        w.Int("new_size_kib", e.new_size_kib);
      } else {
        w.String("node", e.node);
      }
      break;
    case Entity::kReplica:
      w.String("resource", e.resource);
      w.String("node", e.node);
      switch (e.type) {
        case EventType::kReplicaCreated:
          w.Bool("diskless", e.diskless);
          w.StringIfSet("storage_pool", e.pool);
          if (e.in_use != Tri::kUnknown) w.Bool("in_use", e.in_use == Tri::kTrue);
          w.Key("volumes");
          out.push_back('[');
          for (size_t i = 0; i < e.volumes.size(); ++i) {
            if (i) out.push_back(',');
            ObjectWriter v(out);
            v.Int("volume_number", e.volumes[i].volume_number);
            v.StringIfSet("disk_state", e.volumes[i].disk_state);
            v.Close();
          }
          out.push_back(']');
          break;
        case EventType::kReplicaDiskStateChanged:
          w.Int("volume_number", e.volume_number);
          w.String("disk_state", e.new_state);
          w.StringIfSet("previous_disk_state", e.old_state);
          if (e.done_percentage) w.Double("done_percentage", *e.done_percentage);
          break;
        case EventType::kReplicaConnectionLost:
        case EventType::kReplicaConnectionRestored:
          w.String("peer", e.peer);
          w.StringIfSet("message", e.new_state);
          w.StringIfSet("previous_message", e.old_state);
          break;
        case EventType::kReplicaQuorumLost:
        case EventType::kReplicaQuorumRegained:
          w.Int("votes", e.quorum_votes);
          w.Int("voters", e.quorum_voters);
          break;
        default:
          break;
      }
      break;
  }
  w.Close();
}

bool IsPlainTokenChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string_view> SplitDots(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}

}  // namespace

std::string_view EntityName(Entity entity) {
  switch (entity) {
    case Entity::kNode:
      return "node";
    case Entity::kPool:
      return "pool";
    case Entity::kResource:
      return "resource";
    case Entity::kReplica:
      return "replica";
    case Entity::kVolume:
      return "volume";
  }
  return "unknown";
}

Entity EntityOf(EventType type) { return Info(type).entity; }
std::string_view EventName(EventType type) { return Info(type).name; }
std::string_view CloudEventType(EventType type) { return Info(type).ce_type; }
std::string_view EventLabel(EventType type) { return Info(type).label; }

std::optional<EventType> EventTypeFromCloudEventType(std::string_view ce_type) {
  for (const auto& info : kTypes) {
    if (info.ce_type == ce_type) return info.type;
  }
  return std::nullopt;
}

std::string FoldName(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string EscapeToken(std::string_view name) {
  if (name.empty()) return "=";
  std::string out;
  out.reserve(name.size() + 8);
  for (unsigned char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    if (IsPlainTokenChar(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('=');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

StatusOr<std::string> UnescapeToken(std::string_view token) {
  if (token == "=") return std::string();
  if (token.empty()) return InvalidArgumentError("empty subject token");
  std::string out;
  out.reserve(token.size());
  for (size_t i = 0; i < token.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(token[i]);
    if (c == '=') {
      if (i + 2 >= token.size()) {
        return InvalidArgumentError("truncated escape in token '" + std::string(token) + "'");
      }
      const int hi = HexValue(token[i + 1]);
      const int lo = HexValue(token[i + 2]);
      if (hi < 0 || lo < 0 || token[i + 1] != kHex[hi] || token[i + 2] != kHex[lo]) {
        return InvalidArgumentError("bad escape in token '" + std::string(token) + "'");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (IsPlainTokenChar(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      return InvalidArgumentError("character 0x" + std::string(1, kHex[c >> 4]) +
                                  std::string(1, kHex[c & 15]) + " not allowed in token '" +
                                  std::string(token) + "'");
    }
  }
  return out;
}

std::string NodePartitionKey(std::string_view node) { return "node." + EscapeToken(node); }
std::string PoolPartitionKey(std::string_view node, std::string_view pool) {
  return "pool." + EscapeToken(node) + "." + EscapeToken(pool);
}
std::string ResourcePartitionKey(std::string_view resource) {
  return "resource." + EscapeToken(resource);
}

std::string PartitionKey(const DomainEvent& event) {
  switch (EntityOf(event.type)) {
    case Entity::kNode:
      return NodePartitionKey(event.node);
    case Entity::kPool:
      return PoolPartitionKey(event.node, event.pool);
    case Entity::kResource:
    case Entity::kReplica:
    case Entity::kVolume:
      return ResourcePartitionKey(event.resource);
  }
  return {};
}

std::string Subject(std::string_view cluster, const DomainEvent& e) {
  std::string s;
  s.reserve(96);
  s.append(kSubjectPrefix);
  s.push_back('.');
  s += EscapeToken(cluster);
  s.push_back('.');
  const TypeInfo& info = Info(e.type);
  s.append(EntityName(info.entity));
  s.push_back('.');
  switch (info.entity) {
    case Entity::kNode:
      s += EscapeToken(e.node);
      break;
    case Entity::kPool:
      s += EscapeToken(e.node);
      s.push_back('.');
      s += EscapeToken(e.pool);
      break;
    case Entity::kResource:
      s += EscapeToken(e.resource);
      break;
    case Entity::kReplica:
      s += EscapeToken(e.resource);
      s.push_back('.');
      s += EscapeToken(e.node);
      break;
    case Entity::kVolume:
      s += EscapeToken(e.resource);
      s.push_back('.');
      if (e.type == EventType::kVolumeResized) {
        AppendInt(s, e.volume_number);
      } else {
        s += EscapeToken(e.node);
      }
      break;
  }
  s.push_back('.');
  s.append(info.name);
  return s;
}

std::string StreamSubjects(std::string_view cluster) {
  return std::string(kSubjectPrefix) + "." + EscapeToken(cluster) + ".>";
}

StatusOr<ParsedSubject> ParseSubject(std::string_view subject) {
  auto bad = [&](std::string why) {
    return InvalidArgumentError("subject '" + std::string(subject) + "': " + why);
  };
  auto tokens = SplitDots(subject);
  if (tokens.size() < 6 || tokens[0] != "linstor" || tokens[1] != "v1") {
    return bad("not linstor.v1.<cluster>.<entity>...");
  }
  ParsedSubject out;
  LNSIM_ASSIGN_OR_RETURN(out.cluster, UnescapeToken(tokens[2]));
  const std::string_view entity = tokens[3];
  const std::string_view name = tokens.back();
  std::optional<EventType> type;
  for (const auto& info : kTypes) {
    if (EntityName(info.entity) == entity && info.name == name) type = info.type;
  }
  if (!type)
    return bad("unknown entity/event '" + std::string(entity) + "." + std::string(name) + "'");
  out.type = *type;
  const size_t n = tokens.size();
  size_t want = 7;
  const Entity kind = EntityOf(*type);
  if (kind == Entity::kNode || kind == Entity::kResource) want = 6;
  if (n != want) {
    return bad(std::string(EntityName(kind)) + " subjects have " + std::to_string(want) +
               " tokens");
  }
  std::string* first = nullptr;
  std::string* second = nullptr;
  switch (kind) {
    case Entity::kNode:
      first = &out.node;
      break;
    case Entity::kPool:
      first = &out.node;
      second = &out.pool;
      break;
    case Entity::kResource:
      first = &out.resource;
      break;
    case Entity::kReplica:
      first = &out.resource;
      second = &out.node;
      break;
    case Entity::kVolume:
      first = &out.resource;
      if (*type != EventType::kVolumeResized) second = &out.node;
      break;
  }
  LNSIM_ASSIGN_OR_RETURN(*first, UnescapeToken(tokens[4]));
  if (second != nullptr) {
    LNSIM_ASSIGN_OR_RETURN(*second, UnescapeToken(tokens[5]));
  } else if (*type == EventType::kVolumeResized) {
    int32_t v = -1;
    const auto t = tokens[5];
    auto r = std::from_chars(t.data(), t.data() + t.size(), v);
    if (r.ec != std::errc() || r.ptr != t.data() + t.size() || v < 0) {
      return bad("volume number '" + std::string(t) + "'");
    }
    out.volume_number = v;
  }
  return out;
}

std::string EventId(std::string_view cluster, std::string_view partition_key, uint64_t sequence) {
  std::string id = EscapeToken(cluster);
  id.push_back('/');
  id.append(partition_key);
  id.push_back('/');
  AppendUint(id, sequence);
  return id;
}

std::string FormatRfc3339Nanos(int64_t unix_ns) {
  int64_t secs = unix_ns / 1000000000;
  int64_t nanos = unix_ns % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    secs -= 1;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(nanos));
  return buf;
}

StatusOr<int64_t> ParseRfc3339Nanos(std::string_view text) {
  // Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)".
  auto bad = [&] { return InvalidArgumentError("bad RFC 3339 time '" + std::string(text) + "'"); };
  if (text.size() < 20) return bad();
  auto num = [&](size_t pos, size_t len, int* out) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
  };
  std::tm tm{};
  int year, mon, day, hour, min, sec;
  if (!num(0, 4, &year) || text[4] != '-' || !num(5, 2, &mon) || text[7] != '-' ||
      !num(8, 2, &day) || (text[10] != 'T' && text[10] != 't') || !num(11, 2, &hour) ||
      text[13] != ':' || !num(14, 2, &min) || text[16] != ':' || !num(17, 2, &sec)) {
    return bad();
  }
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 9) {
        nanos = nanos * 10 + (text[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) return bad();
    while (digits++ < 9) nanos *= 10;
  }
  int64_t offset_s = 0;
  if (pos >= text.size()) return bad();
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int oh, om;
    if (pos + 6 != text.size() || !num(pos + 1, 2, &oh) || text[pos + 3] != ':' ||
        !num(pos + 4, 2, &om)) {
      return bad();
    }
    offset_s = (oh * 3600 + om * 60) * (text[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != text.size()) return bad();
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  const int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset_s;
  return secs * 1000000000 + nanos;
}

std::string FormatSequence(uint64_t sequence) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(sequence));
  return buf;
}

StatusOr<uint64_t> ParseSequence(std::string_view text) {
  uint64_t v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.size() != 20 || r.ec != std::errc() || r.ptr != text.data() + text.size()) {
    return InvalidArgumentError("sequence '" + std::string(text) +
                                "' is not 20 decimal digits (docs/events.md \"sequence\")");
  }
  if (v == 0) return InvalidArgumentError("sequence must be >= 1");
  return v;
}

std::string EncodeEvent(const Event& event) {
  std::string out;
  out.reserve(420);
  ObjectWriter w(out);
  w.String("specversion", "1.0");
  w.String("id", event.Id());
  w.String("source", "/linstor/" + EscapeToken(event.cluster));
  w.String("type", CloudEventType(event.body.type));
  w.String("subject", event.NatsSubject());
  w.String("time", FormatRfc3339Nanos(event.time_unix_ns));
  w.String("datacontenttype", "application/json");
  w.String("partitionkey", event.partition_key);
  w.String("sequence", FormatSequence(event.sequence));
  w.Key("data");
  EncodeData(out, event.body);
  w.Close();
  return out;
}

namespace {

using nlohmann::json;

Status RequireString(const json& obj, const char* key, std::string* out, bool optional = false) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (optional) return OkStatus();
    return InvalidArgumentError(std::string("missing '") + key + "'");
  }
  if (!it->is_string()) return InvalidArgumentError(std::string("'") + key + "' is not a string");
  *out = it->get<std::string>();
  return OkStatus();
}

template <typename Int>
Status RequireInt(const json& obj, const char* key, Int* out, bool optional = false) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (optional) return OkStatus();
    return InvalidArgumentError(std::string("missing '") + key + "'");
  }
  if (!it->is_number_integer()) {
    return InvalidArgumentError(std::string("'") + key + "' is not an integer");
  }
  *out = it->get<Int>();
  return OkStatus();
}

Status RequireDouble(const json& obj, const char* key, double* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return InvalidArgumentError(std::string("missing '") + key + "'");
  if (!it->is_number()) return InvalidArgumentError(std::string("'") + key + "' is not a number");
  *out = it->get<double>();
  return OkStatus();
}

Status RequireBool(const json& obj, const char* key, bool* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return InvalidArgumentError(std::string("missing '") + key + "'");
  if (!it->is_boolean()) return InvalidArgumentError(std::string("'") + key + "' is not a bool");
  *out = it->get<bool>();
  return OkStatus();
}

Status DecodeData(const json& d, DomainEvent* e) {
  if (!d.is_object()) return InvalidArgumentError("'data' is not an object");
  switch (EntityOf(e->type)) {
    case Entity::kNode:
      LNSIM_RETURN_IF_ERROR(RequireString(d, "node", &e->node));
      LNSIM_RETURN_IF_ERROR(RequireString(d, "connection_status", &e->new_state));
      LNSIM_RETURN_IF_ERROR(RequireString(d, "previous_status", &e->old_state, true));
      break;
    case Entity::kPool:
      LNSIM_RETURN_IF_ERROR(RequireString(d, "node", &e->node));
      LNSIM_RETURN_IF_ERROR(RequireString(d, "pool", &e->pool));
      LNSIM_RETURN_IF_ERROR(RequireInt(d, "free_capacity_kib", &e->free_capacity_kib));
      LNSIM_RETURN_IF_ERROR(RequireInt(d, "total_capacity_kib", &e->total_capacity_kib));
      LNSIM_RETURN_IF_ERROR(RequireDouble(d, "threshold_percent", &e->threshold_percent));
      break;
    case Entity::kResource:
      LNSIM_RETURN_IF_ERROR(RequireString(d, "resource", &e->resource));
      if (e->type == EventType::kResourceCreated) {
        LNSIM_RETURN_IF_ERROR(RequireString(d, "resource_group", &e->resource_group, true));
        auto it = d.find("volumes");
        if (it == d.end() || !it->is_array()) {
          return InvalidArgumentError("'volumes' missing or not an array");
        }
        for (const auto& v : *it) {
          if (!v.is_object()) return InvalidArgumentError("'volumes[]' is not an object");
          VolumeInfo info;
          LNSIM_RETURN_IF_ERROR(RequireInt(v, "volume_number", &info.volume_number));
          LNSIM_RETURN_IF_ERROR(RequireInt(v, "size_kib", &info.size_kib));
          e->volumes.push_back(std::move(info));
        }
      }
      break;
    case Entity::kVolume:
      LNSIM_RETURN_IF_ERROR(RequireString(d, "resource", &e->resource));
      if (e->type == EventType::kVolumeResized) {
        LNSIM_RETURN_IF_ERROR(RequireInt(d, "volume_number", &e->volume_number));
        LNSIM_RETURN_IF_ERROR(RequireInt(d, "old_size_kib", &e->old_size_kib));
        LNSIM_RETURN_IF_ERROR(RequireInt(d, "new_size_kib", &e->new_size_kib));
      } else {
        LNSIM_RETURN_IF_ERROR(RequireString(d, "node", &e->node));
      }
      break;
    case Entity::kReplica:
      LNSIM_RETURN_IF_ERROR(RequireString(d, "resource", &e->resource));
      LNSIM_RETURN_IF_ERROR(RequireString(d, "node", &e->node));
      switch (e->type) {
        case EventType::kReplicaCreated: {
          LNSIM_RETURN_IF_ERROR(RequireBool(d, "diskless", &e->diskless));
          LNSIM_RETURN_IF_ERROR(RequireString(d, "storage_pool", &e->pool, true));
          if (auto it = d.find("in_use"); it != d.end()) {
            if (!it->is_boolean()) return InvalidArgumentError("'in_use' is not a bool");
            e->in_use = it->get<bool>() ? Tri::kTrue : Tri::kFalse;
          }
          auto it = d.find("volumes");
          if (it == d.end() || !it->is_array()) {
            return InvalidArgumentError("'volumes' missing or not an array");
          }
          for (const auto& v : *it) {
            if (!v.is_object()) return InvalidArgumentError("'volumes[]' is not an object");
            VolumeInfo info;
            LNSIM_RETURN_IF_ERROR(RequireInt(v, "volume_number", &info.volume_number));
            LNSIM_RETURN_IF_ERROR(RequireString(v, "disk_state", &info.disk_state, true));
            e->volumes.push_back(std::move(info));
          }
          break;
        }
        case EventType::kReplicaDiskStateChanged:
          LNSIM_RETURN_IF_ERROR(RequireInt(d, "volume_number", &e->volume_number));
          LNSIM_RETURN_IF_ERROR(RequireString(d, "disk_state", &e->new_state));
          LNSIM_RETURN_IF_ERROR(RequireString(d, "previous_disk_state", &e->old_state, true));
          if (d.contains("done_percentage")) {
            double pct = 0;
            LNSIM_RETURN_IF_ERROR(RequireDouble(d, "done_percentage", &pct));
            e->done_percentage = pct;
          }
          break;
        case EventType::kReplicaConnectionLost:
        case EventType::kReplicaConnectionRestored:
          LNSIM_RETURN_IF_ERROR(RequireString(d, "peer", &e->peer));
          LNSIM_RETURN_IF_ERROR(RequireString(d, "message", &e->new_state, true));
          LNSIM_RETURN_IF_ERROR(RequireString(d, "previous_message", &e->old_state, true));
          break;
        case EventType::kReplicaQuorumLost:
        case EventType::kReplicaQuorumRegained:
          LNSIM_RETURN_IF_ERROR(RequireInt(d, "votes", &e->quorum_votes));
          LNSIM_RETURN_IF_ERROR(RequireInt(d, "voters", &e->quorum_voters));
          break;
        default:
          break;
      }
      break;
  }
  return OkStatus();
}

// The previous event format (v1) had an integer `sequence` and ".v1" types: name the version
// change instead of failing on a detail.
Status CheckFormatVersion(const json& j, std::string_view type) {
  auto seq = j.find("sequence");
  if (seq != j.end() && seq->is_number()) {
    return InvalidArgumentError(std::string(kEventFormatV1Rule) + " (integer 'sequence')");
  }
  constexpr std::string_view kV1 = ".v1";
  if (type.size() > kV1.size() && type.substr(type.size() - kV1.size()) == kV1 &&
      EventTypeFromCloudEventType(std::string(type.substr(0, type.size() - 1)) + "2")) {
    return InvalidArgumentError(std::string(kEventFormatV1Rule) + " (type '" + std::string(type) +
                                "')");
  }
  return OkStatus();
}

StatusOr<Event> DecodeEventImpl(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgumentError("event is not valid JSON");
  if (!j.is_object()) return InvalidArgumentError("event is not a JSON object");
  std::string specversion, id, source, type, subject, time, content_type, partition_key;
  LNSIM_RETURN_IF_ERROR(RequireString(j, "specversion", &specversion));
  if (specversion != "1.0") return InvalidArgumentError("specversion is not 1.0");
  LNSIM_RETURN_IF_ERROR(RequireString(j, "id", &id));
  LNSIM_RETURN_IF_ERROR(RequireString(j, "source", &source));
  LNSIM_RETURN_IF_ERROR(RequireString(j, "type", &type));
  LNSIM_RETURN_IF_ERROR(CheckFormatVersion(j, type));
  LNSIM_RETURN_IF_ERROR(RequireString(j, "subject", &subject));
  LNSIM_RETURN_IF_ERROR(RequireString(j, "time", &time));
  LNSIM_RETURN_IF_ERROR(RequireString(j, "datacontenttype", &content_type));
  if (content_type != "application/json") {
    return InvalidArgumentError("datacontenttype is not application/json");
  }
  LNSIM_RETURN_IF_ERROR(RequireString(j, "partitionkey", &partition_key));
  Event event;
  std::string sequence;
  LNSIM_RETURN_IF_ERROR(RequireString(j, "sequence", &sequence));
  LNSIM_ASSIGN_OR_RETURN(event.sequence, ParseSequence(sequence));
  auto ce_type = EventTypeFromCloudEventType(type);
  if (!ce_type) return InvalidArgumentError("unknown type '" + type + "'");
  event.body.type = *ce_type;
  LNSIM_ASSIGN_OR_RETURN(event.time_unix_ns, ParseRfc3339Nanos(time));
  auto data = j.find("data");
  if (data == j.end()) return InvalidArgumentError("missing 'data'");
  LNSIM_RETURN_IF_ERROR(DecodeData(*data, &event.body));
  LNSIM_ASSIGN_OR_RETURN(ParsedSubject parsed, ParseSubject(subject));
  if (parsed.type != event.body.type) {
    return InvalidArgumentError("subject '" + subject + "' does not match type '" + type + "'");
  }
  event.cluster = parsed.cluster;
  event.partition_key = partition_key;
  if (PartitionKey(event.body) != partition_key) {
    return InvalidArgumentError("partitionkey '" + partition_key + "' does not match data");
  }
  if (Subject(event.cluster, event.body) != subject) {
    return InvalidArgumentError("subject '" + subject + "' does not match data");
  }
  if (event.Id() != id) return InvalidArgumentError("id '" + id + "' is not cluster/key/sequence");
  if (source != "/linstor/" + EscapeToken(event.cluster)) {
    return InvalidArgumentError("source '" + source + "' does not match the subject's cluster");
  }
  return event;
}

}  // namespace

StatusOr<Event> DecodeEvent(std::string_view json_text) {
  try {
    return DecodeEventImpl(json_text);
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("event: ") + e.what());
  }
}

std::string ContentDigest(const Event& event) {
  std::string out(CloudEventType(event.body.type));
  out.push_back('\n');
  out += event.NatsSubject();
  out.push_back('\n');
  EncodeData(out, event.body);
  return out;
}

}  // namespace lnsim::bridge
