#include "validate/crc_repair.hpp"

#include <bit>
#include <unordered_map>

#include "spool/index_file.hpp"

namespace ss::validate {
namespace {

using spool::index::crc32_of;

// delta[i] = crc(bit i set, length n) ^ crc(zeros, length n): what flipping
// bit i of the covered bytes does to the CRC.
std::vector<std::uint32_t> crc_deltas(std::size_t n) {
  std::vector<std::byte> buf(n, std::byte{0});
  ByteView view(buf);
  std::uint32_t zero = crc32_of(view);
  std::vector<std::uint32_t> d(n * 8);
  for (std::size_t i = 0; i < n * 8; ++i) {
    buf[i / 8] = std::byte{static_cast<unsigned char>(1u << (i % 8))};
    d[i] = crc32_of(view) ^ zero;
    buf[i / 8] = std::byte{0};
  }
  return d;
}

BitCorrection make(ByteView unit, std::vector<std::uint32_t> bits) {
  BitCorrection c;
  c.corrected.assign(unit.span().begin(), unit.span().end());
  for (auto b : bits) c.corrected[b / 8] ^= std::byte{static_cast<unsigned char>(1u << (b % 8))};
  c.bits = std::move(bits);
  return c;
}

// Bit position (in unit numbering) of bit k (0 = LSB) of the stored big-endian CRC.
std::uint32_t crc_bit(std::size_t covered, unsigned k) {
  return static_cast<std::uint32_t>((covered + 3 - k / 8) * 8 + k % 8);
}

}  // namespace

std::vector<BitCorrection> crc_corrections(ByteView unit, unsigned max_bits) {
  std::vector<BitCorrection> out;
  if (unit.size() < 5 || max_bits == 0) return out;
  const std::size_t n = unit.size() - 4;
  const std::uint32_t stored = *unit.be32(n);
  const std::uint32_t computed = crc32_of(*unit.sub(0, n));
  const std::uint32_t syndrome = stored ^ computed;
  if (syndrome == 0) return out;

  const auto delta = crc_deltas(n);
  // One bit in the covered bytes.
  std::unordered_map<std::uint32_t, std::uint32_t> by_delta;
  by_delta.reserve(delta.size());
  for (std::uint32_t i = 0; i < delta.size(); ++i) {
    if (delta[i] == syndrome) out.push_back(make(unit, {i}));
    by_delta.emplace(delta[i], i);
  }
  // One bit in the stored CRC.
  if (std::popcount(syndrome) == 1)
    out.push_back(make(unit, {crc_bit(n, static_cast<unsigned>(std::countr_zero(syndrome)))}));
  if (max_bits < 2 || !out.empty()) return out;

  // Two bits in the covered bytes: delta[i] ^ delta[j] == syndrome.
  for (std::uint32_t i = 0; i < delta.size(); ++i) {
    auto it = by_delta.find(delta[i] ^ syndrome);
    if (it != by_delta.end() && it->second > i) out.push_back(make(unit, {i, it->second}));
  }
  // One in the covered bytes, one in the stored CRC.
  for (std::uint32_t i = 0; i < delta.size(); ++i) {
    std::uint32_t rest = syndrome ^ delta[i];
    if (std::popcount(rest) == 1)
      out.push_back(make(unit, {i, crc_bit(n, static_cast<unsigned>(std::countr_zero(rest)))}));
  }
  // Two bits in the stored CRC.
  if (std::popcount(syndrome) == 2) {
    auto lo = static_cast<unsigned>(std::countr_zero(syndrome));
    auto hi = 31u - static_cast<unsigned>(std::countl_zero(syndrome));
    out.push_back(make(unit, {crc_bit(n, hi), crc_bit(n, lo)}));
  }
  return out;
}

std::vector<BitCorrection> crc_corrections_external(ByteView data, std::uint32_t expected,
                                                    unsigned max_bits) {
  std::vector<BitCorrection> out;
  if (data.empty() || data.size() > kMaxExternalBytes || max_bits == 0) return out;
  const std::uint32_t syndrome = crc32_of(data) ^ expected;
  if (syndrome == 0) return out;
  const auto delta = crc_deltas(data.size());
  std::unordered_map<std::uint32_t, std::uint32_t> by_delta;
  by_delta.reserve(delta.size());
  for (std::uint32_t i = 0; i < delta.size(); ++i) {
    if (delta[i] == syndrome) out.push_back(make(data, {i}));
    by_delta.emplace(delta[i], i);
  }
  if (max_bits < 2 || !out.empty()) return out;
  for (std::uint32_t i = 0; i < delta.size(); ++i) {
    auto it = by_delta.find(delta[i] ^ syndrome);
    if (it != by_delta.end() && it->second > i) out.push_back(make(data, {i, it->second}));
  }
  return out;
}

}  // namespace ss::validate
