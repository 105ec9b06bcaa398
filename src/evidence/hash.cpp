// SHA-256 of a whole evidence (see source.hpp).
#include <fmt/format.h>


#include "core/aligned.hpp"
#include "core/sha1.hpp"
#include "evidence/source.hpp"

namespace ss::evidence {

Result<std::string> sha256_of_source(Source& source,
                                     const std::function<void(std::uint64_t)>& progress) {
  constexpr std::size_t kChunk = std::size_t{8} << 20;
  // Aligned, and read with read_once_at: every byte is read once, around
  // the page cache where it is not already there.
  const AlignedBytes buf = aligned_bytes(kChunk);
  Sha256Hasher h;
  const std::uint64_t size = source.size();
  std::uint64_t at = 0;
  while (at < size) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size - at));
    auto n = source.read_once_at(at, std::span<std::byte>(buf.get(), want));
    if (!n) return n.problem();
    if (*n == 0)
      return Finding{Code::evidence_short_read, fmt::format("{}: byte {}", source.name(), at),
                     "the evidence ended before its size while hashing"};
    h.update(ByteView(buf.get(), *n));
    at += *n;
    if (progress) progress(at);
  }
  return to_hex(h.finish());
}

}  // namespace ss::evidence
