// Error reports, physical storage and the key-value store (mock-linstor/handlers/extras.cc):
// answered as a controller with no error reports and no unused devices answers them, and the
// key-value store with CtrlKvsApiCallHandler's answers (modify creates the store and answers
// "Successfully updated properties" with MASK_CTRL_CONF|MASK_MOD; deleting a missing one warns).
#include <gtest/gtest.h>

#include "mock-linstor/api_rc.h"
#include "tests/mock-linstor/testutil_server.h"

namespace lnsim::mock {
namespace {

using testing::SmallSpec;
using testing::WorldHarness;

TEST(ControllerExtras, NoErrorReportsAndNoUnusedDevices) {
  WorldHarness h(SmallSpec());
  int status = 0;
  EXPECT_EQ(h.Json("GET", "/v1/error-reports", "", &status), nlohmann::json::array());
  EXPECT_EQ(status, 200);
  EXPECT_EQ(h.Json("GET", "/v1/stats/error-reports")["count"], 0);
  EXPECT_EQ(h.Json("GET", "/v1/physical-storage", "", &status), nlohmann::json::array());
  EXPECT_EQ(status, 200);
  EXPECT_EQ(h.Json("GET", "/v1/physical-storage/node-1", "", &status), nlohmann::json::array());
  EXPECT_EQ(status, 200);
  auto j = h.Json("GET", "/v1/physical-storage/nosuch", "", &status);
  EXPECT_EQ(status, 404) << j.dump();
  EXPECT_EQ(CodeOf(j[0]["ret_code"].get<int64_t>()), rccode::kFailNotFoundNode);
}

TEST(ControllerExtras, KeyValueStoreRoundTrip) {
  WorldHarness h(SmallSpec());
  EXPECT_EQ(h.Json("GET", "/v1/key-value-store"), nlohmann::json::array());
  EXPECT_EQ(h.Json("GET", "/v1/key-value-store/csi"), nlohmann::json::array());
  int status = 0;
  auto j = h.Json("PUT", "/v1/key-value-store/CSI",
                  R"({"override_props":{"vol/a":"1","vol/b":"2","other":"x"}})", &status);
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(j[0]["ret_code"].get<int64_t>(),
            RetCode(0, rcmask::kModify, rcmask::kCtrlConf, rccode::kModified));
  EXPECT_EQ(j[0]["message"], "Successfully updated properties");
  auto store = h.Json("GET", "/v1/key-value-store/csi");
  ASSERT_EQ(store.size(), 1u) << store.dump();
  EXPECT_EQ(store[0]["name"], "CSI");
  EXPECT_EQ(store[0]["props"]["vol/a"], "1");
  ASSERT_EQ(h.Do("PUT", "/v1/key-value-store/csi",
                 R"({"delete_namespaces":["vol"],"delete_props":["other"]})")
                .status,
            200);
  store = h.Json("GET", "/v1/key-value-store");
  ASSERT_EQ(store.size(), 1u);
  EXPECT_FALSE(store[0].contains("props")) << "NON_EMPTY: no {} member: " << store.dump();
  EXPECT_EQ(h.Do("PUT", "/v1/key-value-store/csi", R"({"override_props":7})").status, 400);
  j = h.Json("DELETE", "/v1/key-value-store/csi", "", &status);
  ASSERT_EQ(status, 200);
  EXPECT_EQ(j[0]["message"], "Kvs 'CSI' deleted.");
  EXPECT_EQ(h.Json("GET", "/v1/key-value-store"), nlohmann::json::array());
  j = h.Json("DELETE", "/v1/key-value-store/csi", "", &status);
  EXPECT_EQ(status, 200);
  EXPECT_TRUE(IsWarning(j[0]["ret_code"].get<int64_t>()));
  EXPECT_EQ(CodeOf(j[0]["ret_code"].get<int64_t>()), rccode::kWarnNotFound);
}

}  // namespace
}  // namespace lnsim::mock
