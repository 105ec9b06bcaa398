// cyrus.index layouts, every minor version, declared once.
//
// A cyrus.index file is a header followed by fixed-size records, all
// integers big-endian. The layout of both depends on the file's minor
// version (header offset 8). This table is the only place that knows where a
// field lives; decoders, checks, `dump` and the fixture writer all read it.
// Sources: formats/cyrus-index.md (our notes), built from the fact sheet
// ../shared/research/cyrus-formats.md §1.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ss::spool::index {

// What a stored value means (how `dump` shows it and which checks apply).
enum class Kind : std::uint8_t {
  u32,          // a plain 32-bit count or number
  u64,          // a plain 64-bit count
  seconds32,    // Unix time, seconds
  nanos64,      // Unix time, nanoseconds (v20)
  modseq64,     // a modification sequence
  bits32,       // a bit set (flags, options)
  crc32,        // a CRC-32 (zlib polynomial)
  guid20,       // 20 raw bytes: SHA-1 of the message file (v10+)
  uuid12,       // 12 raw bytes: 2.3 replication UUID (v7-v9), not a hash
  userflags128  // 4 x u32: user flag bits 0..127
};

// system_flags bits Cyrus sets on records (formats/cyrus-index.md): the IMAP
// flags in the low bits, internal state in the high bits (v12+).
inline constexpr std::uint32_t kFlagExpunged = 1u << 31;  // record expunged
inline constexpr std::uint32_t kFlagUnlinked = 1u << 30;  // message file removed

// Size in bytes of a field of this kind.
constexpr std::uint16_t kind_size(Kind k) {
  switch (k) {
    case Kind::u32: case Kind::seconds32: case Kind::bits32: case Kind::crc32: return 4;
    case Kind::u64: case Kind::nanos64: case Kind::modseq64: return 8;
    case Kind::guid20: return 20;
    case Kind::uuid12: return 12;
    case Kind::userflags128: return 16;
  }
  return 0;
}

#define SS_INDEX_HEADER_FIELDS(X)                                                              \
  X(generation_no) X(format) X(minor_version) X(start_offset) X(record_size) X(num_records)     \
  X(last_appenddate) X(last_uid) X(quota_mailbox_used) X(pop3_last_login) X(uidvalidity)       \
  X(deleted) X(answered) X(flagged) X(options) X(leaked_cache_records) X(highestmodseq)         \
  X(deletedmodseq) X(exists) X(first_expunged) X(last_repack_time) X(header_file_crc)          \
  X(sync_crc) X(recentuid) X(recenttime) X(pop3_show_after) X(quota_annot_used)               \
  X(sync_crc_annot) X(unseen) X(createdmodseq) X(changes_epoch) X(quota_deleted_used)          \
  X(quota_expunged_used) X(header_crc)

#define SS_INDEX_RECORD_FIELDS(X)                                                              \
  X(uid) X(internaldate) X(sentdate) X(size) X(header_size) X(content_offset) X(gmtime)        \
  X(cache_offset) X(last_updated) X(system_flags) X(user_flags) X(content_lines)               \
  X(cache_version) X(uuid) X(guid) X(modseq) X(cid) X(createdmodseq) X(savedate) X(basecid)     \
  X(cache_crc) X(record_crc)

enum class HeaderField : std::uint8_t {
#define SS_ENUM(n) n,
  SS_INDEX_HEADER_FIELDS(SS_ENUM)
#undef SS_ENUM
  count_
};
enum class RecordField : std::uint8_t {
#define SS_ENUM(n) n,
  SS_INDEX_RECORD_FIELDS(SS_ENUM)
#undef SS_ENUM
  count_
};

std::string_view name(HeaderField f);
std::string_view name(RecordField f);

template <class F>
struct FieldSpec {
  F field;
  std::uint16_t offset;
  Kind kind;
};

struct Layout {
  std::uint32_t minor;
  std::uint16_t header_size;
  std::uint16_t record_size;
  bool has_crc;                 // header and record CRCs (v11 is FastMail-only, v12+)
  bool released;                // written by a tagged release (v11, v14, v15, v18: no)
  std::string_view written_by;  // which Cyrus releases wrote it
  std::span<const FieldSpec<HeaderField>> header;  // in offset order
  std::span<const FieldSpec<RecordField>> record;  // in offset order
};

// The layout for a minor version, or nullptr when the version is unknown
// (0-2, > 20).
const Layout* layout_for(std::uint32_t minor);
// Every known layout, in version order.
std::span<const Layout> all_layouts();

// Where a field lives in a layout (nullopt: not in this version).
std::optional<FieldSpec<HeaderField>> find(const Layout& l, HeaderField f);
std::optional<FieldSpec<RecordField>> find(const Layout& l, RecordField f);

}  // namespace ss::spool::index
