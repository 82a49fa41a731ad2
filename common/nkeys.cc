// nkeys codec and ed25519 through OpenSSL 3 EVP (see nkeys.h).
#include "common/nkeys.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

namespace lnsim::nkeys {
namespace {

constexpr uint8_t kPrefixSeed = 18 << 3;  // 'S'

uint8_t PrefixByte(KeyType type) {
  switch (type) {
    case KeyType::kOperator:
      return 14 << 3;
    case KeyType::kAccount:
      return 0;
    case KeyType::kUser:
      return 20 << 3;
    case KeyType::kServer:
      return 13 << 3;
    case KeyType::kCluster:
      return 2 << 3;
  }
  return 0;
}

bool TypeOfPrefix(uint8_t prefix, KeyType* out) {
  for (KeyType t : {KeyType::kOperator, KeyType::kAccount, KeyType::kUser, KeyType::kServer,
                    KeyType::kCluster}) {
    if (PrefixByte(t) == prefix) {
      *out = t;
      return true;
    }
  }
  return false;
}

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

PkeyPtr PrivateKey(const Bytes32& seed) {
  return PkeyPtr(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()),
                 &EVP_PKEY_free);
}

// Appends the CRC of `body` (little endian) and base32-encodes.
std::string EncodeWithCrc(std::string body) {
  const uint16_t crc = Crc16(body);
  body.push_back(static_cast<char>(crc & 0xff));
  body.push_back(static_cast<char>(crc >> 8));
  return Base32Encode(body);
}

// Base32-decodes and checks the trailing CRC; returns the bytes before it.
StatusOr<std::string> DecodeWithCrc(std::string_view text, std::string_view what) {
  auto raw = Base32Decode(text);
  if (!raw.ok()) return InvalidArgumentError(std::string(what) + ": " + raw.status().message());
  if (raw->size() < 4) return InvalidArgumentError(std::string(what) + ": too short");
  const size_t n = raw->size() - 2;
  const uint16_t want = static_cast<uint16_t>(static_cast<uint8_t>((*raw)[n]) |
                                              (static_cast<uint8_t>((*raw)[n + 1]) << 8));
  raw->resize(n);
  if (Crc16(*raw) != want) return InvalidArgumentError(std::string(what) + ": checksum mismatch");
  return std::move(raw).value();
}

}  // namespace

char PrefixChar(KeyType type) {
  switch (type) {
    case KeyType::kOperator:
      return 'O';
    case KeyType::kAccount:
      return 'A';
    case KeyType::kUser:
      return 'U';
    case KeyType::kServer:
      return 'N';
    case KeyType::kCluster:
      return 'C';
  }
  return '?';
}

std::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kOperator:
      return "operator";
    case KeyType::kAccount:
      return "account";
    case KeyType::kUser:
      return "user";
    case KeyType::kServer:
      return "server";
    case KeyType::kCluster:
      return "cluster";
  }
  return "?";
}

uint16_t Crc16(std::string_view data) {
  uint16_t crc = 0;
  for (unsigned char c : data) {
    crc ^= static_cast<uint16_t>(c) << 8;
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

namespace {

constexpr char kBase32Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Bytes as `width`-bit symbols of `alphabet` (2^width letters), no padding: base32 and base64url.
std::string EncodeSymbols(std::string_view data, int width, const char* alphabet) {
  const uint32_t mask = (1u << width) - 1;
  std::string out;
  out.reserve((data.size() * 8 + width - 1) / width);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : data) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= width) {
      out.push_back(alphabet[(buffer >> (bits - width)) & mask]);
      bits -= width;
    }
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (width - bits)) & mask]);
  return out;
}

// The inverse; leftover bits at the end (fewer than 8) are dropped, as unpadded codecs do.
StatusOr<std::string> DecodeSymbols(std::string_view text, int width, const char* alphabet,
                                    const char* name) {
  const std::string_view letters(alphabet, size_t{1} << width);
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const size_t v = letters.find(text[i]);
    if (v == std::string_view::npos) {
      return InvalidArgumentError(std::string("invalid ") + name + " character at offset " +
                                  std::to_string(i));
    }
    buffer = (buffer << width) | static_cast<uint32_t>(v);
    bits += width;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

}  // namespace

std::string Base32Encode(std::string_view data) { return EncodeSymbols(data, 5, kBase32Alphabet); }

StatusOr<std::string> Base32Decode(std::string_view text) {
  return DecodeSymbols(text, 5, kBase32Alphabet, "base32");
}

std::string Base64UrlEncode(std::string_view data) {
  return EncodeSymbols(data, 6, kBase64UrlAlphabet);
}

StatusOr<std::string> Base64UrlDecode(std::string_view text) {
  return DecodeSymbols(text, 6, kBase64UrlAlphabet, "base64url");
}

std::string Sha512_256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha512_256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

StatusOr<KeyPair> KeyPair::Generate(KeyType type) {
  Bytes32 seed{};
  if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1) {
    return InternalError("nkeys: OpenSSL RAND_bytes failed");
  }
  return FromRawSeed(type, seed);
}

StatusOr<KeyPair> KeyPair::FromRawSeed(KeyType type, const Bytes32& seed) {
  PkeyPtr pkey = PrivateKey(seed);
  if (!pkey) return InternalError("nkeys: OpenSSL cannot load an ed25519 key");
  KeyPair kp;
  kp.type_ = type;
  kp.seed_ = seed;
  size_t len = kp.public_key_.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), kp.public_key_.data(), &len) != 1 || len != 32) {
    return InternalError("nkeys: OpenSSL cannot derive the ed25519 public key");
  }
  return kp;
}

StatusOr<KeyPair> KeyPair::FromSeed(std::string_view encoded_seed) {
  LNSIM_ASSIGN_OR_RETURN(std::string raw, DecodeWithCrc(encoded_seed, "nkey seed"));
  if (raw.size() != 2 + 32) {
    return InvalidArgumentError("nkey seed: decodes to " + std::to_string(raw.size()) +
                                " bytes, want 34");
  }
  const uint8_t b1 = static_cast<uint8_t>(raw[0]);
  const uint8_t b2 = static_cast<uint8_t>(raw[1]);
  if ((b1 & 0xf8) != kPrefixSeed) return InvalidArgumentError("nkey seed: does not start with 'S'");
  const uint8_t role = static_cast<uint8_t>(((b1 & 7) << 5) | ((b2 & 0xf8) >> 3));
  KeyType type;
  if (!TypeOfPrefix(role, &type)) return InvalidArgumentError("nkey seed: unknown key role");
  Bytes32 seed{};
  std::copy(raw.begin() + 2, raw.end(), seed.begin());
  return FromRawSeed(type, seed);
}

std::string KeyPair::PublicKey() const {
  std::string body(1, static_cast<char>(PrefixByte(type_)));
  body.append(reinterpret_cast<const char*>(public_key_.data()), public_key_.size());
  return EncodeWithCrc(std::move(body));
}

std::string KeyPair::Seed() const {
  const uint8_t role = PrefixByte(type_);
  std::string body;
  body.push_back(static_cast<char>(kPrefixSeed | (role >> 5)));
  body.push_back(static_cast<char>((role & 31) << 3));
  body.append(reinterpret_cast<const char*>(seed_.data()), seed_.size());
  return EncodeWithCrc(std::move(body));
}

std::string KeyPair::Sign(std::string_view data) const {
  PkeyPtr pkey = PrivateKey(seed_);
  MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  LNSIM_CHECK(pkey && ctx) << "OpenSSL allocation failed";
  std::string sig(64, '\0');
  size_t len = sig.size();
  LNSIM_CHECK(EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
              EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                             reinterpret_cast<const unsigned char*>(data.data()),
                             data.size()) == 1 &&
              len == 64)
      << "ed25519 signing failed";
  return sig;
}

StatusOr<PublicKey> DecodePublicKey(std::string_view encoded) {
  LNSIM_ASSIGN_OR_RETURN(std::string raw, DecodeWithCrc(encoded, "nkey public key"));
  if (raw.size() != 1 + 32) {
    return InvalidArgumentError("nkey public key: decodes to " + std::to_string(raw.size()) +
                                " bytes, want 33");
  }
  PublicKey out;
  if (!TypeOfPrefix(static_cast<uint8_t>(raw[0]), &out.type)) {
    return InvalidArgumentError("nkey public key: unknown key role");
  }
  std::copy(raw.begin() + 1, raw.end(), out.key.begin());
  return out;
}

bool Verify(const Bytes32& public_key, std::string_view data, std::string_view signature) {
  if (signature.size() != 64) return false;
  PkeyPtr pkey(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()),
      &EVP_PKEY_free);
  MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!pkey || !ctx) return false;
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                          data.size()) == 1;
}

}  // namespace lnsim::nkeys
