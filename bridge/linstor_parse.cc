// simdjson On-Demand parsing of LINSTOR list responses (see linstor_parse.h). Exceptions from
// simdjson are caught here and become kDataLoss; none leaves this file.
#include "bridge/linstor_parse.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>

namespace lnsim::bridge {

namespace dom = simdjson::dom;

struct LinstorParser::Impl {
  dom::parser parser;
};

namespace {

class ParseError : public std::exception {
 public:
  explicit ParseError(std::string what) : what_(std::move(what)) {}
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

using Elem = dom::element;
using Type = dom::element_type;

std::string_view GetString(Elem v, std::string_view key) {
  if (v.type() != Type::STRING) throw ParseError("'" + std::string(key) + "' is not a string");
  return std::string_view(v);
}

std::optional<bool> GetOptBool(Elem v, std::string_view key) {
  const auto t = v.type();
  if (t == Type::NULL_VALUE) return std::nullopt;
  if (t != Type::BOOL) throw ParseError("'" + std::string(key) + "' is not a bool");
  return bool(v);
}

int64_t GetInt(Elem v, std::string_view key) {
  const auto t = v.type();
  if (t == Type::INT64) return int64_t(v);
  if (t == Type::UINT64) {
    const uint64_t u = uint64_t(v);
    return u > uint64_t(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(u);
  }
  if (t == Type::DOUBLE) return static_cast<int64_t>(double(v));
  throw ParseError("'" + std::string(key) + "' is not a number");
}

dom::array RequireArrayOf(Elem v, std::string_view what) {
  if (v.type() != Type::ARRAY) throw ParseError("'" + std::string(what) + "' is not an array");
  return dom::array(v);
}

template <typename Fn>
void ForEachString(Elem v, std::string_view key, Fn fn) {
  for (Elem item : RequireArrayOf(v, key)) fn(GetString(item, key));
}

dom::object RequireObject(Elem v, std::string_view what) {
  if (v.type() != Type::OBJECT) throw ParseError(std::string(what) + " is not an object");
  return dom::object(v);
}

template <typename Fn>
Status Run(dom::parser& parser, std::string& body, std::string_view what, Fn fn) {
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  try {
    simdjson::padded_string_view view(body.data(), body.size(), body.capacity());
    Elem doc = parser.parse(view);
    if (doc.type() != Type::ARRAY) throw ParseError("response is not a JSON array");
    fn(dom::array(doc));
    return OkStatus();
  } catch (const simdjson::simdjson_error& e) {
    return DataLossError(std::string(what) + ": malformed JSON: " + e.what());
  } catch (const ParseError& e) {
    return DataLossError(std::string(what) + ": " + e.what());
  } catch (const std::exception& e) {
    return DataLossError(std::string(what) + ": " + e.what());
  }
}

void ParseConnections(Elem v, Replica* r) {
  r->connections.reserve(4);
  for (auto field : RequireObject(v, "connections")) {
    std::string_view peer = field.key;
    PeerConnection c;
    c.display = std::string(peer);
    c.peer = FoldName(peer);
    Elem cv = field.value;
    for (auto cf : RequireObject(cv, "connection")) {
      std::string_view k = cf.key;
      if (k == "connected") {
        c.connected = GetOptBool(cf.value, k).value_or(false);
      } else if (k == "message") {
        c.message = std::string(GetString(cf.value, k));
      }
    }
    r->connections.push_back(std::move(c));
  }
}

// layer_object: {"type":..., "drbd":{..., "connections":{...}}, "children":[...]}.
void ParseLayer(Elem v, Replica* r, int depth) {
  if (depth > 8) throw ParseError("layer_object nested too deep");
  for (auto field : RequireObject(v, "layer_object")) {
    std::string_view k = field.key;
    if (k == "drbd") {
      for (auto df : RequireObject(field.value, "drbd")) {
        std::string_view dk = df.key;
        if (dk == "connections") ParseConnections(df.value, r);
      }
    } else if (k == "children") {
      for (Elem child : RequireArrayOf(field.value, "children")) ParseLayer(child, r, depth + 1);
    }
  }
}

void ParseReplicaVolume(Elem v, Replica* r) {
  ReplicaVolume vol;
  bool has_number = false;
  for (auto field : RequireObject(v, "volume")) {
    std::string_view k = field.key;
    if (k == "volume_number") {
      vol.volume_number = static_cast<int32_t>(GetInt(field.value, k));
      has_number = true;
    } else if (k == "storage_pool_name") {
      vol.storage_pool = std::string(GetString(field.value, k));
    } else if (k == "state") {
      for (auto sf : RequireObject(field.value, "volume state")) {
        std::string_view sk = sf.key;
        if (sk == "disk_state") {
          SplitDiskState(GetString(sf.value, sk), &vol.disk_state, &vol.done_percentage);
        }
      }
    }
  }
  if (!has_number) throw ParseError("volume without 'volume_number'");
  r->volumes.push_back(std::move(vol));
}

void FoldInto(std::string_view name, std::string* out) {
  out->assign(name);
  for (char& c : *out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

}  // namespace

LinstorParser::LinstorParser() : impl_(std::make_unique<Impl>()) {}
LinstorParser::~LinstorParser() = default;

Status LinstorParser::ParseNodes(std::string& body, Snapshot* out, size_t* count) {
  *count = 0;
  return Run(impl_->parser, body, "GET /v1/nodes", [&](dom::array arr) {
    for (Elem item : arr) {
      NodeState n;
      for (auto field : RequireObject(item, "node")) {
        std::string_view k = field.key;
        if (k == "name") {
          n.name = std::string(GetString(field.value, k));
        } else if (k == "connection_status") {
          n.connection_status = std::string(GetString(field.value, k));
        } else if (k == "flags") {
          ForEachString(field.value, k, [&](std::string_view f) {
            if (f == "EVICTED") n.evicted = true;
          });
        }
      }
      if (n.name.empty()) throw ParseError("node without 'name'");
      out->nodes[FoldName(n.name)] = std::move(n);
      ++*count;
    }
  });
}

Status LinstorParser::ParseStoragePools(std::string& body, Snapshot* out, size_t* count) {
  *count = 0;
  return Run(impl_->parser, body, "GET /v1/view/storage-pools", [&](dom::array arr) {
    for (Elem item : arr) {
      PoolState p;
      for (auto field : RequireObject(item, "storage pool")) {
        std::string_view k = field.key;
        if (k == "storage_pool_name") {
          p.name = std::string(GetString(field.value, k));
        } else if (k == "node_name") {
          p.node = std::string(GetString(field.value, k));
        } else if (k == "provider_kind") {
          p.provider_kind = std::string(GetString(field.value, k));
        } else if (k == "free_capacity") {
          p.free_capacity_kib = GetInt(field.value, k);
        } else if (k == "total_capacity") {
          p.total_capacity_kib = GetInt(field.value, k);
        }
      }
      if (p.name.empty() || p.node.empty()) throw ParseError("storage pool without name or node");
      out->pools[{FoldName(p.node), FoldName(p.name)}] = std::move(p);
      ++*count;
    }
  });
}

Status LinstorParser::ParseResourceDefinitions(std::string& body, Snapshot* out, size_t* count) {
  *count = 0;
  return Run(impl_->parser, body, "GET /v1/resource-definitions", [&](dom::array arr) {
    for (Elem item : arr) {
      ResourceDefinitionState rd;
      for (auto field : RequireObject(item, "resource definition")) {
        std::string_view k = field.key;
        if (k == "name") {
          rd.name = std::string(GetString(field.value, k));
        } else if (k == "resource_group_name") {
          rd.resource_group = std::string(GetString(field.value, k));
        } else if (k == "volume_definitions") {
          for (Elem vd : RequireArrayOf(field.value, "volume_definitions")) {
            VolumeDefinitionState v;
            bool has_number = false;
            for (auto vf : RequireObject(vd, "volume definition")) {
              std::string_view vk = vf.key;
              if (vk == "volume_number") {
                v.volume_number = static_cast<int32_t>(GetInt(vf.value, vk));
                has_number = true;
              } else if (vk == "size_kib") {
                v.size_kib = GetInt(vf.value, vk);
              }
            }
            if (!has_number) throw ParseError("volume definition without 'volume_number'");
            rd.volumes.push_back(v);
          }
        }
      }
      if (rd.name.empty()) throw ParseError("resource definition without 'name'");
      std::sort(rd.volumes.begin(), rd.volumes.end(),
                [](const auto& a, const auto& b) { return a.volume_number < b.volume_number; });
      out->resource_definitions[FoldName(rd.name)] = std::move(rd);
      ++*count;
    }
  });
}

Status LinstorParser::ParseResources(std::string& body, Snapshot* out, size_t* count) {
  *count = 0;
  return Run(impl_->parser, body, "GET /v1/view/resources", [&](dom::array arr) {
    std::string rd_key, node_key, current_key;
    std::map<std::string, Replica>* current = nullptr;
    for (Elem item : arr) {
      Replica r;
      for (auto field : RequireObject(item, "resource")) {
        std::string_view k = field.key;
        if (k == "name") {
          r.resource = std::string(GetString(field.value, k));
        } else if (k == "node_name") {
          r.node = std::string(GetString(field.value, k));
        } else if (k == "flags") {
          ForEachString(field.value, k, [&](std::string_view f) {
            if (f == "DISKLESS") r.diskless = true;
            if (f == "TIE_BREAKER") r.tie_breaker = true;
          });
        } else if (k == "state") {
          r.live = true;
          for (auto sf : RequireObject(field.value, "state")) {
            std::string_view sk = sf.key;
            if (sk == "in_use") {
              auto b = GetOptBool(sf.value, sk);
              r.in_use = !b ? Tri::kUnknown : (*b ? Tri::kTrue : Tri::kFalse);
            }
          }
        } else if (k == "layer_object") {
          ParseLayer(field.value, &r, 0);
        } else if (k == "volumes") {
          for (Elem vol : RequireArrayOf(field.value, "volumes")) ParseReplicaVolume(vol, &r);
        }
      }
      if (r.resource.empty() || r.node.empty())
        throw ParseError("resource without name or node_name");
      std::sort(r.volumes.begin(), r.volumes.end(),
                [](const auto& a, const auto& b) { return a.volume_number < b.volume_number; });
      std::sort(r.connections.begin(), r.connections.end(),
                [](const auto& a, const auto& b) { return a.peer < b.peer; });
      // LINSTOR lists the replicas of one resource next to each other: reuse the last map.
      FoldInto(r.resource, &rd_key);
      if (current == nullptr || rd_key != current_key) {
        current = &out->replicas[rd_key];
        current_key = rd_key;
      }
      FoldInto(r.node, &node_key);
      auto hint = current->empty() || current->rbegin()->first < node_key
                      ? current->end()
                      : current->lower_bound(node_key);
      if (hint != current->end() && hint->first == node_key) {
        hint->second = std::move(r);
      } else {
        current->emplace_hint(hint, node_key, std::move(r));
      }
      ++*count;
    }
  });
}

void LinstorParser::SortSnapshot(Snapshot* out) {
  for (auto& [rd, reps] : out->replicas) {
    for (auto& [node, r] : reps) {
      std::sort(r.volumes.begin(), r.volumes.end(),
                [](const auto& a, const auto& b) { return a.volume_number < b.volume_number; });
      std::sort(r.connections.begin(), r.connections.end(),
                [](const auto& a, const auto& b) { return a.peer < b.peer; });
    }
  }
}

void SplitDiskState(std::string_view raw, std::string* label, std::optional<double>* percent) {
  percent->reset();
  const size_t open = raw.find('(');
  if (open == std::string_view::npos || raw.empty() || raw.back() != ')') {
    label->assign(raw);
    return;
  }
  label->assign(raw.substr(0, open));
  std::string_view inner = raw.substr(open + 1, raw.size() - open - 2);
  if (!inner.empty() && inner.back() == '%') inner.remove_suffix(1);
  double v = 0;
  auto r = std::from_chars(inner.data(), inner.data() + inner.size(), v);
  if (r.ec == std::errc() && r.ptr == inner.data() + inner.size()) *percent = v;
}

size_t SseParser::Feed(std::string_view chunk, std::vector<SseEvent>* out) {
  buffer_.append(chunk);
  size_t garbage = 0;
  size_t start = 0;
  while (true) {
    size_t nl = buffer_.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(buffer_.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    start = nl + 1;
    if (line.empty()) {
      if (has_data_ || !current_.name.empty()) out->push_back(std::move(current_));
      current_ = SseEvent();
      has_data_ = false;
      continue;
    }
    if (line[0] == ':') continue;  // comment / keep-alive
    const size_t colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    if (field == "event") {
      current_.name = std::string(value);
    } else if (field == "data") {
      if (has_data_) current_.data.push_back('\n');
      current_.data.append(value);
      has_data_ = true;
    } else if (field == "id" || field == "retry") {
      // LINSTOR sends neither; ignored.
    } else {
      ++garbage;
    }
  }
  buffer_.erase(0, start);
  if (buffer_.size() > (1u << 20)) {  // a line longer than 1 MiB: garbage, drop it
    buffer_.clear();
    ++garbage;
  }
  return garbage;
}

void SseParser::Reset() {
  buffer_.clear();
  current_ = SseEvent();
  has_data_ = false;
}

}  // namespace lnsim::bridge
