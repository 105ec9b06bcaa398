// SHA-1 (OpenSSL libcrypto): the Cyrus GUID of a message is the SHA-1 of its
// file. Incremental, so large messages are hashed in chunks. And SHA-256 of
// a whole evidence.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/bytes.hpp"

namespace ss {

using Sha1 = std::array<std::uint8_t, 20>;
using Sha256 = std::array<std::uint8_t, 32>;

namespace evp {
// One OpenSSL EVP digest, incremental.
class EvpDigest {
 public:
  enum class Kind { sha1, sha256 };
  explicit EvpDigest(Kind k);
  ~EvpDigest();
  EvpDigest(const EvpDigest&) = delete;
  EvpDigest& operator=(const EvpDigest&) = delete;
  void update(ByteView bytes);
  void finish(std::uint8_t* out);  // as many bytes as the digest has

 private:
  void* ctx_;  // EVP_MD_CTX
};
}  // namespace evp

class Sha1Hasher {
 public:
  void update(ByteView bytes) { d_.update(bytes); }
  Sha1 finish() {
    Sha1 out{};
    d_.finish(out.data());
    return out;
  }

 private:
  evp::EvpDigest d_{evp::EvpDigest::Kind::sha1};
};

// SHA-256, for the hash of a whole evidence (the field's chain-of-custody
// convention, --hash).
class Sha256Hasher {
 public:
  void update(ByteView bytes) { d_.update(bytes); }
  Sha256 finish() {
    Sha256 out{};
    d_.finish(out.data());
    return out;
  }

 private:
  evp::EvpDigest d_{evp::EvpDigest::Kind::sha256};
};

Sha1 sha1_of(ByteView bytes);
std::string to_hex(const std::uint8_t* data, std::size_t n);
template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& a) {
  return to_hex(a.data(), N);
}

}  // namespace ss
