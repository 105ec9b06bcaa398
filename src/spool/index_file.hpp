// Decoding cyrus.index: the header and every record, by the per-version
// table in index_layout.hpp. Decoding judges nothing but CRCs; the range and
// cross checks are validate/'s job. Nothing here trusts a stated size: the
// header's start_offset/record_size are reported against the table and the
// table's sizes are what records are read with.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "spool/index_layout.hpp"

namespace ss::spool::index {

std::uint32_t crc32_of(ByteView bytes);

// Values as stored (raw integers; times in the unit of their Kind).
template <class F>
class FieldValues {
  static constexpr std::size_t kCount = static_cast<std::size_t>(F::count_);
  static_assert(kCount <= 64, "one presence bit per field");

 public:
  std::optional<std::uint64_t> get(F f) const {
    const auto i = static_cast<std::size_t>(f);
    if (!((present_ >> i) & 1u)) return std::nullopt;
    return v_[i];
  }
  std::uint64_t get_or(F f, std::uint64_t d) const { return get(f).value_or(d); }
  bool has(F f) const { return (present_ >> static_cast<std::size_t>(f)) & 1u; }
  void set(F f, std::uint64_t x) {
    const auto i = static_cast<std::size_t>(f);
    v_[i] = x;
    present_ |= std::uint64_t{1} << i;
  }

 private:
  // Values and a presence bit each (not std::optional: half the size, and
  // a record is kept per message; issue 6).
  std::array<std::uint64_t, kCount> v_{};
  std::uint64_t present_ = 0;
};

struct Header {
  std::uint32_t minor = 0;
  const Layout* layout = nullptr;  // nullptr: unknown version
  FieldValues<HeaderField> values;
  bool has_crc = false;
  std::uint32_t crc_stored = 0;
  std::uint32_t crc_computed = 0;
  bool crc_ok() const { return !has_crc || crc_stored == crc_computed; }
};

struct Record {
  std::uint32_t recno = 0;          // 1-based position in the file
  std::uint64_t file_offset = 0;    // byte offset of the record in cyrus.index
  bool past_num_records = false;    // lies beyond the header's num_records
  FieldValues<RecordField> values;
  std::array<std::uint8_t, 20> guid{};   // v10+: SHA-1 of the message file
  std::array<std::uint8_t, 12> uuid{};   // v7-v9: replication UUID
  std::array<std::uint32_t, 4> user_flags{};
  bool has_guid = false;
  bool has_crc = false;
  std::uint32_t crc_stored = 0;
  std::uint32_t crc_computed = 0;
  bool crc_ok() const { return !has_crc || crc_stored == crc_computed; }

  std::uint32_t uid() const { return static_cast<std::uint32_t>(values.get_or(RecordField::uid, 0)); }
  // cache_version proper (low 16 bits of the stored word).
  std::uint32_t cache_version() const;
  // cache_offset with bits 32-47 taken from the high half of the
  // cache_version word (3.2+; zero in older files).
  std::uint64_t cache_offset() const;
  bool guid_is_zero() const;
};

// Seconds since the epoch for a time field of the given kind (nanos64 is
// divided; a v20 value below 1e11 is taken as already in seconds — early
// 3.13 development builds wrote seconds).
std::int64_t to_seconds(Kind k, std::uint64_t raw);

// Decodes the header from the first bytes of the file. Needs at least the 24
// base bytes; a file shorter than the table's header size gives the fields
// that fit. Problem (no value) only when fewer than 24 bytes exist.
Result<Header> decode_header(ByteView file);

// Decodes one record of `layout` from exactly layout.record_size bytes.
Record decode_record(const Layout& layout, ByteView bytes, std::uint32_t recno,
                     std::uint64_t file_offset);

// The raw value of one field at its table offset (for dump and repair).
std::optional<std::uint64_t> read_field(ByteView unit, std::uint16_t offset, Kind kind);

}  // namespace ss::spool::index
