// Methods cpp-httplib does not route (TRACE) answer like every other unserved method: 405 with
// LINSTOR's ApiCallRc body and an Allow header, or the unknown-path 404 (schemathesis's
// unsupported-method probes got an empty 400 without Content-Type). cpp-httplib 0.11 still ends
// the connection after such an answer (docs/mock-linstor.md "Deviations"); RFC 9110 9.3.8
// forbids content in TRACE, so the tests send none.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/mock-linstor/testutil_http.h"
#include "tests/mock-linstor/testutil_live_server.h"

namespace lnsim::mock {
namespace {

using testing::RawHttp;

using UnroutedMethodsTest = testing::LiveServerTest;

std::string BodyOf(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

TEST_F(UnroutedMethodsTest, TraceOnAServedPathIs405WithAllow) {
  const std::string response =
      RawHttp(server_->port(),
              "TRACE /v1/resource-definitions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(response.rfind("HTTP/1.1 405 ", 0), 0u) << response;
  EXPECT_NE(response.find("\r\nAllow: GET, POST\r\n"), std::string::npos) << response;
  EXPECT_NE(response.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  const auto body = nlohmann::json::parse(BodyOf(response), nullptr, false);
  ASSERT_TRUE(body.is_array() && body.size() == 1) << response;
  EXPECT_EQ(body[0]["message"], "HTTP 405 Method Not Allowed");
}

TEST_F(UnroutedMethodsTest, TraceOnAnUnknownPathIsTheUnknownPath404) {
  const std::string response =
      RawHttp(server_->port(), "TRACE /v1/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(response.rfind("HTTP/1.1 404 ", 0), 0u) << response;
  EXPECT_EQ(BodyOf(response), "Not Found");
}

}  // namespace
}  // namespace lnsim::mock
