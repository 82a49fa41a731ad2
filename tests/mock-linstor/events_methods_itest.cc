// A wrong method on the SSE paths answers 405 with LINSTOR's ApiCallRc body and an Allow header,
// however the request is framed: with or without Content-Length, with a JSON body, asking for an
// event stream (issue 17: `POST /v1/events/nodes` answered 400).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/mock-linstor/testutil_http.h"
#include "tests/mock-linstor/testutil_live_server.h"

namespace lnsim::mock {
namespace {

using testing::RawHttp;

using EventsMethodsTest = testing::LiveServerTest;

int StatusOf(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return -1;
  return std::stoi(response.substr(9, 3));
}

std::string BodyOf(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

TEST_F(EventsMethodsTest, WrongMethodsAre405HoweverFramed) {
  const std::vector<std::string> framings = {
      "",
      "Content-Length: 0\r\n",
      "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
      "Accept: text/event-stream\r\n",
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  };
  for (const char* path : {"/v1/events/nodes", "/v1/events/drbd/promotion"}) {
    for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
      for (const std::string& framing : framings) {
        SCOPED_TRACE(std::string(method) + " " + path + " [" + framing + "]");
        std::string request = std::string(method) + " " + path +
                              " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + framing;
        if (framing.find("\r\n\r\n") == std::string::npos) request += "\r\n";
        const std::string response = RawHttp(server_->port(), request);
        ASSERT_EQ(StatusOf(response), 405) << response;
        EXPECT_NE(response.find("\r\nAllow: GET\r\n"), std::string::npos) << response;
        const auto body = nlohmann::json::parse(BodyOf(response), nullptr, false);
        ASSERT_TRUE(body.is_array() && body.size() == 1) << response;
        EXPECT_LT(body[0]["ret_code"].get<int64_t>(), 0);
      }
    }
  }
}

TEST_F(EventsMethodsTest, BodylessWriteWithoutContentLengthIsServedAtOnce) {
  // An empty body: the required resource-definition body is missing, an async parse error (500).
  const std::string response =
      RawHttp(server_->port(),
              "POST /v1/resource-definitions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(StatusOf(response), 500) << response;
  const auto body = nlohmann::json::parse(BodyOf(response), nullptr, false);
  ASSERT_TRUE(body.is_array()) << response;
  EXPECT_EQ(body[0]["message"], "Unable to parse input json.");
}

}  // namespace
}  // namespace lnsim::mock
