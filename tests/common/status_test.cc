#include "common/status.h"

#include <gtest/gtest.h>

namespace lnsim {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2) return InvalidArgumentError("odd: " + std::to_string(x));
  return x / 2;
}

Status UsesMacros(int x, int* out) {
  LNSIM_ASSIGN_OR_RETURN(int h, Half(x));
  LNSIM_RETURN_IF_ERROR(h > 10 ? FailedPreconditionError("too big") : OkStatus());
  *out = h;
  return OkStatus();
}

TEST(StatusTest, CarriesCodeAndMessage) {
  Status s = NotFoundError("node 'a' not found");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NOT_FOUND: node 'a' not found");
  EXPECT_EQ(s.WithPrefix("GET /v1/nodes/a").message(), "GET /v1/nodes/a: node 'a' not found");
  EXPECT_TRUE(OkStatus().ok());
}

TEST(StatusTest, MacrosPropagateTheFirstError) {
  int out = 0;
  EXPECT_TRUE(UsesMacros(8, &out).ok());
  EXPECT_EQ(out, 4);
  Status odd = UsesMacros(7, &out);
  EXPECT_EQ(odd.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(odd.message(), "odd: 7");
  EXPECT_EQ(UsesMacros(40, &out).code(), StatusCode::kFailedPrecondition);
}

TEST(StatusDeathTest, ValueOfErrorIsAProgrammerError) {
  StatusOr<int> s = Half(3);
  EXPECT_DEATH((void)s.value(), "value\\(\\) of an error");
}

}  // namespace
}  // namespace lnsim
