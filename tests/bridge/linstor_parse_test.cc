// LINSTOR parsing: fixtures shaped like the real controller's answers (LINSTOR-API.md 2.2-2.7),
// missing keys (NON_EMPTY), unknown fields, and bad input (truncated, malformed, wrong types)
// that must become kDataLoss, never a crash. A fixed-seed mutation loop fuzzes all four parsers.
#include "bridge/linstor_parse.h"

#include <gtest/gtest.h>

#include <cstring>

#include "common/rng.h"

namespace lnsim::bridge {
namespace {

const char kNodes[] = R"J([
 {"name":"node-a","type":"SATELLITE","props":{"CurStltConnName":"default"},
  "net_interfaces":[{"name":"default","address":"10.0.0.11","satellite_port":3366}],
  "connection_status":"ONLINE","uuid":"c46648c1","storage_providers":["DISKLESS","LVM"]},
 {"name":"Node.B","type":"SATELLITE","connection_status":"OFFLINE","flags":["DELETE","EVICTED"],
  "eviction_timestamp":1795466933296},
 {"name":"node-c","type":"SATELLITE","future_field":{"x":[1,2,3]}}
])J";

const char kPools[] = R"J([
 {"storage_pool_name":"pool1","node_name":"node-a","provider_kind":"LVM_THIN",
  "props":{"StorDriver/LvmVg":"vg1"},"free_capacity":10,"total_capacity":100,
  "free_space_mgr_name":"node-a;pool1","uuid":"x","supports_snapshots":true},
 {"storage_pool_name":"DfltDisklessStorPool","node_name":"node-a","provider_kind":"DISKLESS",
  "free_capacity":9223372036854775807,"total_capacity":9223372036854775807},
 {"storage_pool_name":"pool1","node_name":"Node.B","provider_kind":"LVM_THIN",
  "reports":[{"ret_code":-9223372036854774806,"message":"No active connection"}]}
])J";

const char kRds[] = R"J([
 {"name":"demo","props":{"DrbdOptions/Resource/quorum":"majority"},
  "layer_data":[{"type":"DRBD","data":{"peer_slots":7,"port":7000}},{"type":"STORAGE"}],
  "uuid":"u","resource_group_name":"DfltRscGrp",
  "volume_definitions":[{"volume_number":1,"size_kib":2048},
                        {"volume_number":0,"size_kib":2097152,"flags":["RESIZE"]}]},
 {"name":"empty"}
])J";

const char kView[] = R"J([
 {"name":"demo","node_name":"node-a","props":{"StorPoolName":"pool1"},
  "layer_object":{"type":"DRBD","resource_name_suffix":"",
    "children":[{"type":"STORAGE","storage":{"storage_volumes":[{"volume_number":0}]}}],
    "drbd":{"node_id":0,"flags":["INITIALIZED"],"promotion_score":10102,"may_promote":true,
            "connections":{"Node.B":{"connected":false,"message":"Connecting"},
                           "node-c":{"connected":true,"message":"Connected"}}}},
  "uuid":"u","create_timestamp":1795466933296,"state":{"in_use":true},
  "volumes":[{"volume_number":0,"storage_pool_name":"pool1","provider_kind":"LVM_THIN",
    "state":{"disk_state":"UpToDate","replication_states":{"node-c":{"replication_state":"Established"}}}}]},
 {"name":"demo","node_name":"Node.B","layer_object":{"type":"DRBD","drbd":{"node_id":1}},
  "volumes":[{"volume_number":0,"storage_pool_name":"pool1"}]},
 {"name":"demo","node_name":"node-c","flags":["DISKLESS","DRBD_DISKLESS","TIE_BREAKER"],
  "layer_object":{"type":"DRBD","drbd":{"connections":{}}},"state":{},
  "volumes":[{"volume_number":0,"storage_pool_name":"DfltDisklessStorPool",
              "state":{"disk_state":"SyncTarget(42.17%)"}}]}
])J";

TEST(LinstorParseTest, Nodes) {
  LinstorParser p;
  Snapshot s;
  size_t count = 0;
  std::string body = kNodes;
  ASSERT_TRUE(p.ParseNodes(body, &s, &count).ok());
  EXPECT_EQ(count, 3u);
  ASSERT_EQ(s.nodes.size(), 3u);
  EXPECT_EQ(s.nodes["node-a"].connection_status, "ONLINE");
  EXPECT_EQ(s.nodes["node.b"].name, "Node.B");
  EXPECT_TRUE(s.nodes["node.b"].evicted);
  EXPECT_EQ(s.nodes["node-c"].connection_status, "");
}

TEST(LinstorParseTest, StoragePoolsWithMissingCapacities) {
  LinstorParser p;
  Snapshot s;
  size_t count = 0;
  std::string body = kPools;
  ASSERT_TRUE(p.ParseStoragePools(body, &s, &count).ok());
  EXPECT_EQ(count, 3u);
  using K = std::pair<std::string, std::string>;
  auto& a = s.pools[K("node-a", "pool1")];
  EXPECT_EQ(*a.free_capacity_kib, 10);
  EXPECT_EQ(*a.total_capacity_kib, 100);
  auto& b = s.pools[K("node.b", "pool1")];
  EXPECT_FALSE(b.free_capacity_kib.has_value());
  EXPECT_EQ(s.pools[K("node-a", "dfltdisklessstorpool")].provider_kind, "DISKLESS");
}

TEST(LinstorParseTest, ResourceDefinitionsSortVolumes) {
  LinstorParser p;
  Snapshot s;
  size_t count = 0;
  std::string body = kRds;
  ASSERT_TRUE(p.ParseResourceDefinitions(body, &s, &count).ok());
  EXPECT_EQ(count, 2u);
  const auto& rd = s.resource_definitions["demo"];
  EXPECT_EQ(rd.resource_group, "DfltRscGrp");
  ASSERT_EQ(rd.volumes.size(), 2u);
  EXPECT_EQ(rd.volumes[0].volume_number, 0);
  EXPECT_EQ(rd.volumes[0].size_kib, 2097152);
  EXPECT_TRUE(s.resource_definitions["empty"].volumes.empty());
}

TEST(LinstorParseTest, ResourceViewLiveAndUnknownState) {
  LinstorParser p;
  Snapshot s;
  size_t count = 0;
  std::string body = kView;
  ASSERT_TRUE(p.ParseResources(body, &s, &count).ok());
  LinstorParser::SortSnapshot(&s);
  EXPECT_EQ(count, 3u);
  auto& reps = s.replicas["demo"];
  ASSERT_EQ(reps.size(), 3u);
  const Replica& a = reps["node-a"];
  EXPECT_TRUE(a.live);
  EXPECT_EQ(a.in_use, Tri::kTrue);
  ASSERT_EQ(a.connections.size(), 2u);
  EXPECT_EQ(a.connections[0].peer, "node-c");  // sorted by folded name: "node-c" < "node.b"
  EXPECT_EQ(a.connections[1].peer, "node.b");
  EXPECT_EQ(a.connections[1].display, "Node.B");
  EXPECT_FALSE(a.connections[1].connected);
  EXPECT_EQ(a.volumes[0].disk_state, "UpToDate");
  EXPECT_EQ(a.volumes[0].storage_pool, "pool1");
  const Replica& b = reps["node.b"];  // offline: no state, no connections
  EXPECT_FALSE(b.live);
  EXPECT_EQ(b.in_use, Tri::kUnknown);
  EXPECT_EQ(b.volumes[0].disk_state, "");
  const Replica& c = reps["node-c"];
  EXPECT_TRUE(c.live);
  EXPECT_TRUE(c.diskless);
  EXPECT_TRUE(c.tie_breaker);
  EXPECT_EQ(c.in_use, Tri::kUnknown);  // "state":{} without in_use
  EXPECT_EQ(c.volumes[0].disk_state, "SyncTarget");
  EXPECT_DOUBLE_EQ(*c.volumes[0].done_percentage, 42.17);
}

TEST(LinstorParseTest, SplitDiskState) {
  std::string label;
  std::optional<double> pct;
  SplitDiskState("SyncTarget(5.5%)", &label, &pct);
  EXPECT_EQ(label, "SyncTarget");
  EXPECT_DOUBLE_EQ(*pct, 5.5);
  SplitDiskState("Diskless(Detached)", &label, &pct);
  EXPECT_EQ(label, "Diskless");
  EXPECT_FALSE(pct.has_value());
  SplitDiskState("UpToDate", &label, &pct);
  EXPECT_EQ(label, "UpToDate");
}

TEST(LinstorParseTest, BadInputIsDataLossNamingTheEndpoint) {
  LinstorParser p;
  struct Case {
    const char* body;
    const char* want;
  };
  const Case cases[] = {
      {R"J({"not":"an array"})J", "not a JSON array"},
      {R"J([{"name":"a","connection_status":"ONLINE"},)J", "malformed"},
      {R"J([{"name":5}])J", "'name' is not a string"},
      {R"J([{"connection_status":"ONLINE"}])J", "without 'name'"},
      {R"J([{"name":"a","flags":"EVICTED"}])J", "'flags' is not an array"},
      {R"J([17])J", "node is not an object"},
      {"", "malformed"},
      {"\xff\xfe garbage", "malformed"},
  };
  for (const auto& c : cases) {
    Snapshot s;
    size_t count = 0;
    std::string body = c.body;
    Status st = p.ParseNodes(body, &s, &count);
    EXPECT_EQ(st.code(), StatusCode::kDataLoss) << c.body;
    EXPECT_NE(st.message().find("GET /v1/nodes"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(c.want), std::string::npos) << st.message();
  }
  Snapshot s;
  size_t count = 0;
  std::string body = R"J([{"name":"r","node_name":"n","state":{"in_use":"yes"}}])J";
  EXPECT_EQ(p.ParseResources(body, &s, &count).code(), StatusCode::kDataLoss);
  body = R"J([{"name":"r","node_name":"n","volumes":[{"storage_pool_name":"p"}]}])J";
  EXPECT_EQ(p.ParseResources(body, &s, &count).code(), StatusCode::kDataLoss);
  body = R"J([{"storage_pool_name":"p","node_name":"n","free_capacity":"lots"}])J";
  EXPECT_EQ(p.ParseStoragePools(body, &s, &count).code(), StatusCode::kDataLoss);
  body = R"J([{"name":"r","volume_definitions":[{"size_kib":1}]}])J";
  EXPECT_EQ(p.ParseResourceDefinitions(body, &s, &count).code(), StatusCode::kDataLoss);
}

TEST(LinstorParseTest, NullsAreUnknownNotErrors) {
  LinstorParser p;
  Snapshot s;
  size_t count = 0;
  std::string body = R"J([{"name":"r","node_name":"n","state":{"in_use":null}}])J";
  ASSERT_TRUE(p.ParseResources(body, &s, &count).ok());
  EXPECT_EQ(s.replicas["r"]["n"].in_use, Tri::kUnknown);
  EXPECT_TRUE(s.replicas["r"]["n"].live);
}

TEST(LinstorParseTest, TruncationAtEveryByteNeverCrashes) {
  LinstorParser p;
  const std::string full = kView;
  size_t ok = 0;
  for (size_t n = 0; n < full.size(); ++n) {
    Snapshot s;
    size_t count = 0;
    std::string body = full.substr(0, n);
    Status st = p.ParseResources(body, &s, &count);
    if (st.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(st.code(), StatusCode::kDataLoss);
    }
  }
  EXPECT_EQ(ok, 0u);  // every strict prefix of an array is incomplete
}

// Fixed-seed mutation fuzzing: flips, insertions, deletions and splices of the fixtures.
TEST(LinstorParseTest, FuzzMutationsNeverCrash) {
  Rng rng(20260602);
  LinstorParser p;
  const std::string seeds[] = {kNodes, kPools, kRds, kView};
  const char interesting[] = "{}[],:\"\\0123456789tfn.-eE \x00\xff";
  size_t ok = 0, errors = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string body = seeds[rng.Uniform(4)];
    const int mutations = 1 + static_cast<int>(rng.Uniform(4));
    for (int m = 0; m < mutations && !body.empty(); ++m) {
      const size_t pos = rng.Uniform(body.size());
      switch (rng.Uniform(4)) {
        case 0:
          body[pos] = interesting[rng.Uniform(sizeof interesting - 1)];
          break;
        case 1:
          body.insert(pos, 1, interesting[rng.Uniform(sizeof interesting - 1)]);
          break;
        case 2:
          body.erase(pos, 1 + rng.Uniform(8));
          break;
        case 3:
          body = body.substr(0, pos);
          break;
      }
    }
    Snapshot s;
    size_t count = 0;
    Status st;
    switch (iter % 4) {
      case 0:
        st = p.ParseNodes(body, &s, &count);
        break;
      case 1:
        st = p.ParseStoragePools(body, &s, &count);
        break;
      case 2:
        st = p.ParseResourceDefinitions(body, &s, &count);
        break;
      case 3:
        st = p.ParseResources(body, &s, &count);
        break;
    }
    if (st.ok()) {
      ++ok;
    } else {
      ++errors;
      ASSERT_EQ(st.code(), StatusCode::kDataLoss) << st.ToString();
    }
  }
  EXPECT_GT(errors, 1000u);
  EXPECT_GT(ok + errors, 19999u);
}

// ---- Reuse of unchanged objects (ParseResources remembers the previous poll) ---------------
// A random view: `resources` resources with 2-3 replicas over 5 nodes; live state, in_use,
// disk states and connections drawn from `rng`. Names vary in case (LINSTOR folds them).
std::string RandomView(Rng& rng, int resources) {
  static const char* kDisks[] = {"UpToDate",        "Outdated", "SyncTarget(12.5%)",
                                 "SyncTarget(77%)", "Diskless", "Inconsistent"};
  static const char* kNodesNames[] = {"node-a", "Node.B", "node-c", "node-d", "NODE-E"};
  std::string out = "[";
  for (int r = 0; r < resources; ++r) {
    const int replicas = 2 + static_cast<int>(rng.Uniform(2));
    const int first = static_cast<int>(rng.Uniform(5));
    for (int k = 0; k < replicas; ++k) {
      const int node = (first + k) % 5;
      if (out.size() > 1) out += rng.Uniform(4) == 0 ? " ,\n " : ",";
      out += "{\"name\":\"pvc-" + std::to_string(r) + (r % 3 == 0 ? "-X" : "-x") +
             "\",\"node_name\":\"" + kNodesNames[node] + "\"";
      if (rng.Uniform(3) == 0) out += ",\"flags\":[\"DISKLESS\",\"TIE_BREAKER\"]";
      out += ",\"layer_object\":{\"type\":\"DRBD\",\"drbd\":{\"connections\":{";
      for (int p = 0; p < replicas; ++p) {
        if (p == k) continue;
        if (out.back() != '{') out += ",";
        out += std::string("\"") + kNodesNames[(first + p) % 5] +
               "\":{\"connected\":" + (rng.Uniform(5) ? "true" : "false") +
               ",\"message\":\"Connected\"}";
      }
      out += "}}}";
      if (rng.Uniform(6) != 0) {
        out += std::string(",\"state\":{\"in_use\":") + (rng.Uniform(2) ? "true" : "false") + "}";
      }
      out +=
          ",\"volumes\":[{\"volume_number\":0,\"storage_pool_name\":\"pool1\",\"state\":"
          "{\"disk_state\":\"" +
          std::string(kDisks[rng.Uniform(6)]) + "\"}}]}";
    }
  }
  out += "]";
  return out;
}

// Changes a few objects of a view (or, sometimes, breaks the JSON): the next poll's body.
std::string Mutate(Rng& rng, std::string body) {
  static const std::pair<const char*, const char*> kSwaps[] = {
      {"true", "false"}, {"false", "true"},          {"UpToDate", "Outdated"},
      {"12.5", "55.5"},  {"\"pool1\"", "\"pool2\""}, {"Connected", "Connecting"}};
  const int n = 1 + static_cast<int>(rng.Uniform(3));
  for (int i = 0; i < n && !body.empty(); ++i) {
    const size_t pos = rng.Uniform(body.size());
    switch (rng.Uniform(8)) {
      case 0:  // byte-level damage: must fail exactly as the reference fails
        body[pos] = "{}[],:\"\\x0 "[rng.Uniform(11)];
        break;
      case 1:  // drop an object (a replica deleted)
      {
        const size_t start = body.find(",{\"name\"", pos);
        if (start == std::string::npos) break;
        const size_t stop = body.find(",{\"name\"", start + 1);
        if (stop != std::string::npos) body.erase(start, stop - start);
        break;
      }
      default: {  // a value changes
        const auto& [from, to] = kSwaps[rng.Uniform(6)];
        const size_t at = body.find(from, pos);
        if (at != std::string::npos) body.replace(at, std::strlen(from), to);
        break;
      }
    }
  }
  return body;
}

// The reusing parser returns exactly what the whole-document parse returns: the same status
// code and message, the same snapshot, poll after poll, while objects change, disappear, come
// back and the JSON breaks; with recycled snapshots and pages split across calls.
TEST(LinstorParseTest, ReuseEqualsWholeDocumentParse) {
  Rng rng(20261124);
  LinstorParser reusing;
  LinstorParser reference;
  reference.set_reuse(false);
  std::string body = RandomView(rng, 40);
  size_t ok = 0, errors = 0;
  for (int poll = 0; poll < 400; ++poll) {
    std::string next = Mutate(rng, body);
    if (poll % 50 == 0) next = RandomView(rng, 40);  // everything new
    Snapshot got, want;
    size_t got_count = 0, want_count = 0;
    std::string a = next, b = next;
    const Status gs = reusing.ParseResources(a, &got, &got_count);
    const Status ws = reference.ParseResources(b, &want, &want_count);
    ASSERT_EQ(gs.code(), ws.code()) << gs.ToString() << " vs " << ws.ToString();
    ASSERT_EQ(gs.message(), ws.message());
    if (ws.ok()) {
      ++ok;
      ASSERT_EQ(got_count, want_count);
      ASSERT_TRUE(got == want) << "poll " << poll;
      body = next;  // the next poll changes a valid body
    } else {
      ++errors;
    }
    if (poll % 7 == 0) {  // a poll boundary as the client makes it: other lists in between
      std::string nodes = kNodes;
      Snapshot s;
      size_t count = 0;
      ASSERT_TRUE(reusing.ParseNodes(nodes, &s, &count).ok());
    }
    RecycleSnapshot(std::move(got));  // the next parse reuses its nodes
  }
  EXPECT_GT(ok, 200u);
  EXPECT_GT(errors, 20u);
  const auto stats = reusing.reuse_stats();
  EXPECT_GT(stats.hits, stats.misses);  // most objects were not parsed again
}

TEST(LinstorParseTest, UnchangedObjectsAreNotParsedAgain) {
  Rng rng(7);
  LinstorParser p;
  const std::string view = RandomView(rng, 100);
  size_t count = 0;
  std::string body = view;
  Snapshot first;
  ASSERT_TRUE(p.ParseResources(body, &first, &count).ok());
  const auto s1 = p.reuse_stats();
  EXPECT_EQ(s1.hits, 0u);
  EXPECT_EQ(s1.misses, count);
  // One value changes: one object is parsed, all others are reused.
  body = view;
  const size_t at = body.find("UpToDate", body.size() / 2);
  ASSERT_NE(at, std::string::npos);
  body.replace(at, 8, "Outdated");
  Snapshot second;
  ASSERT_TRUE(p.ParseResources(body, &second, &count).ok());
  const auto s2 = p.reuse_stats();
  EXPECT_EQ(s2.misses - s1.misses, 1u);
  EXPECT_EQ(s2.hits - s1.hits, count - 1);
  EXPECT_FALSE(first == second);
  // Objects the last poll did not see are forgotten once the cache is mostly stale, and their
  // bytes are dropped (the remembered bytes are compacted); what stays still matches exactly.
  std::string last;
  for (int poll = 0; poll < 12; ++poll) {
    std::string nodes = kNodes;
    Snapshot s;
    ASSERT_TRUE(p.ParseNodes(nodes, &s, &count).ok());
    last = RandomView(rng, 800);
    body = last;
    ASSERT_TRUE(p.ParseResources(body, &s, &count).ok());
  }
  const auto s3 = p.reuse_stats();
  EXPECT_GT(s3.evictions, 0u);
  EXPECT_GT(s3.compactions, 0u);
  EXPECT_LE(s3.entries, 3 * count + 64);
  EXPECT_LE(s3.stored_bytes, 4 * last.size() + (1u << 20));
  std::string nodes = kNodes;
  Snapshot ignored;
  ASSERT_TRUE(p.ParseNodes(nodes, &ignored, &count).ok());
  LinstorParser reference;
  reference.set_reuse(false);
  Snapshot got, want;
  body = last;
  ASSERT_TRUE(p.ParseResources(body, &got, &count).ok());
  EXPECT_EQ(p.reuse_stats().hits - s3.hits, count);  // all reused after eviction + compaction
  body = last;
  ASSERT_TRUE(reference.ParseResources(body, &want, &count).ok());
  EXPECT_TRUE(got == want);
}

// Pages: the objects of one poll arrive in several calls, each a complete array.
TEST(LinstorParseTest, ReuseAcrossPages) {
  Rng rng(11);
  const std::string view = RandomView(rng, 30);
  LinstorParser reference;
  reference.set_reuse(false);
  Snapshot want;
  size_t count = 0;
  std::string whole = view;
  ASSERT_TRUE(reference.ParseResources(whole, &want, &count).ok());
  // Split at object boundaries into pages of about 10 objects.
  std::vector<std::string> pages;
  size_t start = 1;
  int objects = 0;
  std::string page = "[";
  for (size_t pos = view.find("{\"name\"", 1); pos != std::string::npos;
       pos = view.find("{\"name\"", pos + 1)) {
    if (objects > 0 && objects % 10 == 0) {
      page = view.substr(start, pos - start);
      while (!page.empty() && page.back() != '}') page.pop_back();
      pages.push_back("[" + page + "]");
      start = pos;
    }
    ++objects;
  }
  pages.push_back("[" + view.substr(start));
  ASSERT_GE(pages.size(), 3u);
  LinstorParser p;
  for (int poll = 0; poll < 3; ++poll) {
    Snapshot got;
    for (auto pg : pages) ASSERT_TRUE(p.ParseResources(pg, &got, &count).ok()) << pg;
    EXPECT_TRUE(got == want) << "poll " << poll;
    RecycleSnapshot(std::move(got));
  }
  EXPECT_GT(p.reuse_stats().hits, 0u);
}

TEST(SseParserTest, EventsAcrossChunksAndGarbage) {
  SseParser p;
  std::vector<SseEvent> out;
  EXPECT_EQ(p.Feed("event: may-promote-change\ndata: {\"resource_name\":\"demo\"", &out), 0u);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(p.Feed(",\"node_name\":\"a\"}\n\n", &out), 0u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "may-promote-change");
  EXPECT_EQ(out[0].data, "{\"resource_name\":\"demo\",\"node_name\":\"a\"}");
  out.clear();
  EXPECT_EQ(p.Feed("this is garbage\r\n: comment\r\nevent: node-create\r\ndata: {}\r\n\r\n", &out),
            1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "node-create");
}

}  // namespace
}  // namespace lnsim::bridge
