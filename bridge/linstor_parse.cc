// simdjson parsing of LINSTOR list responses (see linstor_parse.h). Exceptions from simdjson
// are caught here and become kDataLoss; none leaves this file.
//
// /v1/view/resources, the big list, is read in two passes: simdjson On-Demand walks the array
// and hands out each object's raw bytes; an object whose bytes equal (memcmp) those of an object
// parsed in the previous poll reuses that parse, any other object is parsed with the DOM parser
// (which validates it fully) and remembered. Reuse is exact: same bytes, same Replica.
#include "bridge/linstor_parse.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <unordered_map>

namespace lnsim::bridge {

namespace dom = simdjson::dom;

namespace {

// Bytes of remembered objects, in big blocks apart from the small allocations of snapshots:
// interleaved with them they would spread a snapshot's map nodes over the whole body's size of
// memory (a cache and TLB miss per node on every walk). Compacted when mostly garbage.
class ByteArena {
 public:
  std::string_view Store(std::string_view s) {
    if (blocks_.empty() || used_ + s.size() > capacity_) {
      capacity_ = std::max(kBlock, s.size());
      blocks_.push_back(std::make_unique<char[]>(capacity_));
      used_ = 0;
    }
    char* dst = blocks_.back().get() + used_;
    std::memcpy(dst, s.data(), s.size());
    used_ += s.size();
    total_ += s.size();
    return {dst, s.size()};
  }
  size_t total() const { return total_; }

 private:
  static constexpr size_t kBlock = size_t{4} << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t capacity_ = 0, used_ = 0, total_ = 0;
};

// One replica object of /v1/view/resources as last parsed.
struct CachedReplica {
  std::string_view bytes;  // in the parser's ByteArena; empty: nothing can match
  std::string rd_key;      // folded resource name
  std::string node_key;    // folded node name
  Replica replica;         // as parsed (before FinalizeSnapshot)
  uint64_t used_gen = 0;
  // The object that followed this one last time (nullptr: none yet). Entries are never moved;
  // every next pointer is cleared whenever entries are dropped.
  CachedReplica* next = nullptr;
};

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v;
  h *= 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}

// Hash of an object's identity-bearing bytes: its length, its first 512 and last 64 bytes
// (LINSTOR puts name and node_name first). Collisions only cost a re-parse: equality is memcmp.
uint64_t ReplicaHash(std::string_view b) {
  uint64_t h = Mix(0x243F6A8885A308D3ull, b.size());
  auto mix_range = [&](const char* p, size_t n) {
    while (n >= 8) {
      uint64_t v;
      std::memcpy(&v, p, 8);
      h = Mix(h, v);
      p += 8;
      n -= 8;
    }
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    h = Mix(h, v ^ (uint64_t{n} << 56));
  };
  const size_t head = std::min<size_t>(b.size(), 512);
  mix_range(b.data(), head);
  if (b.size() > head) {
    const size_t tail = std::min<size_t>(b.size() - head, 64);
    mix_range(b.data() + b.size() - tail, tail);
  }
  return h;
}

}  // namespace

struct LinstorParser::Impl {
  dom::parser parser;
  dom::parser object_parser;  // one resource object at a time (objects not seen before)
  bool reuse = true;
  // Generations: one per run of consecutive ParseResources calls (the pages of one poll; the
  // client parses nodes, pools and definitions in between). Objects not used in the previous
  // generation are forgotten when a new one starts.
  uint64_t gen = 0;
  bool in_resources = false;
  size_t cached_bytes = 0;  // live bytes (of entries in `cache`)
  ByteArena arena;
  std::unordered_map<uint64_t, CachedReplica> cache;  // by ReplicaHash of the bytes
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;
  uint64_t compactions = 0;

  size_t used_in_gen = 0;  // distinct entries used in the current generation
  std::string scratch;     // a missed object's bytes, padded for simdjson

  // ParseResources' reusing walk over the array; false = fall back to the DOM path.
  bool WalkResources(const std::string& body, Snapshot* out, size_t* count);
  // The object at p: the entry whose bytes it repeats (the successor of `prev` from last time,
  // else by hash), or newly parsed and cached. nullptr when it cannot be cut out or parsed.
  CachedReplica* FindOrParse(CachedReplica* prev, const char* p, const char* end);

  // A safety net for callers that never call the other parsers: memory stays bounded.
  static constexpr size_t kMaxCachedBytes = size_t{2} << 30;

  void StartResourcesCall() {
    if (!in_resources) {
      in_resources = true;
      // Drop what the poll that just ended did not use, once that is a good part of the cache
      // (amortized: a steady poll does not walk the whole cache).
      if (cache.size() > 2 * used_in_gen + 64) Evict(gen);
      if (arena.total() > 2 * cached_bytes + (size_t{1} << 20)) Compact();
      ++gen;
      used_in_gen = 0;
    }
    if (cached_bytes > kMaxCachedBytes) {
      cache.clear();
      cached_bytes = 0;
      arena = ByteArena();
    }
  }
  void Use(CachedReplica* c) {
    if (c->used_gen != gen) ++used_in_gen;
    c->used_gen = gen;
  }
  void Compact() {
    ++compactions;
    ByteArena fresh;
    for (auto& [h, c] : cache) {
      if (!c.bytes.empty()) c.bytes = fresh.Store(c.bytes);
    }
    arena = std::move(fresh);
  }
  void Evict(uint64_t keep_from) {
    ++evictions;
    for (auto it = cache.begin(); it != cache.end();) {
      if (it->second.used_gen < keep_from) {
        cached_bytes -= it->second.bytes.size();
        it = cache.erase(it);
      } else {
        it->second.next = nullptr;
        ++it;
      }
    }
  }
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
  impl_->in_resources = false;
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
  impl_->in_resources = false;
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
  impl_->in_resources = false;
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

namespace {

// Parses one /v1/view/resources object; throws ParseError on wrong types or missing names.
Replica ParseReplica(Elem item) {
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
  if (r.resource.empty() || r.node.empty()) throw ParseError("resource without name or node_name");
  std::sort(r.volumes.begin(), r.volumes.end(),
            [](const auto& a, const auto& b) { return a.volume_number < b.volume_number; });
  std::sort(r.connections.begin(), r.connections.end(),
            [](const auto& a, const auto& b) { return a.peer < b.peer; });
  return r;
}

// Adds replicas to out->replicas. LINSTOR lists the replicas of one resource next to each other
// and in node order: the last inner map is reused and the insert hint is its end.
class ReplicaInserter {
 public:
  explicit ReplicaInserter(Snapshot* out) : out_(out) {}

  void Add(const std::string& rd_key, const std::string& node_key, Replica r) {
    if (current_ == nullptr || rd_key != current_key_) {
      current_ = &out_->replicas[rd_key];
      current_key_ = rd_key;
    }
    auto hint = current_->empty() || current_->rbegin()->first < node_key
                    ? current_->end()
                    : current_->lower_bound(node_key);
    if (hint != current_->end() && hint->first == node_key) {
      hint->second = std::move(r);
    } else {
      current_->emplace_hint(hint, node_key, std::move(r));
    }
  }

 private:
  Snapshot* out_;
  std::string current_key_;
  std::map<std::string, Replica>* current_ = nullptr;
};

using ReplicaMap = std::map<std::string, Replica>;
using ResourceMap = std::map<std::string, ReplicaMap>;

// Map nodes of snapshots this thread no longer needs (RecycleSnapshot), reused by
// RecyclingInserter: a steady poll then allocates and frees almost nothing.
struct RecyclePool {
  ResourceMap resources;                     // the last recycled snapshot's replicas
  std::vector<ReplicaMap::node_type> spare;  // replica nodes not claimed by their resource
  static constexpr size_t kMaxSpare = 4096;
};

RecyclePool& Pool() {
  thread_local RecyclePool pool;
  return pool;
}

// Like ReplicaInserter, but copies cached replicas into recycled map nodes (their strings and
// vectors keep their capacity) instead of allocating new ones. Every value it leaves in `out`
// was assigned from this call's input: the recycled content never shows.
class RecyclingInserter {
 public:
  explicit RecyclingInserter(Snapshot* out) : out_(out), pool_(Pool()) {}
  ~RecyclingInserter() { Flush(); }

  void Add(const std::string& rd_key, const std::string& node_key, const Replica& r) {
    if (current_ == nullptr || rd_key != current_key_) StartResource(rd_key);
    ReplicaMap& m = *current_;
    auto hint = m.end();
    if (!m.empty() && !(m.rbegin()->first < node_key)) {
      hint = m.lower_bound(node_key);
      if (hint != m.end() && hint->first == node_key) {
        hint->second = r;
        return;
      }
    }
    ReplicaMap::node_type nh = TakeReplicaNode(node_key);
    if (nh.empty()) {
      m.emplace_hint(hint, node_key, r);
      return;
    }
    if (nh.key() != node_key) nh.key() = node_key;
    nh.mapped() = r;
    m.insert(hint, std::move(nh));
  }

 private:
  ReplicaMap::node_type TakeReplicaNode(const std::string& node_key) {
    ReplicaMap::node_type nh;
    for (auto& cand : local_) {
      if (!cand.empty() && cand.key() == node_key) return std::move(cand);
    }
    if (!pool_.spare.empty()) {
      nh = std::move(pool_.spare.back());
      pool_.spare.pop_back();
      return nh;
    }
    for (auto& cand : local_) {
      if (!cand.empty()) return std::move(cand);
    }
    return nh;
  }

  void Flush() {
    for (auto& nh : local_) {
      if (!nh.empty() && pool_.spare.size() < RecyclePool::kMaxSpare) {
        pool_.spare.push_back(std::move(nh));
      }
    }
    local_.clear();
  }

  void StartResource(const std::string& rd_key) {
    Flush();
    current_key_ = rd_key;
    ResourceMap& res = out_->replicas;
    auto hint = res.end();
    if (!res.empty() && !(res.rbegin()->first < rd_key)) {
      hint = res.lower_bound(rd_key);
      if (hint != res.end() && hint->first == rd_key) {  // seen before in this snapshot
        current_ = &hint->second;
        return;
      }
    }
    ResourceMap& pool = pool_.resources;
    if (pool.empty()) {
      current_ = &res.emplace_hint(hint, rd_key, ReplicaMap())->second;
      return;
    }
    auto pit = pool.begin();
    if (pit->first != rd_key) {
      auto found = pool.find(rd_key);
      if (found != pool.end()) pit = found;  // else: any node (a deleted resource's first)
    }
    ResourceMap::node_type nh = pool.extract(pit);
    if (nh.key() != rd_key) nh.key() = rd_key;
    ReplicaMap& inner = nh.mapped();
    while (!inner.empty()) local_.push_back(inner.extract(inner.begin()));
    current_ = &res.insert(hint, std::move(nh))->second;
  }

  Snapshot* out_;
  RecyclePool& pool_;
  std::string current_key_;
  ReplicaMap* current_ = nullptr;
  std::vector<ReplicaMap::node_type> local_;  // the recycled nodes of the current resource
};

}  // namespace

void RecycleSnapshot(Snapshot&& old) {
  RecyclePool& pool = Pool();
  pool.resources = std::move(old.replicas);
  old = Snapshot();
}

void LinstorParser::set_reuse(bool reuse) {
  impl_->reuse = reuse;
  if (!reuse) {
    impl_->cache.clear();
    impl_->cached_bytes = 0;
    impl_->arena = ByteArena();
  }
}

LinstorParser::ReuseStats LinstorParser::reuse_stats() const {
  return {impl_->hits,          impl_->misses,    impl_->cache.size(), impl_->cached_bytes,
          impl_->arena.total(), impl_->evictions, impl_->compactions};
}

namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The end (one past the closing '}') of the object starting at p ('{'), by bracket depth and
// string quotes only; nullptr when the input ends first. Not a validation: the bytes found
// are either identical to an object parsed before or parsed (validated) by the DOM parser.
const char* ScanObjectEnd(const char* p, const char* end) {
  int depth = 0;
  while (p < end) {
    const char c = *p++;
    if (c == '"') {
      const char* start = p;
      while (true) {
        const void* q = std::memchr(p, '"', static_cast<size_t>(end - p));
        if (q == nullptr) return nullptr;
        const char* quote = static_cast<const char*>(q);
        size_t backslashes = 0;
        for (const char* r = quote; r > start && r[-1] == '\\'; --r) ++backslashes;
        p = quote + 1;
        if (backslashes % 2 == 0) break;
      }
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return p;
    }
  }
  return nullptr;
}

}  // namespace

Status LinstorParser::ParseResourcesDom(std::string& body, Snapshot* out, size_t* count) {
  *count = 0;
  return Run(impl_->parser, body, "GET /v1/view/resources", [&](dom::array arr) {
    ReplicaInserter ins(out);
    std::string rd_key, node_key;
    for (Elem item : arr) {
      Replica r = ParseReplica(item);
      FoldInto(r.resource, &rd_key);
      FoldInto(r.node, &node_key);
      ins.Add(rd_key, node_key, std::move(r));
      ++*count;
    }
  });
}

CachedReplica* LinstorParser::Impl::FindOrParse(CachedReplica* prev, const char* p,
                                                const char* end) {
  const size_t left = static_cast<size_t>(end - p);
  // Fast path: the object that followed the previous one last time, byte for byte.
  if (prev != nullptr && prev->next != nullptr) {
    const std::string_view b = prev->next->bytes;
    if (!b.empty() && b.size() <= left && std::memcmp(b.data(), p, b.size()) == 0) {
      ++hits;
      return prev->next;
    }
  }
  const char* obj_end = ScanObjectEnd(p, end);
  if (obj_end == nullptr) return nullptr;
  const std::string_view raw(p, static_cast<size_t>(obj_end - p));
  CachedReplica* c = &cache[ReplicaHash(raw)];
  if (c->bytes.size() == raw.size() && !c->bytes.empty() &&
      std::memcmp(c->bytes.data(), raw.data(), raw.size()) == 0) {
    ++hits;
  } else {
    ++misses;
    cached_bytes -= c->bytes.size();
    c->bytes = {};  // a failed parse leaves nothing that could match
    scratch.clear();
    scratch.reserve(raw.size() + simdjson::SIMDJSON_PADDING);
    scratch.assign(raw);
    auto doc = object_parser.parse(
        simdjson::padded_string_view(scratch.data(), scratch.size(), scratch.capacity()));
    if (doc.error()) return nullptr;
    c->replica = ParseReplica(doc.value_unsafe());
    FoldInto(c->replica.resource, &c->rd_key);
    FoldInto(c->replica.node, &c->node_key);
    c->bytes = arena.Store(raw);
    cached_bytes += c->bytes.size();
  }
  if (prev != nullptr) prev->next = c;
  return c;
}

// The array's grammar: '[' ws (object (ws ',' ws object)*)? ws ']' ws.
bool LinstorParser::Impl::WalkResources(const std::string& body, Snapshot* out, size_t* count) {
  const char* p = body.data();
  const char* const end = body.data() + body.size();
  auto skip_ws = [&] {
    while (p < end && IsJsonSpace(*p)) ++p;
  };
  skip_ws();
  if (p == end || *p != '[') return false;
  ++p;
  skip_ws();
  RecyclingInserter ins(out);
  CachedReplica* prev = nullptr;
  if (p < end && *p == ']') {
    ++p;
  } else {
    while (true) {
      if (p == end || *p != '{') return false;
      CachedReplica* c = FindOrParse(prev, p, end);
      if (c == nullptr) return false;
      Use(c);
      p += c->bytes.size();
      ins.Add(c->rd_key, c->node_key, c->replica);
      ++*count;
      prev = c;
      skip_ws();
      if (p == end) return false;
      if (*p == ']') {
        ++p;
        break;
      }
      if (*p != ',') return false;
      ++p;
      skip_ws();
    }
  }
  skip_ws();
  return p == end;
}

// The reusing path walks the array itself (Impl::WalkResources). Each object is either
// byte-identical to one parsed before or cut out by ScanObjectEnd and DOM-parsed, so an accepted
// body is valid JSON. On any error the whole-document DOM path runs instead: errors (and their
// messages) are exactly the reference's.
Status LinstorParser::ParseResources(std::string& body, Snapshot* out, size_t* count) {
  *count = 0;
  if (!impl_->reuse) return ParseResourcesDom(body, out, count);
  impl_->StartResourcesCall();
  bool walked = false;
  try {
    walked = impl_->WalkResources(body, out, count);
  } catch (const std::exception&) {
    walked = false;  // a wrong type inside an object: the reference names it
  }
  return walked ? OkStatus() : ParseResourcesDom(body, out, count);
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
