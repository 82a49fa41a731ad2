// NATS nkeys in C++: ed25519 key pairs (OpenSSL 3 EVP) in the text encoding of nats-io/nkeys,
// so that lnsim can create operators, accounts and users (harness/nats_auth.h) and the bridge can
// connect with a bare nkey seed, without the `nsc`/`nk` tools.
//
// Encoding (nats-io/nkeys strkey.go): a public key is base32 (RFC 4648 alphabet, no padding) of
//   [prefix byte][32-byte ed25519 public key][CRC16 little endian]
// where the prefix byte's top five bits spell the role: 'O' operator (14<<3), 'A' account (0),
// 'U' user (20<<3), 'N' server (13<<3), 'C' cluster (2<<3). A seed is base32 of
//   [0x90 | role>>5][(role & 31) << 3][32-byte ed25519 seed][CRC16 little endian]
// so it reads "SO…", "SA…", "SU…". The CRC is CRC-16/XMODEM (poly 0x1021, init 0) of the bytes
// before it: a mistyped or truncated key is rejected, never silently used.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lnsim::nkeys {

enum class KeyType : uint8_t { kOperator, kAccount, kUser, kServer, kCluster };

// 'O', 'A', 'U', 'N', 'C'.
char PrefixChar(KeyType type);
// "operator", "account", ...
std::string_view KeyTypeName(KeyType type);

using Bytes32 = std::array<uint8_t, 32>;

class KeyPair {
 public:
  // A new key pair from 32 bytes of OpenSSL's CSPRNG (keys must never come from a seeded Rng).
  static StatusOr<KeyPair> Generate(KeyType type);
  // From the raw 32-byte ed25519 seed (tests use fixed seeds for known answers).
  static StatusOr<KeyPair> FromRawSeed(KeyType type, const Bytes32& seed);
  // From an encoded seed ("SU…"). kInvalidArgument for a bad base32 text, a wrong length, a bad
  // CRC ("checksum mismatch") or an unknown role.
  static StatusOr<KeyPair> FromSeed(std::string_view encoded_seed);

  KeyType type() const { return type_; }
  const Bytes32& raw_public_key() const { return public_key_; }
  std::string PublicKey() const;  // "U…", 56 characters
  std::string Seed() const;       // "SU…", 58 characters: a secret
  // Raw 64-byte ed25519 signature of `data`.
  std::string Sign(std::string_view data) const;

 private:
  KeyType type_ = KeyType::kUser;
  Bytes32 seed_{};
  Bytes32 public_key_{};
};

struct PublicKey {
  KeyType type = KeyType::kUser;
  Bytes32 key{};
};
// Decodes "U…" / "A…" / "O…" ...: kInvalidArgument for bad text, length, CRC or role.
StatusOr<PublicKey> DecodePublicKey(std::string_view encoded);
// Whether `signature` (raw 64 bytes) is `public_key`'s ed25519 signature of `data`.
bool Verify(const Bytes32& public_key, std::string_view data, std::string_view signature);

// Building blocks, exposed for tests and for the JWT code.
uint16_t Crc16(std::string_view data);            // CRC-16/XMODEM
std::string Base32Encode(std::string_view data);  // RFC 4648, no padding
StatusOr<std::string> Base32Decode(std::string_view text);
std::string Base64UrlEncode(std::string_view data);  // RFC 4648 §5, no padding
StatusOr<std::string> Base64UrlDecode(std::string_view text);
std::string Sha512_256(std::string_view data);  // raw 32-byte digest (SHA-512/256)

}  // namespace lnsim::nkeys
