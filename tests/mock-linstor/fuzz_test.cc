// Fuzz-style robustness: thousands of random and mutated requests (paths, methods, bodies) fed
// into the handlers with a fixed seed. Every answer must be a valid HTTP status, and every JSON
// answer must parse; errors must be ApiCallRc lists. Never a crash (the test would die).
#include <gtest/gtest.h>

#include <set>

#include "common/rng.h"
#include "tests/mock-linstor/testutil_server.h"

namespace lnsim::mock {
namespace {

using nlohmann::json;
using testing::SmallSpec;
using testing::WorldHarness;

const std::vector<std::string> kValidBodies = {
    R"({"resource_definition":{"name":"fz1"}})",
    R"({"volume_definition":{"size_kib":1048576,"flags":[]}})",
    R"({"diskless_on_remaining":null,"select_filter":{"place_count":2}})",
    R"({"size_kib":2097152})",
    R"([{"resource":{"node_name":"node-1","flags":["DRBD_DISKLESS"]}}])",
    R"({"resource":{"props":{"StorPoolName":"pool1"}}})",
    R"({"resource_definition_name":"fz2","volume_sizes":[1048576],"partial":false,"definitions_only":false,"select_filter":{}})",
    R"({"name":"fzg","select_filter":{"place_count":3,"storage_pool_list":["pool1"]}})",
    R"({"override_props":{"a":"b"},"delete_props":["c"],"delete_namespaces":["d"]})",
    R"({"operation":"INTO_DRBD_DISKFUL","storage_pool":"pool1"})",
    R"({"diskful":false})",
    R"({"name":"fzn","type":"SATELLITE","net_interfaces":[{"name":"default","address":"10.9.9.9"}]})",
    R"({"storage_pool_name":"p2","provider_kind":"LVM"})",
};

const std::vector<std::string> kSegments = {
    "v1",
    "nodes",
    "resource-definitions",
    "resource-groups",
    "view",
    "resources",
    "storage-pools",
    "volume-definitions",
    "volumes",
    "autoplace",
    "toggle-disk",
    "diskless",
    "diskful",
    "make-available",
    "spawn",
    "volume-groups",
    "controller",
    "version",
    "properties",
    "sync-status",
    "node-1",
    "node-2",
    "NODE-3",
    "fz1",
    "fz2",
    "pool1",
    "0",
    "1",
    "-1",
    "99999999999999999999",
    "",
    "%",
    "..",
    "ünï",
    "a b",
    std::string(300, 'x'),
    "events",
};

std::string RandomJson(Rng& rng, int depth) {
  switch (rng.Uniform(depth > 3 ? 5 : 8)) {
    case 0:
      return "null";
    case 1:
      return rng.Bernoulli(0.5) ? "true" : "false";
    case 2:
      return std::to_string(static_cast<int64_t>(rng.Next()));
    case 3:
      return "\"" + kSegments[rng.Uniform(kSegments.size())] + "\"";
    case 4:
      return "1.5e308";
    case 5: {
      std::string s = "[";
      for (uint64_t i = 0, n = rng.Uniform(4); i < n; ++i)
        s += (i ? "," : "") + RandomJson(rng, depth + 1);
      return s + "]";
    }
    default: {
      static const std::vector<std::string> keys = {"name",
                                                    "size_kib",
                                                    "resource_definition",
                                                    "volume_definition",
                                                    "select_filter",
                                                    "place_count",
                                                    "resource",
                                                    "node_name",
                                                    "flags",
                                                    "props",
                                                    "operation",
                                                    "diskful",
                                                    "volume_sizes",
                                                    "override_props",
                                                    "type",
                                                    "net_interfaces",
                                                    "storage_pool_list"};
      std::string s = "{";
      for (uint64_t i = 0, n = rng.Uniform(4); i < n; ++i) {
        s += (i ? "," : "") + std::string("\"") + keys[rng.Uniform(keys.size())] +
             "\":" + RandomJson(rng, depth + 1);
      }
      return s + "}";
    }
  }
}

std::string Mutate(Rng& rng, std::string s) {
  const uint64_t kind = rng.Uniform(6);
  if (s.empty()) return RandomJson(rng, 0);
  switch (kind) {
    case 0:  // flip a byte
      s[rng.Uniform(s.size())] = static_cast<char>(rng.Uniform(256));
      return s;
    case 1:  // truncate
      return s.substr(0, rng.Uniform(s.size()));
    case 2: {  // replace a value with random JSON
      const size_t colon = s.find(':', rng.Uniform(s.size()));
      if (colon == std::string::npos) return s;
      const size_t end = s.find_first_of(",}]", colon);
      return s.substr(0, colon + 1) + RandomJson(rng, 1) +
             (end == std::string::npos ? "" : s.substr(end));
    }
    case 3:
      return RandomJson(rng, 0);
    case 4:  // duplicate a chunk
      return s + s.substr(rng.Uniform(s.size()));
    default:
      return s;
  }
}

void CheckAnswer(const HttpResponse& r, const std::string& what) {
  static const std::set<int> kStatuses{200, 201, 400, 403, 404, 405, 500};
  ASSERT_TRUE(kStatuses.count(r.status)) << what << " -> " << r.status;
  if (r.content_type != "application/json") {
    ASSERT_EQ(r.status == 404 || r.status == 405, true) << what << ": non-JSON " << r.status;
    return;
  }
  const json j = json::parse(r.body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << what << ": not JSON: " << r.body.substr(0, 200);
  if (r.status >= 400) {
    ASSERT_TRUE(j.is_array() && !j.empty()) << what << ": " << r.body.substr(0, 200);
    for (const auto& e : j) {
      ASSERT_TRUE(e.contains("ret_code") && e["ret_code"].is_number_integer()) << what;
      ASSERT_TRUE(e.contains("message") && e["message"].is_string()) << what;
    }
  }
}

TEST(Fuzz, RandomAndMutatedRequestsGetWellFormedAnswers) {
  WorldHarness h(SmallSpec(4, 6));
  Rng rng(20260602);
  const std::vector<std::string> methods = {"GET", "POST", "PUT", "DELETE", "PATCH"};
  int json_answers = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string path;
    if (rng.Bernoulli(0.7)) {
      // A real route with random names in it.
      static const std::vector<std::string> kTemplates = {
          "/v1/nodes",
          "/v1/nodes/{n}",
          "/v1/nodes/{n}/storage-pools",
          "/v1/nodes/{n}/storage-pools/{p}",
          "/v1/view/storage-pools",
          "/v1/view/resources",
          "/v1/resource-definitions",
          "/v1/resource-definitions/{r}",
          "/v1/resource-definitions/{r}/volume-definitions",
          "/v1/resource-definitions/{r}/volume-definitions/{v}",
          "/v1/resource-definitions/{r}/autoplace",
          "/v1/resource-definitions/{r}/resources",
          "/v1/resource-definitions/{r}/resources/{n}",
          "/v1/resource-definitions/{r}/resources/{n}/volumes/{v}",
          "/v1/resource-definitions/{r}/resources/{n}/make-available",
          "/v1/resource-definitions/{r}/resources/{n}/toggle-disk",
          "/v1/resource-definitions/{r}/resources/{n}/toggle-disk/diskful/{p}",
          "/v1/resource-definitions/{r}/resources/{n}/toggle-disk/diskless",
          "/v1/resource-groups",
          "/v1/resource-groups/{g}",
          "/v1/resource-groups/{g}/spawn",
          "/v1/resource-groups/{g}/volume-groups",
          "/v1/controller/version",
          "/v1/controller/properties"};
      path = kTemplates[rng.Uniform(kTemplates.size())];
      auto sub = [&](const std::string& key, const std::vector<std::string>& options) {
        for (size_t pos = path.find(key); pos != std::string::npos; pos = path.find(key)) {
          const std::string v = rng.Bernoulli(0.8) ? options[rng.Uniform(options.size())]
                                                   : kSegments[rng.Uniform(kSegments.size())];
          path.replace(pos, key.size(), v.empty() ? "e" : v);
        }
      };
      sub("{n}", {"node-1", "node-2", "NODE-3", "node-4", "fzn"});
      sub("{p}", {"pool1", "DfltDisklessStorPool", "p2"});
      sub("{r}", {"fz1", "fz2", "FZ1"});
      sub("{v}", {"0", "1"});
      sub("{g}", {"DfltRscGrp", "fzg"});
    } else {
      const uint64_t nseg = 1 + rng.Uniform(8);
      for (uint64_t k = 0; k < nseg; ++k) {
        path += "/" + (k == 0 && rng.Bernoulli(0.9) ? std::string("v1")
                                                    : kSegments[rng.Uniform(kSegments.size())]);
      }
    }
    std::string query;
    if (rng.Bernoulli(0.3))
      query = "?limit=" + std::to_string(static_cast<int64_t>(rng.Uniform(5)) - 1) +
              "&offset=x&nodes=node-1&props=a=b";
    const std::string method = methods[rng.Uniform(methods.size())];
    std::string body;
    if (method != "GET" && rng.Bernoulli(0.9))
      body = Mutate(rng, kValidBodies[rng.Uniform(kValidBodies.size())]);
    const std::string what = method + " " + path + query + " " + body.substr(0, 120);
    const HttpResponse r = h.Do(method, path + query, body);
    ASSERT_NO_FATAL_FAILURE(CheckAnswer(r, what));
    json_answers += r.content_type == "application/json";
    if (i % 500 == 0) h.Advance(std::chrono::seconds(20));
  }
  EXPECT_GT(json_answers, 1000);
  // The world is still consistent enough to render.
  const HttpResponse view = h.Do("GET", "/v1/view/resources");
  EXPECT_EQ(view.status, 200);
  EXPECT_FALSE(json::parse(view.body, nullptr, false).is_discarded());
}

TEST(Fuzz, TargetedBadInputs) {
  WorldHarness h(SmallSpec(3, 2));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/v1/resource-definitions", ""},
      {"/v1/resource-definitions", "null"},
      {"/v1/resource-definitions", "[]"},
      {"/v1/resource-definitions", "\"str\""},
      {"/v1/resource-definitions", R"({"resource_definition":[]})"},
      {"/v1/resource-definitions", R"({"resource_definition":{"name":5}})"},
      {"/v1/resource-definitions", std::string(100000, '[')},
      {"/v1/resource-definitions/x1/volume-definitions",
       R"({"volume_definition":{"size_kib":-5}})"},
      {"/v1/resource-definitions/x1/volume-definitions",
       R"({"volume_definition":{"size_kib":1.5}})"},
      {"/v1/resource-definitions/x1/volume-definitions",
       R"({"volume_definition":{"size_kib":1e300}})"},
      {"/v1/resource-definitions/x1/autoplace", R"({"select_filter":{"place_count":-3}})"},
      {"/v1/resource-definitions/x1/autoplace", R"({"select_filter":{"place_count":"two"}})"},
      {"/v1/resource-groups/DfltRscGrp/spawn",
       R"({"resource_definition_name":"s1","volume_sizes":["1G"]})"},
      {"/v1/resource-groups/DfltRscGrp/spawn",
       R"({"resource_definition_name":"s1","volume_sizes":[-1]})"},
      {"/v1/nodes", R"({"name":"n9","net_interfaces":[{"address":"not-an-ip"}]})"},
      {"/v1/nodes", R"({"name":"n9","type":"WIZARD"})"},
  };
  h.Do("POST", "/v1/resource-definitions", R"({"resource_definition":{"name":"x1"}})");
  for (const auto& [path, body] : cases) {
    const HttpResponse r = h.Do("POST", path, body);
    ASSERT_NO_FATAL_FAILURE(CheckAnswer(r, path + " " + body.substr(0, 60)));
    EXPECT_GE(r.status, 400) << path << " " << body.substr(0, 60) << " -> " << r.body;
  }
}

}  // namespace
}  // namespace lnsim::mock
