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

class Sha1Hasher {
 public:
  Sha1Hasher();
  ~Sha1Hasher();
  Sha1Hasher(const Sha1Hasher&) = delete;
  Sha1Hasher& operator=(const Sha1Hasher&) = delete;
  void update(ByteView bytes);
  Sha1 finish();

 private:
  void* ctx_;  // EVP_MD_CTX
};

Sha1 sha1_of(ByteView bytes);

// SHA-256, for the hash of a whole evidence (the field's chain-of-custody
// convention, --hash).
using Sha256 = std::array<std::uint8_t, 32>;
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void update(ByteView bytes);
  Sha256 finish();

 private:
  void* ctx_;  // EVP_MD_CTX
};
std::string to_hex(const std::uint8_t* data, std::size_t n);
template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& a) {
  return to_hex(a.data(), N);
}

}  // namespace ss
