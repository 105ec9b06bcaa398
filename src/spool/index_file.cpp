#include "spool/index_file.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace ss::spool::index {

std::uint32_t crc32_of(ByteView bytes) {
  // zlib's crc32 is the CRC Cyrus uses (ISO-HDLC, reflected 0xEDB88320).
  uLong crc = ::crc32(0L, Z_NULL, 0);
  const auto* p = reinterpret_cast<const Bytef*>(bytes.data_unsafe());  // NOLINT
  std::size_t left = bytes.size();
  while (left > 0) {
    auto chunk = static_cast<uInt>(std::min<std::size_t>(left, 1u << 30));
    crc = ::crc32(crc, p, chunk);
    p += chunk;
    left -= chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

std::optional<std::uint64_t> read_field(ByteView unit, std::uint16_t offset, Kind kind) {
  switch (kind_size(kind)) {
    case 4: {
      auto v = unit.be32(offset);
      return v ? std::optional<std::uint64_t>(*v) : std::nullopt;
    }
    case 8: return unit.be64(offset);
    default: return std::nullopt;  // byte strings are not integers
  }
}

std::int64_t to_seconds(Kind k, std::uint64_t raw) {
  if (k == Kind::nanos64) {
    if (raw < 100'000'000'000ull) return static_cast<std::int64_t>(raw);
    return static_cast<std::int64_t>(raw / 1'000'000'000ull);
  }
  return static_cast<std::int64_t>(raw);
}

Result<Header> decode_header(ByteView file) {
  Header h;
  auto minor = file.be32(8);
  if (!minor || file.size() < 24)
    return Finding{Code::spool_index_short, "cyrus.index",
                   "fewer than the 24 bytes every index header starts with"};
  h.minor = *minor;
  h.layout = layout_for(h.minor);
  if (!h.layout) {
    // Unknown version: only the base fields are known.
    static constexpr std::uint16_t kBase[] = {0, 4, 8, 12, 16, 20};
    static constexpr HeaderField kBaseF[] = {HeaderField::generation_no, HeaderField::format,
                                             HeaderField::minor_version, HeaderField::start_offset,
                                             HeaderField::record_size, HeaderField::num_records};
    for (std::size_t i = 0; i < 6; ++i)
      if (auto v = file.be32(kBase[i])) h.values.set(kBaseF[i], *v);
    return h;
  }
  for (const auto& f : h.layout->header)
    if (auto v = read_field(file, f.offset, f.kind)) h.values.set(f.field, *v);
  if (h.layout->has_crc && file.size() >= h.layout->header_size) {
    h.has_crc = true;
    h.crc_stored = *file.be32(h.layout->header_size - 4u);
    h.crc_computed = crc32_of(*file.sub(0, h.layout->header_size - 4u));
  }
  return h;
}

Record decode_record(const Layout& layout, ByteView bytes, std::uint32_t recno,
                     std::uint64_t file_offset) {
  Record r;
  r.recno = recno;
  r.file_offset = file_offset;
  for (const auto& f : layout.record) {
    switch (f.kind) {
      case Kind::guid20:
        if (auto s = bytes.sub(f.offset, 20)) {
          std::memcpy(r.guid.data(), s->data_unsafe(), 20);
          r.has_guid = true;
        }
        break;
      case Kind::uuid12:
        if (auto s = bytes.sub(f.offset, 12)) std::memcpy(r.uuid.data(), s->data_unsafe(), 12);
        break;
      case Kind::userflags128:
        for (std::uint16_t k = 0; k < 4; ++k)
          r.user_flags[k] = bytes.be32(f.offset + 4u * k).value_or(0);
        break;
      default:
        if (auto v = read_field(bytes, f.offset, f.kind)) r.values.set(f.field, *v);
    }
  }
  if (layout.has_crc && bytes.size() >= layout.record_size) {
    r.has_crc = true;
    r.crc_stored = *bytes.be32(layout.record_size - 4u);
    r.crc_computed = crc32_of(*bytes.sub(0, layout.record_size - 4u));
  }
  return r;
}

std::uint32_t Record::cache_version() const {
  return static_cast<std::uint32_t>(values.get_or(RecordField::cache_version, 0) & 0xFFFFu);
}

std::uint64_t Record::cache_offset() const {
  std::uint64_t low = values.get_or(RecordField::cache_offset, 0) & 0xFFFFFFFFull;
  std::uint64_t high = values.get_or(RecordField::cache_version, 0) & 0xFFFF0000ull;
  return low | (high << 16);
}

bool Record::guid_is_zero() const {
  return std::all_of(guid.begin(), guid.end(), [](std::uint8_t b) { return b == 0; });
}

}  // namespace ss::spool::index
