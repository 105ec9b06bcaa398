#include "core/sha1.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace ss {

namespace evp {

EvpDigest::EvpDigest(Kind k) : ctx_(EVP_MD_CTX_new()) {
  const EVP_MD* md = k == Kind::sha1 ? EVP_sha1() : EVP_sha256();
  if (!ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), md, nullptr) != 1)
    throw std::runtime_error("OpenSSL digest unavailable");  // our environment, not the evidence
}

EvpDigest::~EvpDigest() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void EvpDigest::update(ByteView bytes) {
  if (!bytes.empty())
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data_unsafe(), bytes.size());
}

void EvpDigest::finish(std::uint8_t* out) {
  unsigned int n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out, &n);
}

}  // namespace evp

Sha1 sha1_of(ByteView bytes) {
  Sha1Hasher h;
  h.update(bytes);
  return h.finish();
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
