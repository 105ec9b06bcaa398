// The per-version table of cyrus.index layouts. Each table lists the fields
// in offset order; static_asserts below prove for every version that fields
// do not overlap, fit in the stated size, the six base fields sit at 0-23,
// and a CRC, where there is one, covers all bytes before it and ends the
// header or record. Field meanings: formats/cyrus-index.md.
#include "spool/index_layout.hpp"

#include <array>

namespace ss::spool::index {
namespace {

using H = HeaderField;
using R = RecordField;
using HF = FieldSpec<HeaderField>;
using RF = FieldSpec<RecordField>;

// ---- headers ---------------------------------------------------------------

// Bytes 0-23 mean the same in every version. Offset 20 counts every record
// in the file (v12+ "num_records"; v3-v10 "exists", expunged ones live in
// cyrus.expunge there).
#define SS_BASE                                                                              \
  HF{H::generation_no, 0, Kind::u32}, HF{H::format, 4, Kind::u32},                           \
      HF{H::minor_version, 8, Kind::u32}, HF{H::start_offset, 12, Kind::u32},                \
      HF{H::record_size, 16, Kind::u32}, HF{H::num_records, 20, Kind::u32}

// v3 (56 bytes): 2.0, early 2.1. quota is 32-bit.
constexpr std::array kHeaderV3{SS_BASE,
                               HF{H::last_appenddate, 24, Kind::seconds32},
                               HF{H::last_uid, 28, Kind::u32},
                               HF{H::quota_mailbox_used, 32, Kind::u32},
                               HF{H::pop3_last_login, 36, Kind::seconds32},
                               HF{H::uidvalidity, 40, Kind::u32},
                               HF{H::deleted, 44, Kind::u32},
                               HF{H::answered, 48, Kind::u32},
                               HF{H::flagged, 52, Kind::u32}};
// v4/v5 (76 bytes): v3 + pop3_new_uidl (the later options bit 0); v5 counts
// leaked cache records at 60 (a spare in v4).
#define SS_V4_BODY                                                                          \
  HF{H::last_appenddate, 24, Kind::seconds32}, HF{H::last_uid, 28, Kind::u32},              \
      HF{H::quota_mailbox_used, 32, Kind::u32}, HF{H::pop3_last_login, 36, Kind::seconds32}, \
      HF{H::uidvalidity, 40, Kind::u32}, HF{H::deleted, 44, Kind::u32},                     \
      HF{H::answered, 48, Kind::u32}, HF{H::flagged, 52, Kind::u32},                        \
      HF{H::options, 56, Kind::bits32}
constexpr std::array kHeaderV4{SS_BASE, SS_V4_BODY};
constexpr std::array kHeaderV5{SS_BASE, SS_V4_BODY, HF{H::leaked_cache_records, 60, Kind::u32}};

// v6/v7 (76 bytes): 2.2, 2.3.0-2.3.3. quota becomes 64-bit at 32.
#define SS_V6_BODY                                                                         \
  HF{H::last_appenddate, 24, Kind::seconds32}, HF{H::last_uid, 28, Kind::u32},             \
      HF{H::quota_mailbox_used, 32, Kind::u64}, HF{H::pop3_last_login, 40, Kind::seconds32}, \
      HF{H::uidvalidity, 44, Kind::u32}, HF{H::deleted, 48, Kind::u32},                    \
      HF{H::answered, 52, Kind::u32}, HF{H::flagged, 56, Kind::u32},                       \
      HF{H::options, 60, Kind::bits32}, HF{H::leaked_cache_records, 64, Kind::u32}
constexpr std::array kHeaderV6{SS_BASE, SS_V6_BODY};
// v8 (92), v9/v10 (96): + highestmodseq (unaligned) at 68.
constexpr std::array kHeaderV8{SS_BASE, SS_V6_BODY, HF{H::highestmodseq, 68, Kind::modseq64}};
// v11 (96, FastMail only): v10 with the header CRC at 92.
constexpr std::array kHeaderV11{SS_BASE, SS_V6_BODY, HF{H::highestmodseq, 68, Kind::modseq64},
                                HF{H::header_crc, 92, Kind::crc32}};
// v12 (128): 2.4.
#define SS_V12_BODY                                                                           \
  SS_V6_BODY, HF{H::highestmodseq, 68, Kind::modseq64},                                       \
      HF{H::deletedmodseq, 76, Kind::modseq64}, HF{H::exists, 84, Kind::u32},                 \
      HF{H::first_expunged, 88, Kind::seconds32}, HF{H::last_repack_time, 92, Kind::seconds32}, \
      HF{H::header_file_crc, 96, Kind::crc32}, HF{H::sync_crc, 100, Kind::crc32},             \
      HF{H::recentuid, 104, Kind::u32}, HF{H::recenttime, 108, Kind::seconds32}
constexpr std::array kHeaderV12{SS_BASE, SS_V12_BODY, HF{H::header_crc, 124, Kind::crc32}};
// v13 (128): 2.5, 3.0.
#define SS_V13_BODY                                                                             \
  SS_V12_BODY, HF{H::pop3_show_after, 112, Kind::seconds32},                                    \
      HF{H::quota_annot_used, 116, Kind::u32}, HF{H::sync_crc_annot, 120, Kind::crc32}
constexpr std::array kHeaderV13{SS_BASE, SS_V13_BODY, HF{H::header_crc, 124, Kind::crc32}};
// v14/v15 (160): 3.1.4 dev. + unseen.
constexpr std::array kHeaderV14{SS_BASE, SS_V13_BODY, HF{H::unseen, 124, Kind::u32},
                                HF{H::header_crc, 156, Kind::crc32}};
// v16 (160): 3.2. + createdmodseq.
constexpr std::array kHeaderV16{SS_BASE, SS_V13_BODY, HF{H::unseen, 124, Kind::u32},
                                HF{H::createdmodseq, 128, Kind::modseq64},
                                HF{H::header_crc, 156, Kind::crc32}};
// v17 (160): 3.4-3.8. + changes_epoch.
constexpr std::array kHeaderV17{SS_BASE, SS_V13_BODY, HF{H::unseen, 124, Kind::u32},
                                HF{H::createdmodseq, 128, Kind::modseq64},
                                HF{H::changes_epoch, 136, Kind::seconds32},
                                HF{H::header_crc, 156, Kind::crc32}};
// v18 (160): dev only. + quota_deleted_used, quota_expunged_used (unaligned).
constexpr std::array kHeaderV18{SS_BASE, SS_V13_BODY, HF{H::unseen, 124, Kind::u32},
                                HF{H::createdmodseq, 128, Kind::modseq64},
                                HF{H::changes_epoch, 136, Kind::seconds32},
                                HF{H::quota_deleted_used, 140, Kind::u64},
                                HF{H::quota_expunged_used, 148, Kind::u64},
                                HF{H::header_crc, 156, Kind::crc32}};
// v19 (160): 3.10, 3.12. Fields moved so 64-bit values are 8-aligned.
constexpr std::array kHeaderV19{SS_BASE,
                                HF{H::last_appenddate, 24, Kind::seconds32},
                                HF{H::last_uid, 28, Kind::u32},
                                HF{H::quota_mailbox_used, 32, Kind::u64},
                                HF{H::pop3_last_login, 40, Kind::seconds32},
                                HF{H::uidvalidity, 44, Kind::u32},
                                HF{H::deleted, 48, Kind::u32},
                                HF{H::answered, 52, Kind::u32},
                                HF{H::flagged, 56, Kind::u32},
                                HF{H::exists, 60, Kind::u32},
                                HF{H::options, 64, Kind::bits32},
                                HF{H::leaked_cache_records, 68, Kind::u32},
                                HF{H::highestmodseq, 72, Kind::modseq64},
                                HF{H::deletedmodseq, 80, Kind::modseq64},
                                HF{H::first_expunged, 88, Kind::seconds32},
                                HF{H::last_repack_time, 92, Kind::seconds32},
                                HF{H::header_file_crc, 96, Kind::crc32},
                                HF{H::sync_crc, 100, Kind::crc32},
                                HF{H::recentuid, 104, Kind::u32},
                                HF{H::recenttime, 108, Kind::seconds32},
                                HF{H::pop3_show_after, 112, Kind::seconds32},
                                HF{H::quota_annot_used, 116, Kind::u32},
                                HF{H::sync_crc_annot, 120, Kind::crc32},
                                HF{H::unseen, 124, Kind::u32},
                                HF{H::createdmodseq, 128, Kind::modseq64},
                                HF{H::quota_deleted_used, 136, Kind::u64},
                                HF{H::quota_expunged_used, 144, Kind::u64},
                                HF{H::changes_epoch, 152, Kind::seconds32},
                                HF{H::header_crc, 156, Kind::crc32}};
// v20 (192): 3.13.1+. Times are nanoseconds; last_uid/uidvalidity moved.
constexpr std::array kHeaderV20{SS_BASE,
                                HF{H::last_appenddate, 24, Kind::nanos64},
                                HF{H::quota_mailbox_used, 32, Kind::u64},
                                HF{H::pop3_last_login, 40, Kind::nanos64},
                                HF{H::deleted, 48, Kind::u32},
                                HF{H::answered, 52, Kind::u32},
                                HF{H::flagged, 56, Kind::u32},
                                HF{H::exists, 60, Kind::u32},
                                HF{H::options, 64, Kind::bits32},
                                HF{H::leaked_cache_records, 68, Kind::u32},
                                HF{H::highestmodseq, 72, Kind::modseq64},
                                HF{H::deletedmodseq, 80, Kind::modseq64},
                                HF{H::last_uid, 88, Kind::u32},
                                HF{H::uidvalidity, 92, Kind::u32},
                                HF{H::header_file_crc, 96, Kind::crc32},
                                HF{H::sync_crc, 100, Kind::crc32},
                                HF{H::recenttime, 104, Kind::nanos64},
                                HF{H::pop3_show_after, 112, Kind::nanos64},
                                HF{H::sync_crc_annot, 120, Kind::crc32},
                                HF{H::unseen, 124, Kind::u32},
                                HF{H::createdmodseq, 128, Kind::modseq64},
                                HF{H::quota_deleted_used, 136, Kind::u64},
                                HF{H::quota_expunged_used, 144, Kind::u64},
                                HF{H::quota_annot_used, 152, Kind::u64},
                                HF{H::changes_epoch, 160, Kind::nanos64},
                                HF{H::first_expunged, 168, Kind::nanos64},
                                HF{H::last_repack_time, 176, Kind::nanos64},
                                HF{H::recentuid, 184, Kind::u32},
                                HF{H::header_crc, 188, Kind::crc32}};
#undef SS_BASE
#undef SS_V4_BODY
#undef SS_V6_BODY
#undef SS_V12_BODY
#undef SS_V13_BODY

// ---- records ---------------------------------------------------------------

// v3/v4 (52): offset 20 is content_offset (always == header_size).
#define SS_REC_V3                                                                             \
  RF{R::uid, 0, Kind::u32}, RF{R::internaldate, 4, Kind::seconds32},                          \
      RF{R::sentdate, 8, Kind::seconds32}, RF{R::size, 12, Kind::u32},                        \
      RF{R::header_size, 16, Kind::u32}, RF{R::content_offset, 20, Kind::u32},                \
      RF{R::cache_offset, 24, Kind::u32}, RF{R::last_updated, 28, Kind::seconds32},           \
      RF{R::system_flags, 32, Kind::bits32}, RF{R::user_flags, 36, Kind::userflags128}
constexpr std::array kRecordV3{SS_REC_V3};
constexpr std::array kRecordV5{SS_REC_V3, RF{R::content_lines, 52, Kind::u32}};
#define SS_REC_V6 SS_REC_V3, RF{R::content_lines, 52, Kind::u32}, RF{R::cache_version, 56, Kind::u32}
constexpr std::array kRecordV6{SS_REC_V6};
// v7 (72): + 2.3 replication UUID. v8/v9 (80): + modseq.
constexpr std::array kRecordV7{SS_REC_V6, RF{R::uuid, 60, Kind::uuid12}};
constexpr std::array kRecordV8{SS_REC_V6, RF{R::uuid, 60, Kind::uuid12},
                               RF{R::modseq, 72, Kind::modseq64}};
// v10 (88): the GUID (SHA-1 of the message file) replaces the UUID.
constexpr std::array kRecordV10{SS_REC_V6, RF{R::guid, 60, Kind::guid20},
                                RF{R::modseq, 80, Kind::modseq64}};
// v11 (96, FastMail only): v10 + cache_crc + record_crc.
constexpr std::array kRecordV11{SS_REC_V6, RF{R::guid, 60, Kind::guid20},
                                RF{R::modseq, 80, Kind::modseq64},
                                RF{R::cache_crc, 88, Kind::crc32},
                                RF{R::record_crc, 92, Kind::crc32}};
// v12 (96): offset 20 becomes gmtime (the Date: header in UTC).
#define SS_REC_V12_HEAD                                                                       \
  RF{R::uid, 0, Kind::u32}, RF{R::internaldate, 4, Kind::seconds32},                          \
      RF{R::sentdate, 8, Kind::seconds32}, RF{R::size, 12, Kind::u32},                        \
      RF{R::header_size, 16, Kind::u32}, RF{R::gmtime, 20, Kind::seconds32},                  \
      RF{R::cache_offset, 24, Kind::u32}, RF{R::last_updated, 28, Kind::seconds32},           \
      RF{R::system_flags, 32, Kind::bits32}, RF{R::user_flags, 36, Kind::userflags128}
constexpr std::array kRecordV12{SS_REC_V12_HEAD,
                                RF{R::content_lines, 52, Kind::u32},
                                RF{R::cache_version, 56, Kind::u32},
                                RF{R::guid, 60, Kind::guid20},
                                RF{R::modseq, 80, Kind::modseq64},
                                RF{R::cache_crc, 88, Kind::crc32},
                                RF{R::record_crc, 92, Kind::crc32}};
// v13/v14 (104): + cid.
constexpr std::array kRecordV13{SS_REC_V12_HEAD,
                                RF{R::content_lines, 52, Kind::u32},
                                RF{R::cache_version, 56, Kind::u32},
                                RF{R::guid, 60, Kind::guid20},
                                RF{R::modseq, 80, Kind::modseq64},
                                RF{R::cid, 88, Kind::u64},
                                RF{R::cache_crc, 96, Kind::crc32},
                                RF{R::record_crc, 100, Kind::crc32}};
// v15 (104, dev): savedate replaces content_lines.
constexpr std::array kRecordV15{SS_REC_V12_HEAD,
                                RF{R::savedate, 52, Kind::seconds32},
                                RF{R::cache_version, 56, Kind::u32},
                                RF{R::guid, 60, Kind::guid20},
                                RF{R::modseq, 80, Kind::modseq64},
                                RF{R::cid, 88, Kind::u64},
                                RF{R::cache_crc, 96, Kind::crc32},
                                RF{R::record_crc, 100, Kind::crc32}};
// v16-v19 (112): + createdmodseq.
constexpr std::array kRecordV16{SS_REC_V12_HEAD,
                                RF{R::savedate, 52, Kind::seconds32},
                                RF{R::cache_version, 56, Kind::u32},
                                RF{R::guid, 60, Kind::guid20},
                                RF{R::modseq, 80, Kind::modseq64},
                                RF{R::cid, 88, Kind::u64},
                                RF{R::createdmodseq, 96, Kind::modseq64},
                                RF{R::cache_crc, 104, Kind::crc32},
                                RF{R::record_crc, 108, Kind::crc32}};
// v20 (144): nanosecond times, 64-bit size, basecid.
constexpr std::array kRecordV20{RF{R::uid, 0, Kind::u32},
                                RF{R::cache_offset, 4, Kind::u32},
                                RF{R::internaldate, 8, Kind::nanos64},
                                RF{R::sentdate, 16, Kind::nanos64},
                                RF{R::size, 24, Kind::u64},
                                RF{R::header_size, 32, Kind::u32},
                                RF{R::system_flags, 36, Kind::bits32},
                                RF{R::user_flags, 40, Kind::userflags128},
                                RF{R::cache_version, 56, Kind::u32},
                                RF{R::guid, 60, Kind::guid20},
                                RF{R::modseq, 80, Kind::modseq64},
                                RF{R::cid, 88, Kind::u64},
                                RF{R::createdmodseq, 96, Kind::modseq64},
                                RF{R::gmtime, 104, Kind::nanos64},
                                RF{R::last_updated, 112, Kind::nanos64},
                                RF{R::savedate, 120, Kind::nanos64},
                                RF{R::basecid, 128, Kind::u64},
                                RF{R::cache_crc, 136, Kind::crc32},
                                RF{R::record_crc, 140, Kind::crc32}};
#undef SS_REC_V3
#undef SS_REC_V6
#undef SS_REC_V12_HEAD

// ---- proofs of the table ----------------------------------------------------

template <class Spec, std::size_t N>
constexpr bool well_formed(const std::array<Spec, N>& fields, std::uint16_t size, bool crc) {
  std::uint32_t end = 0;
  for (const auto& f : fields) {
    if (f.offset < end) return false;  // sorted, no overlap
    end = f.offset + kind_size(f.kind);
  }
  if (end > size) return false;
  if (crc) {  // the CRC is the last field and ends the unit
    const auto& last = fields[N - 1];
    if (last.kind != Kind::crc32 || last.offset + 4 != size) return false;
  }
  return true;
}

template <std::size_t N>
constexpr bool base_fields_first(const std::array<HF, N>& h) {
  return N >= 6 && h[0].offset == 0 && h[1].offset == 4 && h[2].offset == 8 &&
         h[3].offset == 12 && h[4].offset == 16 && h[5].offset == 20 &&
         h[2].field == H::minor_version && h[5].field == H::num_records;
}

#define SS_CHECK(hdr, hsize, rec, rsize, crc)                                           \
  static_assert(well_formed(hdr, hsize, crc) && base_fields_first(hdr), #hdr " layout"); \
  static_assert(well_formed(rec, rsize, crc) && rec[0].field == R::uid, #rec " layout")
SS_CHECK(kHeaderV3, 56, kRecordV3, 52, false);
SS_CHECK(kHeaderV4, 76, kRecordV3, 52, false);
SS_CHECK(kHeaderV5, 76, kRecordV5, 56, false);
SS_CHECK(kHeaderV6, 76, kRecordV6, 60, false);
SS_CHECK(kHeaderV6, 76, kRecordV7, 72, false);
SS_CHECK(kHeaderV8, 92, kRecordV8, 80, false);
SS_CHECK(kHeaderV8, 96, kRecordV10, 88, false);
SS_CHECK(kHeaderV11, 96, kRecordV11, 96, true);
SS_CHECK(kHeaderV12, 128, kRecordV12, 96, true);
SS_CHECK(kHeaderV13, 128, kRecordV13, 104, true);
SS_CHECK(kHeaderV14, 160, kRecordV13, 104, true);
SS_CHECK(kHeaderV14, 160, kRecordV15, 104, true);
SS_CHECK(kHeaderV16, 160, kRecordV16, 112, true);
SS_CHECK(kHeaderV17, 160, kRecordV16, 112, true);
SS_CHECK(kHeaderV18, 160, kRecordV16, 112, true);
SS_CHECK(kHeaderV19, 160, kRecordV16, 112, true);
SS_CHECK(kHeaderV20, 192, kRecordV20, 144, true);
#undef SS_CHECK

constexpr std::array kLayouts{
    Layout{3, 56, 52, false, true, "1.6.23-2.1.3", kHeaderV3, kRecordV3},
    Layout{4, 76, 52, false, true, "2.1.4-2.2.0", kHeaderV4, kRecordV3},
    Layout{5, 76, 56, false, true, "2.2.1", kHeaderV5, kRecordV5},
    Layout{6, 76, 60, false, true, "2.1.16-2.2.13", kHeaderV6, kRecordV6},
    Layout{7, 76, 72, false, true, "2.3.0-2.3.3", kHeaderV6, kRecordV7},
    Layout{8, 92, 80, false, true, "2.3.4-2.3.6", kHeaderV8, kRecordV8},
    Layout{9, 96, 80, false, true, "2.3.7-2.3.9", kHeaderV8, kRecordV8},
    Layout{10, 96, 88, false, true, "2.3.10-2.3.20", kHeaderV8, kRecordV10},
    Layout{11, 96, 96, true, false, "FastMail-internal only", kHeaderV11, kRecordV11},
    Layout{12, 128, 96, true, true, "2.4.x", kHeaderV12, kRecordV12},
    Layout{13, 128, 104, true, true, "2.5.x, 3.0.x", kHeaderV13, kRecordV13},
    Layout{14, 160, 104, true, false, "3.1.4 (development)", kHeaderV14, kRecordV13},
    Layout{15, 160, 104, true, false, "development commits only", kHeaderV14, kRecordV15},
    Layout{16, 160, 112, true, true, "3.2.x", kHeaderV16, kRecordV16},
    Layout{17, 160, 112, true, true, "3.4.x, 3.6.x, 3.8.x", kHeaderV17, kRecordV16},
    Layout{18, 160, 112, true, false, "development commits only", kHeaderV18, kRecordV16},
    Layout{19, 160, 112, true, true, "3.10.x, 3.12.x", kHeaderV19, kRecordV16},
    Layout{20, 192, 144, true, true, "3.13.1+", kHeaderV20, kRecordV20},
};

constexpr std::array<std::string_view, static_cast<std::size_t>(H::count_)> kHeaderNames{
#define SS_NAME(n) #n,
    SS_INDEX_HEADER_FIELDS(SS_NAME)
#undef SS_NAME
};
constexpr std::array<std::string_view, static_cast<std::size_t>(R::count_)> kRecordNames{
#define SS_NAME(n) #n,
    SS_INDEX_RECORD_FIELDS(SS_NAME)
#undef SS_NAME
};

}  // namespace

std::string_view name(HeaderField f) { return kHeaderNames[static_cast<std::size_t>(f)]; }
std::string_view name(RecordField f) { return kRecordNames[static_cast<std::size_t>(f)]; }

const Layout* layout_for(std::uint32_t minor) {
  for (const auto& l : kLayouts)
    if (l.minor == minor) return &l;
  return nullptr;
}

std::span<const Layout> all_layouts() { return kLayouts; }

std::optional<FieldSpec<HeaderField>> find(const Layout& l, HeaderField f) {
  for (const auto& s : l.header)
    if (s.field == f) return s;
  return std::nullopt;
}
std::optional<FieldSpec<RecordField>> find(const Layout& l, RecordField f) {
  for (const auto& s : l.record)
    if (s.field == f) return s;
  return std::nullopt;
}

}  // namespace ss::spool::index
