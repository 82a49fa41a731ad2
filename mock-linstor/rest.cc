// Routing and the handlers of the REST API v1 (see rest.h). Read handlers render through
// internal/render.h; write handlers parse bodies with nlohmann_json (small bodies), call the
// World and map its OpResult to ApiCallRc lists.
#include "mock-linstor/rest.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "mock-linstor/internal/json_writer.h"
#include "mock-linstor/internal/render.h"
#include "sim/world.h"

namespace lnsim::mock {
namespace {

using internal::JsonWriter;
using internal::RenderContext;
using json = nlohmann::json;
using sim::Cluster;
using sim::FoldName;
using sim::kNoIndex;

// --- small helpers -----------------------------------------------------------------------------

bool EqualsFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

sim::NodeIndex FindNode(const Cluster& c, std::string_view name) {
  for (sim::NodeIndex i = 0; i < c.nodes.size(); ++i) {
    if (c.nodes[i].alive && EqualsFold(c.nodes[i].name, name)) return i;
  }
  return kNoIndex;
}

sim::RdIndex FindRd(const Cluster& c, std::string_view name) {
  for (sim::RdIndex i = 0; i < c.rds.size(); ++i) {
    if (c.rds[i].alive && EqualsFold(c.rds[i].name, name)) return i;
  }
  return kNoIndex;
}

sim::GroupIndex FindGroup(const Cluster& c, std::string_view name) {
  for (sim::GroupIndex i = 0; i < c.groups.size(); ++i) {
    if (EqualsFold(c.groups[i].name, name)) return i;
  }
  return kNoIndex;
}

sim::PoolIndex FindPool(const Cluster& c, sim::NodeIndex node, std::string_view name) {
  if (node == kNoIndex) return kNoIndex;
  for (sim::PoolIndex p : c.nodes[node].pools) {
    if (p < c.pools.size() && EqualsFold(c.pools[p].name, name)) return p;
  }
  return kNoIndex;
}

sim::ReplicaIndex FindReplica(const Cluster& c, sim::RdIndex rd, sim::NodeIndex node) {
  if (rd == kNoIndex || node == kNoIndex) return kNoIndex;
  for (sim::ReplicaIndex r : c.rds[rd].replicas) {
    if (r < c.replicas.size() && c.replicas[r].alive && c.replicas[r].node == node) return r;
  }
  return kNoIndex;
}

std::optional<size_t> FindVolumeSlot(const sim::ResourceDefinition& rd, std::string_view nr_text) {
  uint32_t nr = 0;
  auto res = std::from_chars(nr_text.data(), nr_text.data() + nr_text.size(), nr);
  if (res.ec != std::errc() || res.ptr != nr_text.data() + nr_text.size()) return std::nullopt;
  for (size_t i = 0; i < rd.volumes.size(); ++i) {
    if (rd.volumes[i].number == nr) return i;
  }
  return std::nullopt;
}

std::vector<uint32_t> SortedByName(std::vector<uint32_t> idx,
                                   const std::function<const std::string&(uint32_t)>& name) {
  std::vector<std::pair<std::string, uint32_t>> keyed;
  keyed.reserve(idx.size());
  for (uint32_t i : idx) keyed.emplace_back(FoldName(name(i)), i);
  std::sort(keyed.begin(), keyed.end());
  for (size_t i = 0; i < keyed.size(); ++i) idx[i] = keyed[i].second;
  return idx;
}

// A name filter from repeated keys (case-insensitive); empty = everything.
struct NameFilter {
  std::vector<std::string> folded;
  explicit NameFilter(const std::vector<std::string>& names) {
    for (const auto& n : names) {
      if (!n.empty()) folded.push_back(FoldName(n));
    }
  }
  bool Matches(std::string_view name) const {
    if (folded.empty()) return true;
    for (const auto& f : folded) {
      if (EqualsFold(f, name)) return true;
    }
    return false;
  }
};

// props=KEY (set) / props=KEY=VALUE (equal); repeated filters AND.
struct PropsFilter {
  std::vector<std::pair<std::string, std::optional<std::string>>> terms;
  explicit PropsFilter(const std::vector<std::string>& raw) {
    for (const auto& t : raw) {
      if (t.empty()) continue;
      const size_t eq = t.find('=');
      if (eq == std::string::npos) {
        terms.emplace_back(t, std::nullopt);
      } else {
        terms.emplace_back(t.substr(0, eq), t.substr(eq + 1));
      }
    }
  }
  bool empty() const { return terms.empty(); }
  bool Matches(const std::map<std::string, std::string>& props) const {
    for (const auto& [k, v] : terms) {
      auto it = props.find(k);
      if (it == props.end()) return false;
      if (v && it->second != *v) return false;
    }
    return true;
  }
};

template <typename T>
void Page(std::vector<T>* items, const QueryView& q) {
  const int64_t limit = q.GetInt("limit", 0);
  if (limit <= 0) return;
  const int64_t offset = std::max<int64_t>(0, q.GetInt("offset", 0));
  if (static_cast<size_t>(offset) >= items->size()) {
    items->clear();
    return;
  }
  items->erase(items->begin(), items->begin() + offset);
  if (items->size() > static_cast<size_t>(limit)) items->resize(static_cast<size_t>(limit));
}

HttpResponse JsonOk(std::string body, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse NotFoundPath() {
  HttpResponse r;
  r.status = 404;
  r.content_type = "text/plain";
  r.body = "Not Found";
  return r;
}

HttpResponse MethodNotAllowed() {
  HttpResponse r;
  r.status = 405;
  r.content_type = "text/plain";
  r.body = "Method Not Allowed";
  return r;
}

ApiCallRc Entry(int64_t ret_code, std::string message, int64_t created_ms) {
  ApiCallRc rc;
  rc.ret_code = ret_code;
  rc.message = std::move(message);
  rc.created_at = FormatIsoTime(created_ms);
  return rc;
}

HttpResponse NotFound(int code, std::string message, int64_t created_ms,
                      std::map<std::string, std::string> refs = {}) {
  ApiCallRc rc = Entry(RetCode(rcmask::kError, 0, 0, code), std::move(message), created_ms);
  rc.obj_refs = std::move(refs);
  HttpResponse r;
  r.status = 404;
  r.body = RenderApiCallRcList({rc});
  return r;
}

// --- read handlers -----------------------------------------------------------------------------

struct ReadCtx {
  const Cluster& c;
  const MockState& state;
  RenderContext rc;
  const QueryView& q;
  int64_t created_ms;
};

HttpResponse ListNodes(const ReadCtx& x) {
  NameFilter names(x.q.All("nodes"));
  PropsFilter props(x.q.All("props"));
  std::vector<uint32_t> idx;
  for (sim::NodeIndex n = 0; n < x.c.nodes.size(); ++n) {
    if (!x.c.nodes[n].alive || !names.Matches(x.c.nodes[n].name)) continue;
    if (!props.empty() && !props.Matches(internal::NodeProps(x.rc, n))) continue;
    idx.push_back(n);
  }
  idx = SortedByName(std::move(idx),
                     [&](uint32_t i) -> const std::string& { return x.c.nodes[i].name; });
  Page(&idx, x.q);
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  for (uint32_t n : idx) internal::RenderNode(w, x.rc, n);
  w.EndArray();
  return JsonOk(std::move(out));
}

std::vector<uint32_t> PoolsOf(const ReadCtx& x, const std::vector<uint32_t>& nodes,
                              const NameFilter& pools, const PropsFilter& props) {
  std::vector<uint32_t> out;
  for (uint32_t n : nodes) {
    std::vector<uint32_t> mine;
    for (sim::PoolIndex p : x.c.nodes[n].pools) {
      if (p >= x.c.pools.size() || !pools.Matches(x.c.pools[p].name)) continue;
      if (!props.empty() && !props.Matches(internal::PoolProps(x.rc, p))) continue;
      mine.push_back(p);
    }
    mine = SortedByName(std::move(mine),
                        [&](uint32_t i) -> const std::string& { return x.c.pools[i].name; });
    out.insert(out.end(), mine.begin(), mine.end());
  }
  return out;
}

HttpResponse RenderPools(const std::vector<uint32_t>& pools, const ReadCtx& x) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  for (uint32_t p : pools) internal::RenderPool(w, x.rc, p);
  w.EndArray();
  return JsonOk(std::move(out));
}

std::vector<uint32_t> AliveNodesSorted(const ReadCtx& x, const NameFilter& names) {
  std::vector<uint32_t> idx;
  for (sim::NodeIndex n = 0; n < x.c.nodes.size(); ++n) {
    if (x.c.nodes[n].alive && names.Matches(x.c.nodes[n].name)) idx.push_back(n);
  }
  return SortedByName(std::move(idx),
                      [&](uint32_t i) -> const std::string& { return x.c.nodes[i].name; });
}

HttpResponse ListResourceDefinitions(const ReadCtx& x) {
  NameFilter names(x.q.All("resource_definitions"));
  PropsFilter props(x.q.All("props"));
  const bool with_vds = x.q.GetBool("with_volume_definitions");
  std::vector<uint32_t> idx;
  for (sim::RdIndex i = 0; i < x.c.rds.size(); ++i) {
    if (!x.c.rds[i].alive || !names.Matches(x.c.rds[i].name)) continue;
    if (!props.empty() && !props.Matches(internal::RdProps(x.rc, i))) continue;
    idx.push_back(i);
  }
  idx = SortedByName(std::move(idx),
                     [&](uint32_t i) -> const std::string& { return x.c.rds[i].name; });
  Page(&idx, x.q);
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  for (uint32_t i : idx) internal::RenderResourceDefinition(w, x.rc, i, with_vds);
  w.EndArray();
  return JsonOk(std::move(out));
}

std::vector<uint32_t> ReplicasOfRdSorted(const Cluster& c, sim::RdIndex rd) {
  std::vector<uint32_t> idx;
  for (sim::ReplicaIndex r : c.rds[rd].replicas) {
    if (r < c.replicas.size() && c.replicas[r].alive && c.nodes[c.replicas[r].node].alive) {
      idx.push_back(r);
    }
  }
  return SortedByName(std::move(idx), [&](uint32_t i) -> const std::string& {
    return c.nodes[c.replicas[i].node].name;
  });
}

HttpResponse ListResourceGroups(const ReadCtx& x) {
  NameFilter names(x.q.All("resource_groups"));
  PropsFilter props(x.q.All("props"));
  std::vector<uint32_t> idx;
  for (sim::GroupIndex g = 0; g < x.c.groups.size(); ++g) {
    if (!names.Matches(x.c.groups[g].name)) continue;
    if (!props.empty() && !props.Matches(internal::GroupProps(x.rc, g))) continue;
    idx.push_back(g);
  }
  idx = SortedByName(std::move(idx),
                     [&](uint32_t i) -> const std::string& { return x.c.groups[i].name; });
  Page(&idx, x.q);
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  for (uint32_t g : idx) internal::RenderResourceGroup(w, x.rc, g);
  w.EndArray();
  return JsonOk(std::move(out));
}

std::map<std::string, std::string> ControllerProps(const MockState& state) {
  std::map<std::string, std::string> props{
      {"defaultDebugSslConnector", "DebugSslConnector"},
      {"defaultPlainConSvc", "PlainConnector"},
      {"defaultSslConSvc", "SslConnector"},
      {"netcom/PlainConnector/port", "3376"},
      {"netcom/PlainConnector/type", "plain"},
      {"netcom/PlainConnector/enabled", "true"},
      {"TcpPortAutoRange", "7000-7999"},
      {"MinorNrAutoRange", "1000-49999"},
  };
  auto del = state.deleted_props.find("ctrl");
  if (del != state.deleted_props.end()) {
    for (const auto& [k, unused] : del->second) props.erase(k);
  }
  auto it = state.props.find("ctrl");
  if (it != state.props.end()) {
    for (const auto& [k, v] : it->second) props[k] = v;
  }
  return props;
}

HttpResponse HandleReadRoute(const std::vector<std::string>& s, const ReadCtx& x) {
  const size_t n = s.size();
  auto seg = [&](size_t i) -> const std::string& { return s[i]; };
  // s[0] == "v1"
  if (n == 3 && seg(1) == "controller" && seg(2) == "version") {
    return JsonOk(
        std::string(R"({"version":")") + std::string(kControllerVersion) +
        R"(","git_hash":"3e9306a9d8215606544c64c50ced150625ee4926","build_time":"2026-06-02T08:14:41+00:00","rest_api_version":")" +
        std::string(kRestApiVersion) + "\"}");
  }
  if (n == 3 && seg(1) == "controller" && seg(2) == "properties") {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject();
    for (const auto& [k, v] : ControllerProps(x.state)) w.KeyStr(k, v);
    w.EndObject();
    return JsonOk(std::move(out));
  }
  if (seg(1) == "nodes") {
    if (n == 2) return ListNodes(x);
    const sim::NodeIndex node = FindNode(x.c, seg(2));
    auto node_missing = [&] {
      return NotFound(rccode::kFailNotFoundNode, "Node '" + seg(2) + "' not found.", x.created_ms,
                      {{"Node", seg(2)}});
    };
    if (n == 3) {
      if (node == kNoIndex) return node_missing();
      std::string out;
      JsonWriter w(&out);
      internal::RenderNode(w, x.rc, node);
      return JsonOk(std::move(out));
    }
    if (seg(3) == "storage-pools") {
      if (node == kNoIndex) return node_missing();
      if (n == 4) {
        std::vector<uint32_t> nodes{node};
        auto pools = PoolsOf(x, nodes, NameFilter({}), PropsFilter({}));
        Page(&pools, x.q);
        return RenderPools(pools, x);
      }
      if (n == 5) {
        const sim::PoolIndex p = FindPool(x.c, node, seg(4));
        if (p == kNoIndex) {
          return NotFound(rccode::kFailNotFoundStorPool,
                          "Storage pool '" + seg(4) + "' on node '" + seg(2) + "' not found.",
                          x.created_ms, {{"Node", seg(2)}, {"StorPool", seg(4)}});
        }
        std::string out;
        JsonWriter w(&out);
        internal::RenderPool(w, x.rc, p);
        return JsonOk(std::move(out));
      }
    }
    return NotFoundPath();
  }
  if (seg(1) == "view" && n == 3 && seg(2) == "storage-pools") {
    auto nodes = AliveNodesSorted(x, NameFilter(x.q.All("nodes")));
    auto pools =
        PoolsOf(x, nodes, NameFilter(x.q.All("storage_pools")), PropsFilter(x.q.All("props")));
    Page(&pools, x.q);
    return RenderPools(pools, x);
  }
  if (seg(1) == "resource-definitions") {
    if (n == 2) return ListResourceDefinitions(x);
    const sim::RdIndex rd = FindRd(x.c, seg(2));
    auto rd_missing = [&] {
      return NotFound(rccode::kFailNotFoundRscDfn,
                      "Resource definition '" + seg(2) + "' not found.", x.created_ms,
                      {{"RscDfn", seg(2)}});
    };
    if (rd == kNoIndex) return rd_missing();
    const sim::ResourceDefinition& def = x.c.rds[rd];
    std::string out;
    JsonWriter w(&out);
    if (n == 3) {
      internal::RenderResourceDefinition(w, x.rc, rd, false);
      return JsonOk(std::move(out));
    }
    if (n == 4 && seg(3) == "sync-status") return JsonOk(R"({"synced_on_all":true})");
    if (seg(3) == "volume-definitions") {
      if (n == 4) {
        std::vector<size_t> slots;
        for (size_t i = 0; i < def.volumes.size(); ++i) slots.push_back(i);
        Page(&slots, x.q);
        w.BeginArray();
        for (size_t i : slots) internal::RenderVolumeDefinition(w, x.rc, rd, i);
        w.EndArray();
        return JsonOk(std::move(out));
      }
      if (n == 5) {
        auto slot = FindVolumeSlot(def, seg(4));
        if (!slot) {
          return NotFound(rccode::kFailNotFoundVlmDfn,
                          "Volume definition with number '" + seg(4) +
                              "' on resource definition '" + seg(2) + "' not found.",
                          x.created_ms, {{"RscDfn", seg(2)}, {"VlmNr", seg(4)}});
        }
        internal::RenderVolumeDefinition(w, x.rc, rd, *slot);
        return JsonOk(std::move(out));
      }
      return NotFoundPath();
    }
    if (seg(3) == "resources") {
      if (n == 4) {
        auto reps = ReplicasOfRdSorted(x.c, rd);
        Page(&reps, x.q);
        w.BeginArray();
        for (uint32_t r : reps) internal::RenderResource(w, x.rc, r, false);
        w.EndArray();
        return JsonOk(std::move(out));
      }
      const sim::NodeIndex node = FindNode(x.c, seg(4));
      const sim::ReplicaIndex r = FindReplica(x.c, rd, node);
      if (n == 5) {
        if (r == kNoIndex) {
          return NotFound(rccode::kFailNotFoundRsc,
                          "Resource '" + seg(2) + "' on '" + seg(4) + "' not found.", x.created_ms,
                          {{"RscDfn", seg(2)}, {"Node", seg(4)}});
        }
        internal::RenderResource(w, x.rc, r, false);
        return JsonOk(std::move(out));
      }
      if (seg(5) == "volumes" && (n == 6 || n == 7)) {
        if (r == kNoIndex) {
          return NotFound(rccode::kFailNotFoundRsc,
                          "Resource '" + seg(2) + "' not found on node '" + seg(4) + "'.",
                          x.created_ms, {{"RscDfn", seg(2)}, {"Node", seg(4)}});
        }
        if (n == 6) {
          std::vector<size_t> slots;
          for (size_t i = 0; i < def.volumes.size(); ++i) slots.push_back(i);
          Page(&slots, x.q);
          w.BeginArray();
          for (size_t i : slots) internal::RenderVolume(w, x.rc, r, i);
          w.EndArray();
          return JsonOk(std::move(out));
        }
        auto slot = FindVolumeSlot(def, seg(6));
        if (!slot) {
          return NotFound(rccode::kFailNotFoundVlm,
                          "Volume '" + seg(6) + "' of resource '" + seg(2) + "' on node '" +
                              seg(4) + "' not found.",
                          x.created_ms, {{"RscDfn", seg(2)}, {"Node", seg(4)}, {"VlmNr", seg(6)}});
        }
        internal::RenderVolume(w, x.rc, r, *slot);
        return JsonOk(std::move(out));
      }
      return NotFoundPath();
    }
    return NotFoundPath();
  }
  if (seg(1) == "resource-groups") {
    if (n == 2) return ListResourceGroups(x);
    const sim::GroupIndex g = FindGroup(x.c, seg(2));
    if (g == kNoIndex) {
      return NotFound(rccode::kFailNotFoundRscGrp, "Resource group '" + seg(2) + "' not found.",
                      x.created_ms, {{"RscGrp", seg(2)}});
    }
    std::string out;
    JsonWriter w(&out);
    if (n == 3) {
      internal::RenderResourceGroup(w, x.rc, g);
      return JsonOk(std::move(out));
    }
    if (seg(3) == "volume-groups") {
      const uint32_t count = internal::VolumeGroupCount(x.rc, g);
      if (n == 4) {
        std::vector<uint32_t> nrs;
        for (uint32_t i = 0; i < count; ++i) nrs.push_back(i);
        Page(&nrs, x.q);
        w.BeginArray();
        for (uint32_t i : nrs) internal::RenderVolumeGroup(w, x.rc, g, i);
        w.EndArray();
        return JsonOk(std::move(out));
      }
      if (n == 5) {
        uint32_t nr = 0;
        auto res = std::from_chars(seg(4).data(), seg(4).data() + seg(4).size(), nr);
        if (res.ec != std::errc() || nr >= count) {
          return NotFound(rccode::kFailNotFoundVlmGrp,
                          "Volume group with number '" + seg(4) + "' of resource group '" + seg(2) +
                              "' not found.",
                          x.created_ms, {{"RscGrp", seg(2)}, {"VlmNr", seg(4)}});
        }
        internal::RenderVolumeGroup(w, x.rc, g, nr);
        return JsonOk(std::move(out));
      }
    }
    return NotFoundPath();
  }
  return NotFoundPath();
}

// --- write handlers ----------------------------------------------------------------------------

// Typed access to a request body with Jackson's strictness: a wrong type is a parse error
// (bad = true), JSON null counts as absent.
struct BodyReader {
  bool bad = false;

  const json* Get(const json& o, const char* key) {
    if (!o.is_object()) {
      bad = true;
      return nullptr;
    }
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return nullptr;
    return &*it;
  }
  std::optional<std::string> Str(const json& o, const char* key) {
    const json* v = Get(o, key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) {
      bad = true;
      return std::nullopt;
    }
    return v->get<std::string>();
  }
  std::optional<int64_t> Int(const json& o, const char* key) {
    const json* v = Get(o, key);
    if (v == nullptr) return std::nullopt;
    if (v->is_number_integer()) return v->get<int64_t>();
    if (v->is_number_float()) {
      const double d = v->get<double>();
      if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
    }
    bad = true;
    return std::nullopt;
  }
  std::optional<bool> Bool(const json& o, const char* key) {
    const json* v = Get(o, key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_boolean()) {
      bad = true;
      return std::nullopt;
    }
    return v->get<bool>();
  }
  std::vector<std::string> StrList(const json& o, const char* key) {
    std::vector<std::string> out;
    const json* v = Get(o, key);
    if (v == nullptr) return out;
    if (!v->is_array()) {
      bad = true;
      return out;
    }
    for (const json& e : *v) {
      if (e.is_null()) continue;
      if (!e.is_string()) {
        bad = true;
        return {};
      }
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  std::map<std::string, std::string> StrMap(const json& o, const char* key) {
    std::map<std::string, std::string> out;
    const json* v = Get(o, key);
    if (v == nullptr) return out;
    if (!v->is_object()) {
      bad = true;
      return out;
    }
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (it->is_null()) continue;
      if (!it->is_string()) {
        bad = true;
        return {};
      }
      out[it.key()] = it->get<std::string>();
    }
    return out;
  }
  const json* Obj(const json& o, const char* key) {
    const json* v = Get(o, key);
    if (v != nullptr && !v->is_object()) {
      bad = true;
      return nullptr;
    }
    return v;
  }
};

struct WriteCtx {
  sim::World* world;
  MockState* state;
  WriteEffects* effects;
  int64_t created_ms;  // unix ms of "now"
  int64_t epoch_ms;
};

HttpResponse ParseErrorResponse(int64_t created_ms, bool synchronous) {
  ApiCallRc rc = Entry(kApiCallParseError, "Unable to parse input json.", created_ms);
  HttpResponse r;
  r.status = synchronous ? 400 : 500;
  r.body = RenderApiCallRcList({rc});
  return r;
}

uint64_t SeverityMask(sim::Severity s) {
  switch (s) {
    case sim::Severity::kSuccess:
      return 0;
    case sim::Severity::kInfo:
      return rcmask::kInfo;
    case sim::Severity::kWarning:
      return rcmask::kWarn;
    case sim::Severity::kError:
      return rcmask::kError;
  }
  return 0;
}

void AppendOp(const sim::OpResult& op, uint64_t op_mask, uint64_t obj_mask, int64_t created_ms,
              std::vector<ApiCallRc>* out) {
  for (const sim::OpMessage& m : op.messages) {
    ApiCallRc rc = Entry(RetCode(SeverityMask(m.severity), 0, 0, m.code), m.message, created_ms);
    rc.details = m.details;
    if (!m.node.empty()) rc.obj_refs["Node"] = m.node;
    if (!m.rd.empty()) rc.obj_refs["RscDfn"] = m.rd;
    // Not-found entries of writes carry masks like every other entry of the call.
    std::vector<ApiCallRc> one{std::move(rc)};
    ApplyMasks(&one, op_mask, obj_mask);
    out->push_back(std::move(one[0]));
  }
}

// After "Created resource 'X' on 'n'" entries the controller reports "Resource 'X' on 'n' ready"
// once the satellites applied the change (LINSTOR-API.md 2.6).
void AddReadyEntries(std::vector<ApiCallRc>* entries, int64_t created_ms) {
  for (const ApiCallRc& e : *entries) {
    if (IsError(e.ret_code)) return;
  }
  std::vector<ApiCallRc> ready;
  for (const ApiCallRc& e : *entries) {
    if (e.message.rfind("Created resource '", 0) != 0) continue;
    auto rd = e.obj_refs.find("RscDfn");
    auto node = e.obj_refs.find("Node");
    if (rd == e.obj_refs.end() || node == e.obj_refs.end()) continue;
    ApiCallRc rc =
        Entry(RetCode(0, rcmask::kCreate, rcmask::kRsc, rccode::kCreated),
              "Resource '" + rd->second + "' on '" + node->second + "' ready", created_ms);
    rc.obj_refs = e.obj_refs;
    ready.push_back(std::move(rc));
  }
  for (auto& r : ready) entries->push_back(std::move(r));
}

HttpResponse Answer(std::vector<ApiCallRc> entries, int success_status) {
  HttpResponse r;
  r.status = HttpStatusFor(entries, success_status);
  r.body = RenderApiCallRcList(entries);
  return r;
}

HttpResponse FromOp(const sim::OpResult& op, uint64_t op_mask, uint64_t obj_mask, const WriteCtx& x,
                    int success_status) {
  std::vector<ApiCallRc> entries;
  AppendOp(op, op_mask, obj_mask, x.created_ms, &entries);
  if (entries.empty()) {
    entries.push_back(
        Entry(RetCode(0, op_mask, obj_mask, 0), "Operation completed.", x.created_ms));
  }
  return Answer(std::move(entries), success_status);
}

bool OpFailed(const sim::OpResult& op) {
  for (const auto& m : op.messages) {
    if (m.severity == sim::Severity::kError) return true;
  }
  return false;
}

// Applies override_props / delete_props / delete_namespaces of a modify body to a props key.
void ModifyProps(BodyReader& br, const json& body, const std::string& key, MockState* state) {
  auto overrides = br.StrMap(body, "override_props");
  auto deletes = br.StrList(body, "delete_props");
  auto namespaces = br.StrList(body, "delete_namespaces");
  if (br.bad) return;
  Props& props = state->props[key];
  auto& deleted = state->deleted_props[key];
  for (const auto& k : deletes) {
    props.erase(k);
    deleted[k] = true;
  }
  for (const auto& ns : namespaces) {
    const std::string prefix = ns.empty() || ns.back() == '/' ? ns : ns + "/";
    for (auto it = props.begin(); it != props.end();) {
      it = it->first.rfind(prefix, 0) == 0 ? props.erase(it) : std::next(it);
    }
  }
  for (const auto& [k, v] : overrides) {
    props[k] = v;
    deleted.erase(k);
  }
}

HttpResponse Modified(uint64_t obj_mask, std::string message,
                      std::map<std::string, std::string> refs, const WriteCtx& x) {
  ApiCallRc rc = Entry(RetCode(0, rcmask::kModify, obj_mask, rccode::kModified), std::move(message),
                       x.created_ms);
  rc.obj_refs = std::move(refs);
  return Answer({rc}, 200);
}

std::optional<sim::NodeType> ParseNodeType(std::string_view t) {
  if (EqualsFold(t, "SATELLITE")) return sim::NodeType::kSatellite;
  if (EqualsFold(t, "COMBINED")) return sim::NodeType::kCombined;
  if (EqualsFold(t, "CONTROLLER")) return sim::NodeType::kController;
  if (EqualsFold(t, "AUXILIARY")) return sim::NodeType::kAuxiliary;
  return std::nullopt;
}

std::optional<sim::ProviderKind> ParseProvider(std::string_view t) {
  if (EqualsFold(t, "DISKLESS")) return sim::ProviderKind::kDiskless;
  if (EqualsFold(t, "LVM")) return sim::ProviderKind::kLvm;
  if (EqualsFold(t, "LVM_THIN")) return sim::ProviderKind::kLvmThin;
  if (EqualsFold(t, "ZFS")) return sim::ProviderKind::kZfs;
  if (EqualsFold(t, "ZFS_THIN")) return sim::ProviderKind::kZfsThin;
  return std::nullopt;
}

std::string NodeJson(const WriteCtx& x, sim::NodeIndex n) {
  return RenderNodeJson(x.world->cluster(), *x.state, n, x.epoch_ms);
}

sim::AutoPlaceRequest ReadSelectFilter(BodyReader& br, const json* filter) {
  sim::AutoPlaceRequest req;
  if (filter == nullptr) return req;
  req.place_count = static_cast<int>(br.Int(*filter, "place_count").value_or(0));
  req.additional_place_count =
      static_cast<int>(br.Int(*filter, "additional_place_count").value_or(0));
  req.storage_pool_list = br.StrList(*filter, "storage_pool_list");
  if (auto pool = br.Str(*filter, "storage_pool")) req.storage_pool_list.push_back(*pool);
  req.node_name_list = br.StrList(*filter, "node_name_list");
  req.not_place_with_rsc = br.StrList(*filter, "not_place_with_rsc");
  req.diskless_on_remaining = br.Bool(*filter, "diskless_on_remaining").value_or(false);
  return req;
}

HttpResponse WriteRoute(const HttpRequest& req, const std::vector<std::string>& s,
                        const WriteCtx& x) {
  const size_t n = s.size();
  const std::string& m = req.method;
  auto seg = [&](size_t i) -> const std::string& { return s[i]; };
  sim::World& world = *x.world;
  const Cluster& c = world.cluster();

  // Bodies: parse lazily; `body_required` = false lets no-body calls through (CLI toggle-disk).
  json body;
  bool parsed = false;
  auto parse = [&](bool required) -> bool {
    if (req.body.empty()) {
      body = json::object();
      parsed = true;
      return !required;
    }
    body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    parsed = !body.is_discarded();
    return parsed;
  };
  BodyReader br;

  // POST /v1/controller/properties
  if (n == 3 && seg(1) == "controller" && seg(2) == "properties" && (m == "POST" || m == "PUT")) {
    if (!parse(true) || !body.is_object()) return ParseErrorResponse(x.created_ms, true);
    ModifyProps(br, body, "ctrl", x.state);
    if (br.bad) return ParseErrorResponse(x.created_ms, true);
    x.effects->changed = true;
    return Modified(rcmask::kCtrlConf, "Successfully set property key(s)", {}, x);
  }

  if (seg(1) == "nodes") {
    if (n == 2 && m == "POST") {
      if (!parse(true) || !body.is_object()) return ParseErrorResponse(x.created_ms, false);
      auto name = br.Str(body, "name");
      auto type_text = br.Str(body, "type");
      std::string address;
      if (const json* nis = br.Get(body, "net_interfaces")) {
        if (!nis->is_array()) {
          br.bad = true;
        } else if (!nis->empty()) {
          address = br.Str((*nis)[0], "address").value_or("");
        }
      }
      auto props = br.StrMap(body, "props");
      if (br.bad) return ParseErrorResponse(x.created_ms, false);
      std::optional<sim::NodeType> type = ParseNodeType(type_text.value_or("SATELLITE"));
      if (!type) {
        return Answer({Entry(RetCode(rcmask::kError, rcmask::kCreate, rcmask::kNode, 203),
                             "Invalid node type '" + type_text.value_or("") + "'.", x.created_ms)},
                      201);
      }
      sim::OpResult op = world.CreateNode(name.value_or(""), *type, address);
      x.effects->changed = true;
      if (!OpFailed(op)) {
        const sim::NodeIndex idx = FindNode(world.cluster(), name.value_or(""));
        if (!props.empty()) x.state->props["node:" + FoldName(*name)] = props;
        if (idx != kNoIndex) {
          x.effects->node_events.push_back({"node-create", "{\"node\":" + NodeJson(x, idx) + "}"});
        }
      }
      return FromOp(op, rcmask::kCreate, rcmask::kNode, x, 201);
    }
    if (n == 3 && m == "DELETE") {
      const sim::NodeIndex idx = FindNode(c, seg(2));
      std::string before = idx != kNoIndex ? NodeJson(x, idx) : "";
      sim::OpResult op = world.DeleteNode(seg(2));
      x.effects->changed = true;
      if (!OpFailed(op) && !before.empty()) {
        x.effects->node_events.push_back({"node-delete", "{\"node\":" + before + "}"});
      }
      return FromOp(op, rcmask::kDelete, rcmask::kNode, x, 200);
    }
    if (n == 3 && m == "PUT") {
      if (!parse(true) || !body.is_object()) return ParseErrorResponse(x.created_ms, false);
      const sim::NodeIndex idx = FindNode(c, seg(2));
      if (idx == kNoIndex) {
        return Answer({Entry(RetCode(rcmask::kError, rcmask::kModify, rcmask::kNode,
                                     rccode::kFailNotFoundNode),
                             "Node '" + seg(2) + "' not found.", x.created_ms)},
                      200);
      }
      ModifyProps(br, body, "node:" + FoldName(c.nodes[idx].name), x.state);
      if (br.bad) return ParseErrorResponse(x.created_ms, false);
      x.effects->changed = true;
      // nodeModify takes the "old" snapshot after applying the change (LINSTOR-API.md 2.9).
      const std::string node_json = NodeJson(x, idx);
      x.effects->node_events.push_back(
          {"node-modified", "{\"old_node\":" + node_json + ",\"new_node\":" + node_json + "}"});
      return Modified(rcmask::kNode, "Node '" + c.nodes[idx].name + "' modified.",
                      {{"Node", c.nodes[idx].name}}, x);
    }
    if (n == 4 && seg(3) == "storage-pools" && m == "POST") {
      if (!parse(true) || !body.is_object()) return ParseErrorResponse(x.created_ms, false);
      auto pool = br.Str(body, "storage_pool_name");
      auto kind_text = br.Str(body, "provider_kind");
      auto props = br.StrMap(body, "props");
      if (br.bad) return ParseErrorResponse(x.created_ms, false);
      auto kind = ParseProvider(kind_text.value_or("LVM_THIN"));
      if (!kind) {
        return Answer(
            {Entry(RetCode(rcmask::kError, rcmask::kCreate, rcmask::kStorPool, 236),
                   "Invalid provider kind '" + kind_text.value_or("") + "'.", x.created_ms)},
            201);
      }
      sim::OpResult op = world.CreateStoragePool(seg(2), pool.value_or(""), *kind,
                                                 world.spec().cluster.pool_size_kib);
      x.effects->changed = true;
      if (!OpFailed(op) && !props.empty()) {
        x.state->props["pool:" + FoldName(seg(2)) + "/" + FoldName(pool.value_or(""))] = props;
      }
      return FromOp(op, rcmask::kCreate, rcmask::kStorPool, x, 201);
    }
    return MethodNotAllowed();
  }

  if (seg(1) == "resource-definitions") {
    if (n == 2 && m == "POST") {
      if (!parse(true) || !body.is_object()) return ParseErrorResponse(x.created_ms, false);
      const json* rd = br.Obj(body, "resource_definition");
      std::string name, group;
      std::map<std::string, std::string> props;
      if (rd != nullptr) {
        name = br.Str(*rd, "name").value_or("");
        group = br.Str(*rd, "resource_group_name").value_or("");
        props = br.StrMap(*rd, "props");
        br.Str(*rd, "external_name");
      }
      br.Int(body, "drbd_port");
      br.Int(body, "drbd_peer_slots");
      br.Str(body, "drbd_secret");
      if (br.bad) return ParseErrorResponse(x.created_ms, false);
      sim::OpResult op = world.CreateResourceDefinition(name, group);
      x.effects->changed = true;
      if (!OpFailed(op) && !props.empty()) x.state->props["rd:" + FoldName(name)] = props;
      std::vector<ApiCallRc> entries;
      AppendOp(op, rcmask::kCreate, rcmask::kRscDfn, x.created_ms, &entries);
      const sim::RdIndex created = FindRd(world.cluster(), name);
      if (!OpFailed(op) && created != kNoIndex) {
        // LINSTOR-API.md 3.1: details and obj_refs name the new object's uuid.
        const std::string uuid = internal::DeterministicUuid(
            "rd", std::to_string(created) + "/" + world.cluster().rds[created].name);
        for (ApiCallRc& e : entries) {
          if (CodeOf(e.ret_code) != rccode::kCreated || IsError(e.ret_code)) continue;
          if (e.details.empty()) e.details = "Resource definition '" + name + "' UUID is: " + uuid;
          e.obj_refs["UUID"] = uuid;
        }
      }
      return Answer(std::move(entries), 201);
    }
    if (n < 3) return MethodNotAllowed();
    const std::string& rd_name = seg(2);
    const sim::RdIndex rd = FindRd(c, rd_name);
    if (n == 3 && m == "PUT") {
      if (!parse(true) || !body.is_object()) return ParseErrorResponse(x.created_ms, false);
      if (rd == kNoIndex) {
        return Answer({Entry(RetCode(rcmask::kError, rcmask::kModify, rcmask::kRscDfn,
                                     rccode::kFailNotFoundRscDfn),
                             "Resource definition '" + rd_name + "' not found.", x.created_ms)},
                      200);
      }
      ModifyProps(br, body, "rd:" + FoldName(c.rds[rd].name), x.state);
      br.Int(body, "drbd_port");
      br.Int(body, "drbd_peer_slots");
      br.StrList(body, "layer_stack");
      if (br.bad) return ParseErrorResponse(x.created_ms, false);
      x.effects->changed = true;
      return Modified(rcmask::kRscDfn, "Resource definition '" + c.rds[rd].name + "' modified.",
                      {{"RscDfn", c.rds[rd].name}}, x);
    }
    if (n == 3 && m == "DELETE") {
      sim::OpResult op = world.DeleteResourceDefinition(rd_name);
      x.effects->changed = true;
      return FromOp(op, rcmask::kDelete, rcmask::kRscDfn, x, 200);
    }
    if (n >= 4 && seg(3) == "volume-definitions") {
      if (n == 4 && m == "POST") {
        if (!parse(true) || !body.is_object()) return ParseErrorResponse(x.created_ms, false);
        const json* vd = br.Obj(body, "volume_definition");
        int64_t size = 0;
        std::optional<int64_t> number;
        std::map<std::string, std::string> props;
        if (vd != nullptr) {
          size = br.Int(*vd, "size_kib").value_or(0);
          number = br.Int(*vd, "volume_number");
          br.StrList(*vd, "flags");
          props = br.StrMap(*vd, "props");
        }
        br.Int(body, "drbd_minor_number");
        br.Str(body, "passphrase");
        if (br.bad) return ParseErrorResponse(x.created_ms, false);
        if (size <= 0 || (number && (*number < 0 || *number > 65535))) {
          return Answer(
              {Entry(RetCode(rcmask::kError, rcmask::kCreate, rcmask::kVlmDfn,
                             size <= 0 ? rccode::kFailInvalidVolumeSize : 207),
                     size <= 0 ? "Volume size must be positive." : "Invalid volume number.",
                     x.created_ms)},
              200);
        }
        uint32_t chosen = 0;
        std::optional<uint32_t> nr;
        if (number) nr = static_cast<uint32_t>(*number);
        sim::OpResult op =
            world.CreateVolumeDefinition(rd_name, static_cast<sim::Kib>(size), nr, &chosen);
        x.effects->changed = true;
        if (!OpFailed(op) && !props.empty()) {
          x.state->props["vd:" + FoldName(rd_name) + "/" + std::to_string(chosen)] = props;
        }
        // Errata: VolumeDefinitions.createVolumeDefinition answers 200, not 201.
        return FromOp(op, rcmask::kCreate, rcmask::kVlmDfn, x, 200);
      }
      if (n == 5) {
        uint32_t nr = 0;
        auto res = std::from_chars(seg(4).data(), seg(4).data() + seg(4).size(), nr);
        if (res.ec != std::errc() || res.ptr != seg(4).data() + seg(4).size())
          return NotFoundPath();
        if (m == "PUT") {
          if (!parse(true) || !body.is_object()) return ParseErrorResponse(x.created_ms, false);
          auto size = br.Int(body, "size_kib");
          br.StrList(body, "flags");
          const bool has_props = body.contains("override_props") || body.contains("delete_props") ||
                                 body.contains("delete_namespaces");
          BodyReader probe;
          probe.StrMap(body, "override_props");
          probe.StrList(body, "delete_props");
          probe.StrList(body, "delete_namespaces");
          if (br.bad || probe.bad) return ParseErrorResponse(x.created_ms, false);
          if (rd == kNoIndex || !FindVolumeSlot(c.rds[rd], seg(4))) {
            const bool rd_missing = rd == kNoIndex;
            return Answer(
                {Entry(
                    RetCode(rcmask::kError, rcmask::kModify, rcmask::kVlmDfn,
                            rd_missing ? rccode::kFailNotFoundRscDfn : rccode::kFailNotFoundVlmDfn),
                    rd_missing ? "Resource definition '" + rd_name + "' not found."
                               : "Volume definition with number '" + seg(4) +
                                     "' on resource definition '" + rd_name + "' not found.",
                    x.created_ms)},
                200);
          }
          x.effects->changed = true;
          std::vector<ApiCallRc> entries;
          if (size) {
            if (*size <= 0) {
              return Answer({Entry(RetCode(rcmask::kError, rcmask::kModify, rcmask::kVlmDfn,
                                           rccode::kFailInvalidVolumeSize),
                                   "Volume size must be positive.", x.created_ms)},
                            200);
            }
            sim::OpResult op =
                world.ResizeVolumeDefinition(rd_name, nr, static_cast<sim::Kib>(*size));
            AppendOp(op, rcmask::kModify, rcmask::kVlmDfn, x.created_ms, &entries);
            if (OpFailed(op)) return Answer(std::move(entries), 200);
          }
          if (has_props) {
            BodyReader apply;
            ModifyProps(apply, body, "vd:" + FoldName(rd_name) + "/" + std::to_string(nr), x.state);
          }
          if (entries.empty()) {
            ApiCallRc rc = Entry(RetCode(0, rcmask::kModify, rcmask::kVlmDfn, rccode::kModified),
                                 "Volume definition with number '" + std::to_string(nr) +
                                     "' on resource definition '" + c.rds[rd].name + "' modified.",
                                 x.created_ms);
            rc.obj_refs = {{"RscDfn", c.rds[rd].name}, {"VlmNr", std::to_string(nr)}};
            entries.push_back(std::move(rc));
          }
          return Answer(std::move(entries), 200);
        }
        if (m == "DELETE") {
          sim::OpResult op = world.DeleteVolumeDefinition(rd_name, nr);
          x.effects->changed = true;
          return FromOp(op, rcmask::kDelete, rcmask::kVlmDfn, x, 200);
        }
      }
      return MethodNotAllowed();
    }
    if (n == 4 && seg(3) == "autoplace" && m == "POST") {
      if (!parse(true) || !body.is_object()) return ParseErrorResponse(x.created_ms, false);
      sim::AutoPlaceRequest ap = ReadSelectFilter(br, br.Obj(body, "select_filter"));
      if (auto dor = br.Bool(body, "diskless_on_remaining")) ap.diskless_on_remaining = *dor;
      br.StrList(body, "layer_list");
      if (br.bad) return ParseErrorResponse(x.created_ms, false);
      if (ap.place_count < 0) {
        return Answer(
            {Entry(RetCode(rcmask::kError, rcmask::kCreate, rcmask::kRsc,
                           rccode::kFailInvalidPlaceCount),
                   "Invalid place count " + std::to_string(ap.place_count) + ".", x.created_ms)},
            201);
      }
      sim::OpResult op = world.AutoPlace(rd_name, ap);
      x.effects->changed = true;
      std::vector<ApiCallRc> entries;
      AppendOp(op, rcmask::kCreate, rcmask::kRsc, x.created_ms, &entries);
      AddReadyEntries(&entries, x.created_ms);
      return Answer(std::move(entries), 201);
    }
    if (n >= 4 && seg(3) == "resources") {
      auto create_one = [&](const json& item, const std::string& path_node,
                            std::vector<ApiCallRc>* entries) -> bool {
        const json* rsc = br.Obj(item, "resource");
        std::string node = path_node;
        std::vector<std::string> flags;
        std::map<std::string, std::string> props;
        if (rsc != nullptr) {
          if (auto nn = br.Str(*rsc, "node_name"); nn && node.empty()) node = *nn;
          flags = br.StrList(*rsc, "flags");
          props = br.StrMap(*rsc, "props");
        }
        auto layers = br.StrList(item, "layer_list");
        br.Int(item, "drbd_node_id");
        auto client = br.Bool(item, "drbd_client");
        if (br.bad) return false;
        sim::ReplicaKind kind = sim::ReplicaKind::kDiskful;
        for (const auto& f : flags) {
          if (EqualsFold(f, "TIE_BREAKER")) kind = sim::ReplicaKind::kTieBreaker;
          if (kind != sim::ReplicaKind::kTieBreaker &&
              (EqualsFold(f, "DRBD_DISKLESS") || EqualsFold(f, "DISKLESS"))) {
            kind = sim::ReplicaKind::kDiskless;
          }
        }
        if (client.value_or(false)) kind = sim::ReplicaKind::kDiskless;
        std::string pool;
        if (auto it = props.find("StorPoolName"); it != props.end()) pool = it->second;
        sim::OpResult op = world.CreateReplica(rd_name, node, kind, pool);
        if (!OpFailed(op)) {
          props.erase("StorPoolName");
          if (!props.empty())
            x.state->props["rsc:" + FoldName(rd_name) + "/" + FoldName(node)] = props;
        }
        AppendOp(op, rcmask::kCreate, rcmask::kRsc, x.created_ms, entries);
        (void)layers;
        return true;
      };
      if (n == 4 && m == "POST") {
        if (!parse(true)) return ParseErrorResponse(x.created_ms, false);
        if (!body.is_array()) return ParseErrorResponse(x.created_ms, false);
        std::vector<ApiCallRc> entries;
        x.effects->changed = true;
        for (const json& item : body) {
          if (!create_one(item, "", &entries)) return ParseErrorResponse(x.created_ms, false);
        }
        if (entries.empty()) {
          entries.push_back(Entry(RetCode(0, rcmask::kCreate, rcmask::kRsc, 0),
                                  "No resources created.", x.created_ms));
        }
        return Answer(std::move(entries), 201);
      }
      if (n < 5) return MethodNotAllowed();
      const std::string& node_name = seg(4);
      if (n == 5 && m == "POST") {
        if (!parse(true) || !body.is_object()) return ParseErrorResponse(x.created_ms, false);
        std::vector<ApiCallRc> entries;
        x.effects->changed = true;
        if (!create_one(body, node_name, &entries)) return ParseErrorResponse(x.created_ms, false);
        return Answer(std::move(entries), 201);
      }
      if (n == 5 && m == "PUT") {
        if (!parse(true) || !body.is_object()) return ParseErrorResponse(x.created_ms, false);
        const sim::ReplicaIndex r = FindReplica(c, rd, FindNode(c, node_name));
        if (r == kNoIndex) {
          return Answer(
              {Entry(
                  RetCode(rcmask::kError, rcmask::kModify, rcmask::kRsc,
                          rd == kNoIndex ? rccode::kFailNotFoundRscDfn : rccode::kFailNotFoundRsc),
                  "Resource '" + rd_name + "' on '" + node_name + "' not found.", x.created_ms)},
              200);
        }
        ModifyProps(br, body, "rsc:" + FoldName(rd_name) + "/" + FoldName(node_name), x.state);
        br.Bool(body, "drbd_tiebreaker");
        br.Bool(body, "drbd_client");
        if (br.bad) return ParseErrorResponse(x.created_ms, false);
        x.effects->changed = true;
        return Modified(rcmask::kRsc,
                        "Resource '" + c.rds[rd].name + "' on node '" +
                            c.nodes[c.replicas[r].node].name + "' modified.",
                        {{"RscDfn", c.rds[rd].name}, {"Node", c.nodes[c.replicas[r].node].name}},
                        x);
      }
      if (n == 5 && m == "DELETE") {
        // keep_tiebreaker is accepted and has no effect on the simulated placement.
        sim::OpResult op = world.DeleteReplica(rd_name, node_name);
        x.effects->changed = true;
        return FromOp(op, rcmask::kDelete, rcmask::kRsc, x, 200);
      }
      if (n == 6 && seg(5) == "make-available" && m == "POST") {
        if (!parse(false) || !body.is_object()) return ParseErrorResponse(x.created_ms, false);
        auto diskful = br.Bool(body, "diskful");
        br.StrList(body, "layer_list");
        if (br.bad) return ParseErrorResponse(x.created_ms, false);
        sim::OpResult op = world.MakeAvailable(rd_name, node_name, diskful.value_or(false));
        x.effects->changed = true;
        return FromOp(op, rcmask::kCreate, rcmask::kRsc, x, 200);
      }
      if (n >= 6 && seg(5) == "toggle-disk" && m == "PUT") {
        bool to_diskful = false;
        std::string pool;
        if (n == 6) {
          if (!parse(true) || !body.is_object()) return ParseErrorResponse(x.created_ms, false);
          auto op_text = br.Str(body, "operation");
          pool = br.Str(body, "storage_pool").value_or("");
          br.Str(body, "migrate_from");
          br.StrList(body, "layer_list");
          if (br.bad) return ParseErrorResponse(x.created_ms, false);
          const std::string op_name = op_text.value_or("");
          if (op_name == "INTO_DRBD_DISKFUL") {
            to_diskful = true;
          } else if (op_name == "INTO_DRBD_DISKLESS" || op_name == "INTO_DRBD_CLIENT") {
            to_diskful = false;
          } else {
            return ParseErrorResponse(x.created_ms, false);
          }
        } else if ((n == 7 || n == 8) && (seg(6) == "diskless" || seg(6) == "diskful")) {
          // Deprecated paths (CLI 1.27, golinstor): optional body {"layer_list":[...]}.
          if (!parse(false) || !body.is_object()) return ParseErrorResponse(x.created_ms, false);
          br.StrList(body, "layer_list");
          if (br.bad) return ParseErrorResponse(x.created_ms, false);
          to_diskful = seg(6) == "diskful";
          if (n == 8 && to_diskful) pool = seg(7);
        } else {
          return NotFoundPath();
        }
        sim::OpResult op = world.ToggleDisk(rd_name, node_name, to_diskful, pool);
        x.effects->changed = true;
        return FromOp(op, rcmask::kModify, rcmask::kRsc, x, 200);
      }
      return MethodNotAllowed();
    }
    return MethodNotAllowed();
  }

  if (seg(1) == "resource-groups") {
    if (n == 2 && m == "POST") {
      // Resource-group calls are synchronous: unparseable JSON is 400 here.
      if (!parse(true) || !body.is_object()) return ParseErrorResponse(x.created_ms, true);
      auto name = br.Str(body, "name");
      auto description = br.Str(body, "description");
      auto props = br.StrMap(body, "props");
      sim::AutoPlaceRequest ap = ReadSelectFilter(br, br.Obj(body, "select_filter"));
      br.Int(body, "peer_slots");
      if (br.bad) return ParseErrorResponse(x.created_ms, true);
      sim::OpResult op = world.CreateResourceGroup(
          name.value_or(""), ap.place_count > 0 ? ap.place_count : 2, ap.storage_pool_list);
      x.effects->changed = true;
      if (!OpFailed(op)) {
        const std::string key = FoldName(name.value_or(""));
        if (description && !description->empty()) x.state->group_descriptions[key] = *description;
        if (!props.empty()) x.state->props["rg:" + key] = props;
      }
      return FromOp(op, rcmask::kCreate, rcmask::kRscGrp, x, 201);
    }
    if (n < 3) return MethodNotAllowed();
    const std::string& rg_name = seg(2);
    const sim::GroupIndex g = FindGroup(c, rg_name);
    auto rg_missing = [&](uint64_t op_mask) {
      return Answer(
          {Entry(RetCode(rcmask::kError, op_mask, rcmask::kRscGrp, rccode::kFailNotFoundRscGrp),
                 "Resource group '" + rg_name + "' not found.", x.created_ms)},
          200);
    };
    if (n == 3 && m == "PUT") {
      if (!parse(true) || !body.is_object()) return ParseErrorResponse(x.created_ms, true);
      auto description = br.Str(body, "description");
      const json* filter = br.Obj(body, "select_filter");
      sim::AutoPlaceRequest ap = ReadSelectFilter(br, filter);
      BodyReader probe;
      probe.StrMap(body, "override_props");
      probe.StrList(body, "delete_props");
      probe.StrList(body, "delete_namespaces");
      if (br.bad || probe.bad) return ParseErrorResponse(x.created_ms, true);
      if (g == kNoIndex) return rg_missing(rcmask::kModify);
      std::optional<int> place;
      std::optional<std::vector<std::string>> pools;
      if (filter != nullptr && ap.place_count > 0) place = ap.place_count;
      if (filter != nullptr && filter->contains("storage_pool_list")) pools = ap.storage_pool_list;
      if (filter != nullptr && filter->contains("storage_pool") && !pools)
        pools = ap.storage_pool_list;
      x.effects->changed = true;
      std::vector<ApiCallRc> entries;
      if (place || pools) {
        sim::OpResult op = world.ModifyResourceGroup(c.groups[g].name, place, pools);
        AppendOp(op, rcmask::kModify, rcmask::kRscGrp, x.created_ms, &entries);
        if (OpFailed(op)) return Answer(std::move(entries), 200);
      }
      const std::string key = FoldName(c.groups[g].name);
      if (description) x.state->group_descriptions[key] = *description;
      BodyReader apply;
      ModifyProps(apply, body, "rg:" + key, x.state);
      if (entries.empty()) {
        ApiCallRc rc = Entry(RetCode(0, rcmask::kModify, rcmask::kRscGrp, rccode::kModified),
                             "Resource group '" + c.groups[g].name + "' modified.", x.created_ms);
        rc.obj_refs = {{"RscGrp", c.groups[g].name}};
        entries.push_back(std::move(rc));
      }
      return Answer(std::move(entries), 200);
    }
    if (n == 4 && seg(3) == "volume-groups" && m == "POST") {
      if (!parse(true) || !body.is_object()) return ParseErrorResponse(x.created_ms, true);
      br.Int(body, "volume_number");
      br.StrMap(body, "props");
      br.StrList(body, "flags");
      if (br.bad) return ParseErrorResponse(x.created_ms, true);
      if (g == kNoIndex) return rg_missing(rcmask::kCreate);
      const std::string key = FoldName(c.groups[g].name);
      const uint32_t nr = internal::VolumeGroupCount(RenderContext{c, *x.state, x.epoch_ms}, g);
      x.state->extra_volume_groups[key] += 1;
      x.effects->changed = true;
      ApiCallRc rc = Entry(RetCode(0, rcmask::kCreate, rcmask::kVlmGrp, rccode::kCreated),
                           "New volume group with number '" + std::to_string(nr) +
                               "' of resource group '" + c.groups[g].name + "' created.",
                           x.created_ms);
      rc.obj_refs = {{"RscGrp", c.groups[g].name}, {"VlmNr", std::to_string(nr)}};
      return Answer({rc}, 200);
    }
    if (n == 4 && seg(3) == "spawn" && m == "POST") {
      if (!parse(true) || !body.is_object()) return ParseErrorResponse(x.created_ms, false);
      auto rd_new = br.Str(body, "resource_definition_name");
      std::vector<sim::Kib> sizes;
      if (const json* v = br.Get(body, "volume_sizes")) {
        if (!v->is_array()) {
          br.bad = true;
        } else {
          for (const json& e : *v) {
            if (!e.is_number_integer() || e.get<int64_t>() <= 0) {
              if (!e.is_number_integer()) br.bad = true;
              sizes.push_back(0);
              continue;
            }
            sizes.push_back(static_cast<sim::Kib>(e.get<int64_t>()));
          }
        }
      }
      const bool partial = br.Bool(body, "partial").value_or(false);
      const bool definitions_only = br.Bool(body, "definitions_only").value_or(false);
      ReadSelectFilter(br, br.Obj(body, "select_filter"));
      if (br.bad) return ParseErrorResponse(x.created_ms, false);
      if (g == kNoIndex) return rg_missing(rcmask::kCreate);
      // The world checks the volume groups (partial mode, FAIL_INVLD_VLM_SIZES).
      (void)partial;
      std::vector<ApiCallRc> entries;
      sim::OpResult op =
          world.Spawn(c.groups[g].name, rd_new.value_or(""), sizes, definitions_only);
      x.effects->changed = true;
      AppendOp(op, rcmask::kCreate, rcmask::kRscDfn, x.created_ms, &entries);
      AddReadyEntries(&entries, x.created_ms);
      return Answer(std::move(entries), 201);
    }
    return MethodNotAllowed();
  }
  (void)parsed;
  return NotFoundPath();
}

}  // namespace

// --- public ------------------------------------------------------------------------------------

std::vector<std::string> QueryView::All(std::string_view key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : query) {
    if (k == key) out.push_back(v);
  }
  return out;
}
bool QueryView::Has(std::string_view key) const {
  for (const auto& [k, v] : query) {
    if (k == key) return true;
  }
  return false;
}
std::string QueryView::Get(std::string_view key) const {
  for (const auto& [k, v] : query) {
    if (k == key) return v;
  }
  return "";
}
int64_t QueryView::GetInt(std::string_view key, int64_t fallback) const {
  const std::string v = Get(key);
  int64_t out = 0;
  auto res = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || res.ec != std::errc() || res.ptr != v.data() + v.size()) return fallback;
  return out;
}
bool QueryView::GetBool(std::string_view key) const {
  const std::string v = Get(key);
  return EqualsFold(v, "true") || v == "1";
}

std::string UrlDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (ch == '%' && i + 2 < s.size()) {
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && ch == '+' ? ' ' : ch);
  }
  return out;
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view qs) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i <= qs.size()) {
    size_t j = qs.find('&', i);
    if (j == std::string_view::npos) j = qs.size();
    std::string_view part = qs.substr(i, j - i);
    if (!part.empty()) {
      const size_t eq = part.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(UrlDecode(part, true), "");
      } else {
        out.emplace_back(UrlDecode(part.substr(0, eq), true), UrlDecode(part.substr(eq + 1), true));
      }
    }
    i = j + 1;
  }
  return out;
}

HttpResponse ErrorResponse(int64_t ret_code, std::string message, int64_t created_unix_ms,
                           int status) {
  std::vector<ApiCallRc> entries{Entry(ret_code, std::move(message), created_unix_ms)};
  HttpResponse r;
  r.status = status > 0 ? status : HttpStatusFor(entries, 200);
  r.body = RenderApiCallRcList(entries);
  return r;
}

std::string RenderNodeJson(const sim::Cluster& cluster, const MockState& state, sim::NodeIndex node,
                           int64_t epoch_unix_ms) {
  std::string out;
  JsonWriter w(&out);
  internal::RenderNode(w, RenderContext{cluster, state, epoch_unix_ms}, node);
  return out;
}

bool RestApi::KnownPath(std::string_view path) {
  const auto s = SplitPath(path);
  if (s.size() < 2 || s[0] != "v1") return false;
  const std::string& top = s[1];
  return top == "controller" || top == "nodes" || top == "view" || top == "resource-definitions" ||
         top == "resource-groups" || top == "events";
}

std::string RestApi::RenderResourceView(const sim::Cluster& c, const MockState& state,
                                        const QueryView& q) const {
  RenderContext rc{c, state, epoch_unix_ms_};
  NameFilter nodes(q.All("nodes"));
  NameFilter rds(q.All("resources"));
  NameFilter pools(q.All("storage_pools"));
  PropsFilter props(q.All("props"));
  std::vector<uint32_t> rd_idx;
  rd_idx.reserve(c.rds.size());
  for (sim::RdIndex i = 0; i < c.rds.size(); ++i) {
    if (c.rds[i].alive && rds.Matches(c.rds[i].name)) rd_idx.push_back(i);
  }
  rd_idx = SortedByName(std::move(rd_idx),
                        [&](uint32_t i) -> const std::string& { return c.rds[i].name; });
  // Node names folded once (not once per replica) for the per-resource ordering by node.
  std::vector<std::string> folded_nodes;
  folded_nodes.reserve(c.nodes.size());
  for (const auto& n : c.nodes) folded_nodes.push_back(FoldName(n.name));
  std::vector<uint32_t> reps;
  reps.reserve(rd_idx.size() * 3);
  std::vector<uint32_t> mine;
  for (uint32_t rd : rd_idx) {
    mine.clear();
    for (sim::ReplicaIndex r : c.rds[rd].replicas) {
      if (r < c.replicas.size() && c.replicas[r].alive && c.nodes[c.replicas[r].node].alive) {
        mine.push_back(r);
      }
    }
    std::sort(mine.begin(), mine.end(), [&](uint32_t x, uint32_t y) {
      return folded_nodes[c.replicas[x].node] < folded_nodes[c.replicas[y].node];
    });
    for (uint32_t r : mine) {
      const sim::Replica& rep = c.replicas[r];
      if (!nodes.Matches(c.nodes[rep.node].name)) continue;
      if (!pools.folded.empty() && !pools.Matches(c.pools[rep.pool].name)) continue;
      if (!props.empty() && !props.Matches(internal::ResourceProps(rc, r))) continue;
      reps.push_back(r);
    }
  }
  Page(&reps, q);
  std::string out;
  out.reserve(reps.size() * 2600 + 2);
  JsonWriter w(&out);
  w.BeginArray();
  for (uint32_t r : reps) internal::RenderResource(w, rc, r, true);
  w.EndArray();
  return out;
}

HttpResponse RestApi::HandleRead(const HttpRequest& req, const sim::Cluster& cluster,
                                 const MockState& state, int64_t now_ms) const {
  const auto s = SplitPath(req.path);
  if (s.size() < 2 || s[0] != "v1") return NotFoundPath();
  QueryView q{req.query};
  if (s.size() == 3 && s[1] == "view" && s[2] == "resources") {
    return JsonOk(RenderResourceView(cluster, state, q));
  }
  ReadCtx x{cluster, state, RenderContext{cluster, state, epoch_unix_ms_}, q,
            epoch_unix_ms_ + now_ms};
  return HandleReadRoute(s, x);
}

HttpResponse RestApi::HandleWrite(const HttpRequest& req, sim::World* world, MockState* state,
                                  WriteEffects* effects) const {
  const auto s = SplitPath(req.path);
  if (s.size() < 2 || s[0] != "v1") return NotFoundPath();
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(world->now()).count();
  WriteCtx x{world, state, effects, epoch_unix_ms_ + now_ms, epoch_unix_ms_};
  return WriteRoute(req, s, x);
}

}  // namespace lnsim::mock
