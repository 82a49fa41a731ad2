// A refused name with a non-ASCII character is named whole in the error message: the answer stays
// valid UTF-8, so valid JSON. The mock cut the character to its first byte ("Domain name cannot
// contain character '\xC3'" for a node named "Å"), which schemathesis could not decode
// (tests/peers/schemathesis). LINSTOR's Checks name the Java char, a whole character.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/mock-linstor/testutil_server.h"

namespace lnsim::mock {
namespace {

using testing::SmallSpec;
using testing::WorldHarness;

// The answer's first message, parsed strictly (nlohmann rejects invalid UTF-8).
std::string FirstMessage(const HttpResponse& response) {
  const auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_array() || body.empty()) return "<not an ApiCallRc list: " + response.body + ">";
  return body[0]["message"].get<std::string>();
}

TEST(Utf8NameErrors, NodeNameNamesTheWholeCharacter) {
  WorldHarness h(SmallSpec(3, 0));
  const HttpResponse response =
      h.Do("POST", "/v1/nodes", R"({"name":"a\u00c5b","type":"Satellite","net_interfaces":[]})");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(FirstMessage(response),
            "Invalid node name 'a\xC3\x85"
            "b': Domain name cannot contain character '\xC3\x85'");
}

TEST(Utf8NameErrors, ResourceDefinitionNameNamesTheWholeCharacter) {
  WorldHarness h(SmallSpec(3, 0));
  const HttpResponse inner =
      h.Do("POST", "/v1/resource-definitions", R"({"resource_definition":{"name":"r\u20acx"}})");
  EXPECT_NE(FirstMessage(inner).find("Cannot contain character '\xE2\x82\xAC'"), std::string::npos)
      << FirstMessage(inner);
  const HttpResponse first =
      h.Do("POST", "/v1/resource-definitions", R"({"resource_definition":{"name":"\u00e9x"}})");
  EXPECT_NE(FirstMessage(first).find("Cannot begin with character '\xC3\xA9'"), std::string::npos)
      << FirstMessage(first);
}

}  // namespace
}  // namespace lnsim::mock
