// Request bodies are read as the controller's default Jackson ObjectMapper reads them: a decimal
// string where an Integer is declared ("place_count": "2", as linstor-client 1.27 sends it), the
// strings "true"/"false" for a Boolean and a number for a String are coerced; other wrong types
// stay API_CALL_PARSE_ERROR (issue 17).
#include <gtest/gtest.h>

#include "mock-linstor/api_rc.h"
#include "tests/mock-linstor/testutil_server.h"

namespace lnsim::mock {
namespace {

using testing::SmallSpec;
using testing::WorldHarness;

TEST(JsonCoercion, ResourceGroupCreateAndModifyTakePlaceCountAsString) {
  WorldHarness h(SmallSpec());
  int status = 0;
  auto j = h.Json("POST", "/v1/resource-groups",
                  R"({"name":"RGS","select_filter":{"place_count":"3"}})", &status);
  ASSERT_EQ(status, 201) << j.dump();
  EXPECT_EQ(h.Json("GET", "/v1/resource-groups/RGS")["select_filter"]["place_count"], 3);
  j = h.Json("PUT", "/v1/resource-groups/RGS", R"({"select_filter":{"place_count":" 2 "}})",
             &status);
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(h.Json("GET", "/v1/resource-groups/RGS")["select_filter"]["place_count"], 2);
}

TEST(JsonCoercion, SpawnAndAutoplaceTakeNumericStrings) {
  WorldHarness h(SmallSpec());
  h.Do("POST", "/v1/resource-groups", R"({"name":"RGS","select_filter":{"place_count":2}})");
  int status = 0;
  auto j = h.Json("POST", "/v1/resource-groups/RGS/spawn",
                  R"({"resource_definition_name":"SP","volume_sizes":["1048576"]})", &status);
  ASSERT_EQ(status, 201) << j.dump();
  EXPECT_EQ(h.Json("GET", "/v1/resource-definitions/SP/volume-definitions")[0]["size_kib"],
            1048576);
  h.Do("POST", "/v1/resource-definitions", R"({"resource_definition":{"name":"AP"}})");
  h.Do("POST", "/v1/resource-definitions/AP/volume-definitions",
       R"({"volume_definition":{"size_kib":"1024"}})");
  j = h.Json("POST", "/v1/resource-definitions/AP/autoplace",
             R"({"select_filter":{"place_count":"2"}})", &status);
  ASSERT_EQ(status, 201) << j.dump();
}

TEST(JsonCoercion, BooleanAndStringScalarsAreCoerced) {
  WorldHarness h(SmallSpec());
  int status = 0;
  h.Json("POST", "/v1/resource-definitions", R"({"resource_definition":{"name":"BC"}})", &status);
  h.Do("POST", "/v1/resource-definitions/BC/volume-definitions",
       R"({"volume_definition":{"size_kib":1024}})");
  auto j =
      h.Json("POST", "/v1/resource-definitions/BC/autoplace",
             R"({"diskless_on_remaining":"false","select_filter":{"place_count":2}})", &status);
  EXPECT_EQ(status, 201) << j.dump();
  j = h.Json("PUT", "/v1/nodes/node-2", R"({"override_props":{"Aux/rack":7}})", &status);
  EXPECT_EQ(status, 200) << j.dump();
  EXPECT_EQ(h.Json("GET", "/v1/nodes/node-2")["props"]["Aux/rack"], "7");
}

TEST(JsonCoercion, NonNumericStringsStayParseErrors) {
  WorldHarness h(SmallSpec());
  int status = 0;
  for (const char* bad : {R"("2x")", R"("1.5")", R"("-")", R"("99999999999999999999")"}) {
    auto j = h.Json("POST", "/v1/resource-groups",
                    std::string(R"({"name":"RGB","select_filter":{"place_count":)") + bad + "}}",
                    &status);
    EXPECT_EQ(status, 400) << bad;
    ASSERT_TRUE(j.is_array()) << bad;
    EXPECT_EQ(j[0]["ret_code"], kApiCallParseError) << bad;
  }
  auto j = h.Json("POST", "/v1/resource-definitions/demo/autoplace",
                  R"({"diskless_on_remaining":"maybe"})", &status);
  EXPECT_EQ(j[0]["ret_code"], kApiCallParseError) << j.dump();
}

}  // namespace
}  // namespace lnsim::mock
