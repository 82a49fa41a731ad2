// nkeys encoding (common/nkeys.h) and NATS JWT v2 structure (harness/nats_auth.h), without a
// server: known answers, round trips, and that corrupted keys and tokens are rejected.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/nkeys.h"
#include "harness/nats_auth.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

using nkeys::KeyPair;
using nkeys::KeyType;

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

nkeys::Bytes32 Raw32(const std::string& hex) {
  const std::string raw = FromHex(hex);
  nkeys::Bytes32 out{};
  std::copy(raw.begin(), raw.end(), out.begin());
  return out;
}

// RFC 8032 §7.1 TEST 1.
const char kRfcSeed[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const char kRfcPublic[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const char kRfcSig[] =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
    "6bd25bf5f0595bbe24655141438e7a100b";

TEST(NkeysTest, Crc16IsXmodem) {
  // CRC-16/XMODEM check value.
  EXPECT_EQ(nkeys::Crc16("123456789"), 0x31C3);
  EXPECT_EQ(nkeys::Crc16(""), 0);
}

TEST(NkeysTest, Base32AndBase64UrlRoundTripWithoutPadding) {
  EXPECT_EQ(nkeys::Base32Encode("foobar"), "MZXW6YTBOI");  // RFC 4648 vector, '=' stripped
  EXPECT_EQ(nkeys::Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(nkeys::Base64UrlEncode("\xfb\xff"), "-_8");
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba",
                                                       "foobar", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(*nkeys::Base32Decode(nkeys::Base32Encode(s)), s);
    EXPECT_EQ(*nkeys::Base64UrlDecode(nkeys::Base64UrlEncode(s)), s);
  }
  EXPECT_THAT(nkeys::Base32Decode("MZXW6Y1"),
              StatusIs(StatusCode::kInvalidArgument));  // '1' is not base32
  EXPECT_THAT(nkeys::Base64UrlDecode("Zm9v+g"),
              StatusIs(StatusCode::kInvalidArgument));  // '+' is not base64url
}

TEST(NkeysTest, Ed25519MatchesRfc8032) {
  auto kp = KeyPair::FromRawSeed(KeyType::kUser, Raw32(kRfcSeed));
  ASSERT_TRUE(kp.ok()) << kp.status().ToString();
  EXPECT_EQ(kp->raw_public_key(), Raw32(kRfcPublic));
  EXPECT_EQ(kp->Sign(""), FromHex(kRfcSig));
  EXPECT_TRUE(nkeys::Verify(kp->raw_public_key(), "", FromHex(kRfcSig)));
  EXPECT_FALSE(nkeys::Verify(kp->raw_public_key(), "x", FromHex(kRfcSig)));
}

TEST(NkeysTest, EncodingHasTheRolePrefixAndRoundTrips) {
  for (KeyType t : {KeyType::kOperator, KeyType::kAccount, KeyType::kUser}) {
    auto kp = KeyPair::Generate(t);
    ASSERT_TRUE(kp.ok());
    const std::string pub = kp->PublicKey();
    const std::string seed = kp->Seed();
    EXPECT_EQ(pub.size(), 56u);
    EXPECT_EQ(seed.size(), 58u);
    EXPECT_EQ(pub[0], nkeys::PrefixChar(t));
    EXPECT_EQ(seed[0], 'S');
    EXPECT_EQ(seed[1], nkeys::PrefixChar(t));
    auto back = KeyPair::FromSeed(seed);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->type(), t);
    EXPECT_EQ(back->PublicKey(), pub);
    auto decoded = nkeys::DecodePublicKey(pub);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->type, t);
    EXPECT_EQ(decoded->key, kp->raw_public_key());
    const std::string sig = back->Sign("hello");
    EXPECT_TRUE(nkeys::Verify(decoded->key, "hello", sig));
  }
}

TEST(NkeysTest, CorruptedSeedOrKeyIsRejectedByTheChecksum) {
  auto kp = KeyPair::Generate(KeyType::kUser);
  ASSERT_TRUE(kp.ok());
  std::string seed = kp->Seed();
  // Change one character in the key material (not the prefix): the CRC no longer matches.
  seed[20] = seed[20] == 'A' ? 'B' : 'A';
  auto bad = KeyPair::FromSeed(seed);
  EXPECT_THAT(bad,
              StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("checksum mismatch")));
  std::string pub = kp->PublicKey();
  pub[30] = pub[30] == 'Q' ? 'R' : 'Q';
  EXPECT_THAT(nkeys::DecodePublicKey(pub), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(KeyPair::FromSeed(kp->Seed().substr(0, 40)),
              StatusIs(StatusCode::kInvalidArgument));  // truncated
  EXPECT_THAT(KeyPair::FromSeed(kp->PublicKey()),
              StatusIs(StatusCode::kInvalidArgument));  // a public key is no seed
}

TEST(JwtTest, UserJwtHasNatsV2StructureAndVerifies) {
  auto account = KeyPair::Generate(KeyType::kAccount);
  auto user = KeyPair::Generate(KeyType::kUser);
  ASSERT_TRUE(account.ok() && user.ok());
  NatsPermissions p;
  p.pub_allow = {"linstor.v1.a.>"};
  p.sub_allow = {"_INBOX.>"};
  const std::string jwt = UserJwt(*account, user->PublicKey(), "bridge-a", p, 1700000000);
  auto d = DecodeJwt(jwt);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->header.dump(), R"({"alg":"ed25519-nkey","typ":"JWT"})");
  EXPECT_EQ(d->claims["iss"], account->PublicKey());
  EXPECT_EQ(d->claims["sub"], user->PublicKey());
  EXPECT_EQ(d->claims["name"], "bridge-a");
  EXPECT_EQ(d->claims["iat"], 1700000000);
  EXPECT_EQ(d->claims["nats"]["type"], "user");
  EXPECT_EQ(d->claims["nats"]["version"], 2);
  EXPECT_EQ(d->claims["nats"]["pub"]["allow"][0], "linstor.v1.a.>");
  EXPECT_EQ(d->claims["nats"]["sub"]["allow"][0], "_INBOX.>");
  // jti: base32 of SHA-512/256 over the standard claims without jti, as nats-io/jwt v2.
  const std::string std_claims = R"({"iat":1700000000,"iss":")" + account->PublicKey() +
                                 R"(","name":"bridge-a","sub":")" + user->PublicKey() + R"("})";
  EXPECT_EQ(d->claims["jti"], nkeys::Base32Encode(nkeys::Sha512_256(std_claims)));
  EXPECT_EQ(d->claims["jti"].get<std::string>().size(), 52u);
  // No base64 padding anywhere.
  EXPECT_EQ(jwt.find('='), std::string::npos);
}

TEST(JwtTest, TamperedOrForeignSignedJwtIsRejected) {
  auto account = KeyPair::Generate(KeyType::kAccount);
  auto other = KeyPair::Generate(KeyType::kAccount);
  auto user = KeyPair::Generate(KeyType::kUser);
  ASSERT_TRUE(account.ok() && other.ok() && user.ok());
  const std::string jwt = UserJwt(*account, user->PublicKey(), "u", {{">"}, {}, {">"}, {}}, 1);
  // Replace the claims with ones widening nothing but naming another issuer: the signature no
  // longer matches the key in "iss".
  const std::string forged_claims =
      UserJwt(*other, user->PublicKey(), "u", {{">"}, {}, {">"}, {}}, 1);
  const size_t a = jwt.find('.'), b = jwt.rfind('.');
  const size_t fa = forged_claims.find('.'), fb = forged_claims.rfind('.');
  const std::string spliced = jwt.substr(0, a) + forged_claims.substr(fa, fb - fa) + jwt.substr(b);
  auto d = DecodeJwt(spliced);
  EXPECT_THAT(d, StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("bad signature")));
  EXPECT_THAT(DecodeJwt("a.b"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_TRUE(DecodeJwt(jwt).ok());
}

TEST(JwtTest, AccountJwtEnablesJetStreamAndOperatorNamesTheSystemAccount) {
  auto op = KeyPair::Generate(KeyType::kOperator);
  auto acct = KeyPair::Generate(KeyType::kAccount);
  ASSERT_TRUE(op.ok() && acct.ok());
  auto a = DecodeJwt(AccountJwt(*op, acct->PublicKey(), "LINSTOR", true, 1));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->claims["nats"]["type"], "account");
  EXPECT_EQ(a->claims["nats"]["limits"]["disk_storage"], -1);
  EXPECT_EQ(a->claims["nats"]["limits"]["mem_storage"], -1);
  auto no_js = DecodeJwt(AccountJwt(*op, acct->PublicKey(), "SYS", false, 1));
  ASSERT_TRUE(no_js.ok());
  EXPECT_FALSE(no_js->claims["nats"]["limits"].contains("disk_storage"));
  auto o = DecodeJwt(OperatorJwt(*op, "lnsim", acct->PublicKey(), 1));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->claims["iss"], o->claims["sub"]);  // self-signed
  EXPECT_EQ(o->claims["nats"]["system_account"], acct->PublicKey());
  EXPECT_EQ(o->claims["nats"]["type"], "operator");
}

TEST(CredsTest, CredsTextRoundTrips) {
  auto r = ParseCreds(CredsText("eyJ.x.y", "SUABC"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->jwt, "eyJ.x.y");
  EXPECT_EQ(r->seed, "SUABC");
  EXPECT_THAT(ParseCreds("no blocks here"), StatusIs(StatusCode::kInvalidArgument));
}

TEST(PermissionsTest, BridgeMayPublishOnlyItsClusterAndNeverSubscribeToEvents) {
  const NatsPermissions p = BridgePermissions({"a", "", ""});
  for (const auto& s : p.pub_allow) {
    EXPECT_EQ(s.rfind("linstor.v1.", 0) == 0, s == "linstor.v1.a.>") << s;
    EXPECT_EQ(s.find("DELETE.LINSTOR"), std::string::npos) << s;
    EXPECT_NE(s, ">");
  }
  EXPECT_EQ(p.sub_allow, std::vector<std::string>{"_INBOX.>"});
  EXPECT_EQ(BridgePermissions({"a", "", ""}, InboxPrefix("bridge-a")).sub_allow,
            std::vector<std::string>{"_INBOX_bridge-a.>"});
  EXPECT_EQ(InboxPrefix("bridge-x.y"), "_INBOX_bridge-x_y");
  const NatsPermissions c = ConsumerPermissions({{"a", "", ""}});
  for (const auto& s : c.pub_allow) {
    EXPECT_NE(s.rfind("linstor.", 0), 0u) << s;
    EXPECT_EQ(s.find("STREAM.CREATE"), std::string::npos) << s;
    EXPECT_EQ(s.find("STREAM.DELETE"), std::string::npos) << s;
    EXPECT_NE(s.rfind("$KV.", 0), 0u) << s;
  }
}

}  // namespace
}  // namespace lnsim::harness
