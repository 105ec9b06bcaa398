#include "core/sha1.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace ss {

Sha1Hasher::Sha1Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha1(), nullptr) != 1)
    throw std::runtime_error("OpenSSL SHA-1 unavailable");  // our environment, not the evidence
}

Sha1Hasher::~Sha1Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha1Hasher::update(ByteView bytes) {
  if (!bytes.empty())
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data_unsafe(), bytes.size());
}

Sha1 Sha1Hasher::finish() {
  Sha1 out{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &n);
  return out;
}

Sha1 sha1_of(ByteView bytes) {
  Sha1Hasher h;
  h.update(bytes);
  return h.finish();
}

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL SHA-256 unavailable");  // our environment, not the evidence
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256Hasher::update(ByteView bytes) {
  if (!bytes.empty())
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data_unsafe(), bytes.size());
}

Sha256 Sha256Hasher::finish() {
  Sha256 out{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &n);
  return out;
}

std::string to_hex(const std::uint8_t* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    s[2 * i] = kDigits[data[i] >> 4];
    s[2 * i + 1] = kDigits[data[i] & 15];
  }
  return s;
}

}  // namespace ss
