// A path whose percent-decoded segments hold CR or LF reaches the route table like any other
// (std::regex's "." matches neither, so cpp-httplib answered an empty 404 without Content-Type;
// found by the schemathesis peer). A missing object is LINSTOR's 404 + ApiCallRc list.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/mock-linstor/testutil_http.h"
#include "tests/mock-linstor/testutil_live_server.h"

namespace lnsim::mock {
namespace {

using testing::RawHttp;
using CrlfPathTest = testing::LiveServerTest;

TEST_F(CrlfPathTest, MissingObjectIsAJson404) {
  for (const char* path : {"/v1/resource-definitions/a%0Ab", "/v1/nodes/x%0D%0Ay/storage-pools"}) {
    SCOPED_TRACE(path);
    const std::string response =
        RawHttp(server_->port(),
                std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ASSERT_EQ(response.rfind("HTTP/1.1 404 ", 0), 0u) << response;
    EXPECT_NE(response.find("\r\nContent-Type: application/json\r\n"), std::string::npos)
        << response;
    const size_t end = response.find("\r\n\r\n");
    const auto body = nlohmann::json::parse(response.substr(end + 4), nullptr, false);
    ASSERT_TRUE(body.is_array() && body.size() == 1) << response;
    EXPECT_LT(body[0]["ret_code"].get<int64_t>(), 0);
  }
}

}  // namespace
}  // namespace lnsim::mock
