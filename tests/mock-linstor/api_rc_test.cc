// ApiCallRc ret_code composition and HTTP status selection against the worked values of
// LINSTOR-API.md 3.2/3.3.
#include "mock-linstor/api_rc.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace lnsim::mock {
namespace {

TEST(RetCode, WorkedValuesFromTheReference) {
  EXPECT_EQ(RetCode(0, rcmask::kCreate, rcmask::kRscDfn, rccode::kCreated), 20447233);
  EXPECT_EQ(RetCode(0, rcmask::kModify, rcmask::kVlmDfn, rccode::kModified), 36700163);
  EXPECT_EQ(RetCode(0, rcmask::kDelete, rcmask::kRsc, rccode::kDeleted), 53739522);
  EXPECT_EQ(RetCode(rcmask::kError, 0, 0, rccode::kFailNotFoundNode), -4611686018427387604LL);
  EXPECT_EQ(RetCode(rcmask::kError, 0, 0, rccode::kFailNotFoundRscDfn), -4611686018427387603LL);
  EXPECT_EQ(RetCode(rcmask::kError, rcmask::kCreate, rcmask::kRscDfn, rccode::kFailExistsRscDfn),
            -4611686018406940171LL);
  EXPECT_EQ(RetCode(rcmask::kWarn, 0, 0, rccode::kWarnNotConnected), -9223372036854774806LL);
  EXPECT_EQ(kApiCallParseError, -3458764513820540931LL);
}

TEST(RetCode, ErrorIsAlsoAWarningInPythonsTest) {
  const int64_t err = RetCode(rcmask::kError, 0, 0, 300);
  EXPECT_TRUE(IsError(err));
  EXPECT_EQ(static_cast<uint64_t>(err) & rcmask::kWarn, rcmask::kWarn);
  EXPECT_FALSE(IsError(RetCode(rcmask::kWarn, 0, 0, 1002)));
  EXPECT_TRUE(IsWarning(RetCode(rcmask::kWarn, 0, 0, 1002)));
}

TEST(ApplyMasks, OrsOperationAndObjectUnlessPresent) {
  std::vector<ApiCallRc> entries(2);
  entries[0].ret_code = RetCode(rcmask::kError, 0, 0, rccode::kFailExistsRscDfn);
  entries[1].ret_code = RetCode(0, rcmask::kCreate, rcmask::kRsc, rccode::kCreated);
  ApplyMasks(&entries, rcmask::kCreate, rcmask::kRscDfn);
  EXPECT_EQ(entries[0].ret_code, -4611686018406940171LL);
  EXPECT_EQ(entries[1].ret_code, RetCode(0, rcmask::kCreate, rcmask::kRsc, rccode::kCreated));
}

TEST(HttpStatusFor, FirstErrorDecides) {
  auto one = [](int64_t rc) {
    ApiCallRc e;
    e.ret_code = rc;
    return std::vector<ApiCallRc>{e};
  };
  EXPECT_EQ(HttpStatusFor(one(RetCode(rcmask::kError, 0, 0, 301)), 200), 404);
  EXPECT_EQ(HttpStatusFor(one(RetCode(rcmask::kError, rcmask::kCreate, rcmask::kVlmDfn, 301)), 201),
            404);
  EXPECT_EQ(HttpStatusFor(one(RetCode(rcmask::kError, 0, 0, 401)), 200), 403);
  EXPECT_EQ(HttpStatusFor(one(RetCode(rcmask::kError, rcmask::kCreate, rcmask::kRscDfn, 501)), 201),
            500);
  EXPECT_EQ(HttpStatusFor(one(RetCode(rcmask::kError, 0, 0, 996)), 201), 500);
  EXPECT_EQ(HttpStatusFor(one(static_cast<int64_t>(rcmask::kError | 10001)), 200), 401);
  EXPECT_EQ(HttpStatusFor(one(static_cast<int64_t>(rcmask::kError | 10000)), 200), 403);
  // Warnings do not change the success status.
  EXPECT_EQ(HttpStatusFor(one(RetCode(rcmask::kWarn, 0, 0, 1002)), 201), 201);
  std::vector<ApiCallRc> mixed = one(RetCode(rcmask::kWarn, 0, 0, 1002));
  mixed.push_back(one(RetCode(rcmask::kError, 0, 0, 974))[0]);
  mixed.push_back(one(RetCode(rcmask::kError, 0, 0, 300))[0]);
  EXPECT_EQ(HttpStatusFor(mixed, 200), 500);
}

TEST(RenderApiCallRcList, OmitsEmptyMembers) {
  ApiCallRc rc;
  rc.ret_code = 20447233;
  rc.message = "New resource definition 'X' created.";
  rc.obj_refs = {{"RscDfn", "X"}};
  const auto j = nlohmann::json::parse(RenderApiCallRcList({rc}));
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["ret_code"], 20447233);
  EXPECT_EQ(j[0]["obj_refs"]["RscDfn"], "X");
  EXPECT_FALSE(j[0].contains("cause"));
  EXPECT_FALSE(j[0].contains("details"));
  EXPECT_FALSE(j[0].contains("error_report_ids"));
  EXPECT_FALSE(j[0].contains("created_at"));
}

TEST(FormatIsoTime, HasOffsetAndMilliseconds) {
  EXPECT_EQ(FormatIsoTime(1780397156123), "2026-06-02T10:45:56.123+00:00");
}

}  // namespace
}  // namespace lnsim::mock
