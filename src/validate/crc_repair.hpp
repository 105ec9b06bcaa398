// CRC-guided correction: for a unit (index header or record) whose stored
// CRC-32 does not match its bytes, find the one- or two-bit changes that make
// it hold. CRC-32 is linear, so the effect of flipping bit i on the CRC is a
// fixed delta for a given length; single flips are a table lookup and pairs a
// hash join, never a brute-force recomputation. For units up to 371 bytes
// (2974 bits) the IEEE CRC-32 has Hamming distance >= 5, so a correction of
// at most two bits is unique when it exists; the search still returns every
// candidate and callers accept only a unique one.
#pragma once

#include <cstdint>
#include <vector>

#include "core/bytes.hpp"

namespace ss::validate {

struct BitCorrection {
  // Flipped bit positions, as byte_offset*8 + bit (bit 0 = least significant),
  // over the whole unit (covered bytes followed by the 4 stored CRC bytes).
  std::vector<std::uint32_t> bits;
  std::vector<std::byte> corrected;  // the unit with those bits flipped back
};

// `unit` is the whole header or record: covered bytes then a big-endian
// CRC-32 in its last 4 bytes. Returns the corrections of `max_bits` (1 or 2)
// bits or fewer, fewest first. Empty when the CRC already holds.
std::vector<BitCorrection> crc_corrections(ByteView unit, unsigned max_bits = 2);

// The same for bytes whose CRC is stored elsewhere (and is itself trusted,
// e.g. cyrus.header's CRC inside a CRC-checked index header): only bits of
// `data` are flipped. Bit positions are over `data`. Inputs larger than
// kMaxExternalBytes are not searched (returns nothing).
inline constexpr std::size_t kMaxExternalBytes = 16384;
std::vector<BitCorrection> crc_corrections_external(ByteView data, std::uint32_t expected,
                                                    unsigned max_bits = 2);

}  // namespace ss::validate
