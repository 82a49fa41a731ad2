// LINSTOR's name and address rules (sim/internal/names.h), checked on their own: what passes,
// and the message of the first rule a name breaks.
#include "sim/internal/names.h"

#include <gtest/gtest.h>

namespace lnsim::sim::internal {
namespace {

TEST(NameCheck, PassesLettersDigitsAndTheAllowedExtras) {
  EXPECT_EQ(NameCheck("pool1", 3, 48, "_", "_-"), "");
  EXPECT_EQ(NameCheck("_data-1", 2, 48, "_", "_-"), "");
}

TEST(NameCheck, NamesTheFirstBrokenRule) {
  EXPECT_EQ(NameCheck("p1", 3, 48, "_", "_-"),
            "Invalid name: Name length 2 is less than minimum length 3");
  EXPECT_EQ(NameCheck(std::string(49, 'x'), 2, 48, "_", "_-"),
            "Invalid name: Name length 49 is greater than maximum length 48");
  EXPECT_EQ(NameCheck("123", 2, 48, "_", "_-"),
            "Invalid name: Name must contain at least one character that matches [a-zA-Z]");
  EXPECT_EQ(NameCheck("1abc", 2, 48, "_", "_-"), "Invalid name: Cannot begin with character '1'");
  EXPECT_EQ(NameCheck("ab.c", 2, 48, "_", "_-"), "Invalid name: Cannot contain character '.'");
}

TEST(HostNameCheck, FollowsRfc1123) {
  EXPECT_EQ(HostNameCheck("node-a.example"), "");
  EXPECT_EQ(HostNameCheck(".node"), "Hostname cannot begin with '.'");
  EXPECT_EQ(HostNameCheck("-node"), "Hostname cannot begin with '-'");
  EXPECT_EQ(HostNameCheck("node-"), "Hostname cannot end with '-'");
  EXPECT_EQ(HostNameCheck("n"), "Hostname length violates RFC1123 minimum length of 2");
  EXPECT_EQ(HostNameCheck(std::string(64, 'a')),
            "Domain name component length violates RFC1123 maximum of 63");
  EXPECT_EQ(HostNameCheck("bad_name"), "Domain name cannot contain character '_'");
}

TEST(ParseIpv4, AcceptsDottedQuadsOnly) {
  uint32_t ip = 0;
  ASSERT_TRUE(ParseIpv4("10.0.0.99", &ip));
  EXPECT_EQ(ip, (10u << 24) | 99u);
  uint32_t untouched = 7;
  EXPECT_FALSE(ParseIpv4("10.0.0", &untouched));
  EXPECT_FALSE(ParseIpv4("10.0.0.256", &untouched));
  EXPECT_FALSE(ParseIpv4("10.0.0.1.", &untouched));
  EXPECT_FALSE(ParseIpv4("10.0.0.0001", &untouched));
  EXPECT_FALSE(ParseIpv4("", &untouched));
  EXPECT_EQ(untouched, 7u);
}

}  // namespace
}  // namespace lnsim::sim::internal
