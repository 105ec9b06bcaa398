// cyrus.cache: a u32 generation number, then records appended in any order.
// A record is exactly 10 items, each a big-endian u32 length L, L bytes, and
// zero padding to a multiple of 4. An index record points at its cache
// record by absolute offset and (v12+) holds the CRC-32 of its bytes.
// Notes: formats/cyrus-cache.md.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace ss::spool::cache {

enum class Item : std::uint8_t {
  envelope, bodystructure, body, section, headers, from, to, cc, bcc, subject
};
inline constexpr std::size_t kItems = 10;
std::string_view name(Item i);

struct CacheRecord {
  std::uint64_t offset = 0;  // of the first length word
  std::uint64_t length = 0;  // all 10 items with their length words and padding
  std::array<ByteView, kItems> items{};  // item contents (without padding)
  std::uint32_t crc = 0;     // CRC-32 over [offset, offset+length)
};

// The generation number at offset 0 (must equal the index's generation_no).
std::optional<std::uint32_t> generation(ByteView cache);

// Parses the record at `offset`. Problems name the item that runs past the
// end of the file.
Result<CacheRecord> read_record(ByteView cache, std::uint64_t offset);

}  // namespace ss::spool::cache
