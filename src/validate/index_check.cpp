#include "validate/index_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "spool/cache_file.hpp"
#include "validate/crc_repair.hpp"

namespace ss::validate {
namespace {

using spool::index::HeaderField;
using spool::index::Kind;
using spool::index::Layout;
using spool::index::Record;
using spool::index::RecordField;
namespace ix = spool::index;


// System flag bits each version may carry (lenient for v13, written by both
// 2.5 and 3.0: formats/cyrus-index.md "system_flags").
std::uint32_t allowed_system_flags(std::uint32_t minor) {
  if (minor <= 11) return 0x0000000Fu;  // \Answered \Flagged \Deleted \Draft
  return 0x0000001Fu | 0xFC000000u;     // + \Seen, internal bits 26-31
}

// Options bits each version may carry.
std::uint32_t allowed_options(std::uint32_t minor) {
  if (minor <= 7) return 0x1u;
  std::uint32_t ok = 0x1u | 0x4u | 0x8u | 0xE0000000u;
  if (minor < 12) ok |= 0x2u;  // per-mailbox CONDSTORE, 2.3 only
  if (minor >= 16) ok |= 0x10u;
  return ok;
}

// The evidence offset of a byte of the index file, by its byte runs.
std::optional<std::uint64_t> image_offset(const IndexContext& ctx, std::uint64_t file_offset) {
  for (const auto& run : ctx.runs)
    if (run.image_offset && file_offset >= run.file_offset &&
        file_offset - run.file_offset < run.length)
      return *run.image_offset + (file_offset - run.file_offset);
  return std::nullopt;
}

std::string place_of(const IndexContext& ctx, const Record& r) {
  auto img = image_offset(ctx, r.file_offset);
  return fmt::format("{} record {} (uid {}, byte {}{})", ctx.place, r.recno, r.uid(), r.file_offset,
                     img ? fmt::format(", image byte {}", *img) : std::string());
}

// Seconds for a record time field of this layout.
std::optional<std::int64_t> time_of(const Layout& l, const Record& r, RecordField f) {
  auto spec = ix::find(l, f);
  auto v = r.values.get(f);
  if (!spec || !v) return std::nullopt;
  return ix::to_seconds(spec->kind, *v);
}

std::optional<std::int64_t> header_time(const ix::Header& h, HeaderField f) {
  if (!h.layout) return std::nullopt;
  auto spec = ix::find(*h.layout, f);
  auto v = h.values.get(f);
  if (!spec || !v) return std::nullopt;
  return ix::to_seconds(spec->kind, *v);
}

// The newest time the header vouches for: no server-set record time should be
// much later than this.
std::int64_t newest_header_time(const ix::Header& h) {
  std::int64_t t = 0;
  for (auto f : {HeaderField::last_appenddate, HeaderField::last_repack_time,
                 HeaderField::changes_epoch, HeaderField::recenttime, HeaderField::first_expunged,
                 HeaderField::pop3_last_login})
    t = std::max(t, header_time(h, f).value_or(0));
  return t;
}

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kYear = 366 * kDay;

// The window a v3-v11 record time (t32) must lie in when the layout is
// inferred from the records: 1980-01-01 to 2038-01-19, the last second a
// signed 32-bit time_t holds (2.x wrote time_t through htonl). Outside it the
// bytes are taken not to be a time of this layout.
constexpr std::int64_t kPlausibleFrom = 315532800;
constexpr std::int64_t kPlausibleTo = 2147483647;
bool plausible_time(std::int64_t t) { return t >= kPlausibleFrom && t <= kPlausibleTo; }

// Range checks of one record that do not depend on its neighbours. Appends
// findings to `out` (may be null when only the verdict is wanted).
// `hp` is null when the header itself is damaged: its counters then prove
// nothing about the records. `inferred_by_files`: the layout was inferred
// from the records themselves, so their times must also lie in the
// plausible window.
bool range_checks(const Layout& l, const ix::Header* hp, const Record& r, const IndexContext& ctx,
                  Findings* out, bool inferred_by_files = false) {
  static const ix::Header kNoHeader{};
  const ix::Header& h = hp ? *hp : kNoHeader;
  bool ok = true;
  auto add = [&](Code c, std::string detail) {
    ok = false;
    if (out) out->add(c, place_of(ctx, r), std::move(detail));
  };
  auto warn = [&](Code c, std::string detail) {
    if (out) out->add(c, place_of(ctx, r), std::move(detail));
  };
  if (r.uid() == 0) add(Code::record_uid_zero, "uid 0");
  auto last_uid = h.values.get(HeaderField::last_uid);
  if (last_uid && r.uid() > *last_uid)
    add(Code::index_last_uid, fmt::format("uid {} > last_uid {}", r.uid(), *last_uid));
  auto size = r.values.get_or(RecordField::size, 0);
  auto hsize = r.values.get_or(RecordField::header_size, 0);
  if (hsize > size) add(Code::record_header_size, fmt::format("header_size {} > size {}", hsize, size));
  auto flags = static_cast<std::uint32_t>(r.values.get_or(RecordField::system_flags, 0));
  auto bad = flags & ~allowed_system_flags(l.minor);
  if (bad) add(Code::record_system_flags, fmt::format("system_flags {:#010x}, unknown bits {:#010x}", flags, bad));
  if (auto ms = r.values.get(RecordField::modseq)) {
    auto hms = h.values.get(HeaderField::highestmodseq);
    if (hms && *ms > *hms)
      add(Code::index_highestmodseq, fmt::format("modseq {} > highestmodseq {}", *ms, *hms));
    if (*ms == 0) warn(Code::record_modseq_zero, "modseq 0");
  }
  if (r.values.has(RecordField::cache_version) && r.cache_version() > 14)
    add(Code::record_cache_version, fmt::format("cache_version {}", r.cache_version()));
  if (ctx.cache && r.values.has(RecordField::cache_offset)) {
    auto off = r.cache_offset();
    if (off < 4 || off >= ctx.cache->size())
      add(Code::cache_offset_out_of_range,
          fmt::format("cache_offset {} outside 4..{}", off, ctx.cache->size()));
  }
  // Times the server sets. internaldate is the client's to choose (APPEND),
  // so only zero is a finding; last_updated and savedate are the server's
  // clock and must not lie far past what the header vouches for, nor before
  // the mailbox existed.
  std::int64_t newest = hp ? newest_header_time(h) : 0;
  auto uidvalidity = static_cast<std::int64_t>(h.values.get_or(HeaderField::uidvalidity, 0));
  if (auto t = time_of(l, r, RecordField::internaldate);
      t && inferred_by_files && !plausible_time(*t))
    add(Code::record_time, fmt::format("internaldate {} outside {}..{} (the layout is inferred)",
                                       *t, kPlausibleFrom, kPlausibleTo));
  else if (t && *t == 0)
    warn(Code::record_time, "internaldate 0");
  for (auto f : {RecordField::last_updated, RecordField::savedate}) {
    auto t = time_of(l, r, f);
    if (!t) continue;
    if (*t == 0 && f == RecordField::last_updated) {
      add(Code::record_time, fmt::format("{} 0", ix::name(f)));
    } else if (inferred_by_files && !plausible_time(*t)) {
      add(Code::record_time, fmt::format("{} {} outside {}..{} (the layout is inferred)",
                                         ix::name(f), *t, kPlausibleFrom, kPlausibleTo));
    } else if (*t != 0 && newest > 0 && *t > newest + kYear) {
      add(Code::record_time, fmt::format("{} {} is more than a year after the newest header time {}",
                                         ix::name(f), *t, newest));
    } else if (*t != 0 && uidvalidity > 946684800 && *t + kDay < uidvalidity &&
               uidvalidity < newest + kYear) {
      add(Code::record_time, fmt::format("{} {} is before the mailbox's uidvalidity {}", ix::name(f),
                                         *t, uidvalidity));
    }
  }
  return ok;
}

void check_cache_crc(const Record& r, const IndexContext& ctx, Findings& out) {
  if (!ctx.cache || !r.values.has(RecordField::cache_crc)) return;
  auto stored = static_cast<std::uint32_t>(*r.values.get(RecordField::cache_crc));
  if (stored == 0) return;  // "old style": Cyrus re-parses such records
  auto rec = spool::cache::read_record(*ctx.cache, r.cache_offset());
  if (!rec) {
    Finding f = rec.problem();
    f.place = place_of(ctx, r);
    out.add(std::move(f));
    return;
  }
  if (rec->crc != stored)
    out.add(Code::record_cache_crc, place_of(ctx, r),
            fmt::format("stored {:#010x}, computed {:#010x} over {} bytes at cache offset {}",
                        stored, rec->crc, rec->length, rec->offset));
}

// The field a byte of a header or record belongs to, by the layout table.
template <class F>
std::string field_at(std::span<const ix::FieldSpec<F>> fields, std::uint32_t byte) {
  for (const auto& f : fields)
    if (byte >= f.offset && byte < f.offset + ix::kind_size(f.kind))
      return std::string(ix::name(f.field));
  return "spare";
}

template <class F>
std::string bits_text(std::span<const ix::FieldSpec<F>> fields,
                      const std::vector<std::uint32_t>& bits) {
  std::vector<std::string> parts;
  for (auto b : bits)
    parts.push_back(fmt::format("field {} (byte {} bit {})", field_at(fields, b / 8), b / 8, b % 8));
  return fmt::format("{}", fmt::join(parts, ", "));
}

// The header pass. Returns the header to use (corrected when proven).
void check_header(ByteView file, const IndexContext& ctx, IndexCheck& out) {
  auto& h = out.contents->header;
  const Layout& l = *h.layout;
  if (!l.released)
    out.findings.add(Code::index_unreleased_version, ctx.place,
                     fmt::format("minor version {} ({})", l.minor, l.written_by));
  if (h.has_crc && !h.crc_ok()) {
    out.findings.add(Code::index_header_crc, ctx.place,
                     fmt::format("stored {:#010x}, computed {:#010x}", h.crc_stored, h.crc_computed));
    auto fixes = crc_corrections(*file.sub(0, l.header_size));
    // Accept a unique correction that leaves a header of the same version.
    std::vector<BitCorrection> good;
    for (auto& fx : fixes) {
      auto fixed = ix::decode_header(ByteView(fx.corrected));
      if (fixed && fixed->layout == h.layout && fixed->crc_ok()) good.push_back(std::move(fx));
    }
    if (good.size() == 1) {
      auto fixed = ix::decode_header(ByteView(good[0].corrected));
      h = *fixed;
      out.header_integrity = Integrity::corrected;
      out.header_flipped_bits = good[0].bits;
      out.findings.add(Code::index_header_corrected, ctx.place,
                       fmt::format("flipped {}; CRC now {:#010x}", bits_text(l.header, good[0].bits),
                                   h.crc_stored));
    } else {
      out.header_integrity = Integrity::damaged;
      out.findings.add(Code::index_header_unproven, ctx.place,
                       good.empty() ? std::string("no one- or two-bit change makes the CRC hold")
                                    : fmt::format("{} different corrections fit", good.size()));
    }
  } else {
    out.header_integrity = h.has_crc ? Integrity::crc_ok : Integrity::range_only;
  }
  auto so = h.values.get_or(HeaderField::start_offset, 0);
  auto rs = h.values.get_or(HeaderField::record_size, 0);
  if (so != l.header_size)
    out.findings.add(Code::index_start_offset, ctx.place,
                     fmt::format("stated {}, version {} header is {} bytes; read with {}", so,
                                 l.minor, l.header_size, l.header_size));
  if (rs != l.record_size)
    out.findings.add(Code::index_record_size, ctx.place,
                     fmt::format("stated {}, version {} records are {} bytes; read with {}", rs,
                                 l.minor, l.record_size, l.record_size));
  if (auto fmtv = h.values.get(HeaderField::format); fmtv && *fmtv != 0)
    out.findings.add(Code::index_format_nonzero, ctx.place, fmt::format("format {}", *fmtv));
  if (auto uv = h.values.get(HeaderField::uidvalidity); uv && *uv == 0)
    out.findings.add(Code::index_uidvalidity_zero, ctx.place, {});
  if (auto opt = h.values.get(HeaderField::options)) {
    auto bad = static_cast<std::uint32_t>(*opt) & ~allowed_options(l.minor);
    if (bad)
      out.findings.add(Code::index_options_bits, ctx.place,
                       fmt::format("options {:#010x}, unknown bits {:#010x}", *opt, bad));
  }
  if (ctx.cache) {
    auto gen = spool::cache::generation(*ctx.cache);
    auto mine = h.values.get(HeaderField::generation_no);
    if (gen && mine && *gen != *mine)
      out.findings.add(Code::index_cache_generation, ctx.place,
                       fmt::format("index {}, cache {}", *mine, *gen));
  }
}

// Counters in the header against what the (intact) records say.
void check_counters(const IndexContext& ctx, IndexCheck& out) {
  const auto& h = out.contents->header;
  const auto minor = h.minor;
  std::uint64_t exists = 0, deleted = 0, answered = 0, flagged = 0, quota = 0;
  bool all_intact = true;
  for (const auto& v : out.records) {
    if (v.record.past_num_records) continue;
    if (v.integrity == Integrity::damaged) all_intact = false;
    auto f = static_cast<std::uint32_t>(v.record.values.get_or(RecordField::system_flags, 0));
    if (minor >= 12 && (f & ix::kFlagExpunged)) continue;
    ++exists;
    deleted += (f >> 2) & 1u;
    answered += f & 1u;
    flagged += (f >> 1) & 1u;
    quota += v.record.values.get_or(RecordField::size, 0);
  }
  auto num = h.values.get_or(HeaderField::num_records, 0);
  if (auto ex = h.values.get(HeaderField::exists); ex && *ex > num)
    out.findings.add(Code::index_exists, ctx.place, fmt::format("exists {} > num_records {}", *ex, num));
  if (!all_intact || out.contents->records_missing > 0) return;  // counts would be guesses
  auto cmp = [&](HeaderField f, std::uint64_t computed) {
    auto stored = h.values.get(f);
    if (stored && *stored != computed)
      out.findings.add(Code::index_counter, ctx.place,
                       fmt::format("{}: stored {}, records give {}", ix::name(f), *stored, computed));
  };
  cmp(minor >= 12 ? HeaderField::exists : HeaderField::num_records, exists);
  cmp(HeaderField::deleted, deleted);
  cmp(HeaderField::answered, answered);
  cmp(HeaderField::flagged, flagged);
  cmp(HeaderField::quota_mailbox_used, quota);
}

// For an index whose header is unreadable: the CRC-bearing layout under which
// the most records (at least 1) pass their CRC, stepping from the table's
// header size. nullptr when none does.
const Layout* infer_layout(ByteView file) {
  const Layout* best = nullptr;
  std::size_t best_ok = 0;
  for (const auto& l : ix::all_layouts()) {
    if (!l.has_crc || !l.released) continue;
    std::size_t ok = 0;
    for (std::uint64_t off = l.header_size; off + l.record_size <= file.size();
         off += l.record_size) {
      auto rec = *file.sub(static_cast<std::size_t>(off), l.record_size);
      auto stored = rec.be32(l.record_size - 4u);
      auto uid = rec.be32(0);
      if (stored && uid && *uid != 0 &&
          *stored == ix::crc32_of(*rec.sub(0, l.record_size - 4u)))
        ++ok;
    }
    if (ok > best_ok) {
      best_ok = ok;
      best = &l;
    }
  }
  return best;
}

bool all_zero(ByteView b) {
  return std::all_of(b.span().begin(), b.span().end(),
                     [](std::byte x) { return x == std::byte{0}; });
}

// Reads the file as records of layout `l` (at header_size + i*record_size)
// and counts what speaks for it: uids non-zero and strictly ascending (only
// distinct in an unsorted cyrus.expunge), system flags within the version's
// bits, header_size <= size, internaldate and last_updated plausible; and of
// those records, how many state the size of the "<uid>." file present.
LayoutEvidence weigh_layout(ByteView file, const Layout& l, const IndexContext& ctx) {
  LayoutEvidence e;
  e.minor = l.minor;
  if (file.size() < l.header_size) return e;
  const std::uint64_t body = file.size() - l.header_size;
  e.records = body / l.record_size;
  e.whole = body % l.record_size == 0;
  std::uint32_t prev = 0;
  std::set<std::uint32_t> seen;  // unsorted only
  for (std::uint64_t i = 0; i < e.records; ++i) {
    const std::uint64_t off = l.header_size + i * l.record_size;
    auto bytes = *file.sub(static_cast<std::size_t>(off), l.record_size);
    if (all_zero(bytes)) continue;
    ++e.nonzero;
    Record r = ix::decode_record(l, bytes, static_cast<std::uint32_t>(i + 1), off);
    if (r.has_crc && r.crc_ok()) ++e.crc_ok;
    const std::uint32_t uid = r.uid();
    if (uid == 0 || (ctx.unsorted ? seen.count(uid) != 0 : uid <= prev)) continue;
    const auto size = r.values.get_or(RecordField::size, 0);
    const auto flags = static_cast<std::uint32_t>(r.values.get_or(RecordField::system_flags, 0));
    if (r.values.get_or(RecordField::header_size, 0) > size) continue;
    if (flags & ~allowed_system_flags(l.minor)) continue;
    bool dates = true;
    for (auto f : {RecordField::internaldate, RecordField::last_updated})
      if (auto t = time_of(l, r, f); t && !plausible_time(*t)) dates = false;
    if (!dates) continue;
    ++e.consistent;
    if (ctx.unsorted)
      seen.insert(uid);
    else
      prev = uid;
    if (auto it = ctx.file_sizes.find(uid); it != ctx.file_sizes.end() && it->second == size)
      ++e.matched;
  }
  return e;
}

// Candidates in rank order: more records matching their message files, then
// a file that holds a whole number of records, then (only to keep the order
// deterministic; never enough to accept) more consistent records, lower minor.
bool ranks_above(const LayoutEvidence& a, const LayoutEvidence& b) {
  return std::tie(a.matched, a.whole) > std::tie(b.matched, b.whole);
}
bool sorts_before(const LayoutEvidence& a, const LayoutEvidence& b) {
  if (ranks_above(a, b) || ranks_above(b, a)) return ranks_above(a, b);
  return a.consistent != b.consistent ? a.consistent > b.consistent : a.minor < b.minor;
}

std::string evidence_text(const LayoutEvidence& e) {
  const Layout* l = ix::layout_for(e.minor);
  return fmt::format(
      "minor version {} ({}-byte records after a {}-byte header): {} of {} records match the size "
      "of their message file, {} have ascending uids and plausible flags and dates{}{}",
      e.minor, l ? l->record_size : 0, l ? l->header_size : 0, e.matched, e.nonzero, e.consistent,
      e.crc_ok ? fmt::format(", {} pass the record CRC", e.crc_ok) : std::string(),
      e.whole ? ", the file holds a whole number of records"
              : ", the file does not hold a whole number of records");
}

// For an index whose header is destroyed and whose records no v12+ layout's
// CRCs explain: the v3-v11 layout the records and the message files clearly
// point to. Accepted only when it is the unique best by (matched, whole) and
// more than half of its non-zero records match a message file; otherwise
// nullptr (nothing is read). `evidence` gets every candidate, best first.
const Layout* infer_layout_from_files(ByteView file, const IndexContext& ctx,
                                      std::vector<LayoutEvidence>& evidence) {
  for (const auto& l : ix::all_layouts())
    if (l.minor < 12) evidence.push_back(weigh_layout(file, l, ctx));
  std::sort(evidence.begin(), evidence.end(), sorts_before);
  if (evidence.empty()) return nullptr;
  const auto& best = evidence[0];
  const bool unique = evidence.size() < 2 || ranks_above(best, evidence[1]);
  const bool most = best.matched > 0 && best.matched * 2 > best.nonzero;
  return unique && most ? ix::layout_for(best.minor) : nullptr;
}

// Why no layout was accepted, from the evidence (best first).
std::string not_inferred_text(const IndexContext& ctx, const std::vector<LayoutEvidence>& ev) {
  std::string why;
  if (ev.empty() || ev[0].matched == 0)
    why = ctx.file_sizes.empty()
              ? "no message file to compare the records with"
              : fmt::format("no candidate's records match any of the {} message files",
                            ctx.file_sizes.size());
  else if (ev.size() > 1 && !ranks_above(ev[0], ev[1]))
    why = "two candidates fit equally well";
  else
    why = fmt::format("the best candidate matches only {} of its {} records", ev[0].matched,
                      ev[0].nonzero);
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < ev.size() && i < 3; ++i) parts.push_back(evidence_text(ev[i]));
  return fmt::format("{}; best candidates: {}", why, fmt::join(parts, "; "));
}

}  // namespace

std::string_view to_string(LayoutSource s) {
  switch (s) {
    case LayoutSource::header: return "header";
    case LayoutSource::record_crcs: return "record-crcs";
    case LayoutSource::file_sizes: return "file-sizes";
    case LayoutSource::none: return "none";
  }
  return "none";
}

std::string_view to_string(Integrity i) {
  switch (i) {
    case Integrity::crc_ok: return "crc-ok";
    case Integrity::corrected: return "corrected";
    case Integrity::range_only: return "range-checked";
    case Integrity::damaged: return "damaged";
  }
  return "damaged";
}

IndexCheck check_index(ByteView file, const IndexContext& ctx) {
  IndexCheck out;
  bool inferred = false;
  auto hdr = ix::decode_header(file);
  if (!hdr) {
    Finding f = hdr.problem();
    f.place = ctx.place;
    out.findings.add(std::move(f));
    out.layout_source = LayoutSource::none;
    return out;
  }
  if (!hdr->layout) {
    out.findings.add(Code::index_unknown_version, ctx.place,
                     fmt::format("minor version {}", hdr->minor));
    // The header is destroyed (or from an unknown build): infer the layout
    // from the records themselves, by the one whose record CRCs hold.
    const Layout* best = infer_layout(file);
    if (best) {
      // Versions that share this record layout cannot be told apart by it.
      std::uint32_t last = best->minor;
      for (const auto& l : ix::all_layouts())
        if (l.minor > last && l.record_size == best->record_size &&
            l.header_size == best->header_size && l.record.data() == best->record.data())
          last = l.minor;
      out.layout_source = LayoutSource::record_crcs;
      out.findings.add(
          Code::index_layout_inferred, ctx.place,
          fmt::format("records read with the layout of minor version {} "
                      "({}-byte records after a {}-byte header), whose record CRCs hold",
                      last == best->minor ? fmt::format("{}", last)
                                          : fmt::format("{}-{}", best->minor, last),
                      best->record_size, best->header_size));
    } else {
      // No CRC to go by (v3-v11): the records against the message files.
      best = infer_layout_from_files(file, ctx, out.layout_evidence);
      if (!best) {
        out.layout_source = LayoutSource::none;
        out.findings.add(Code::index_layout_not_inferred, ctx.place,
                         not_inferred_text(ctx, out.layout_evidence));
        return out;
      }
      out.layout_source = LayoutSource::file_sizes;
      const auto& ev = out.layout_evidence;
      out.findings.add(
          Code::index_layout_inferred_from_files, ctx.place,
          fmt::format("records read with the layout of {}; {} message files in the mailbox{}; "
                      "no header value is used and no record is better than range-checked",
                      evidence_text(ev[0]), ctx.file_sizes.size(),
                      ev.size() > 1 ? fmt::format("; next best: {}", evidence_text(ev[1]))
                                    : std::string()));
    }
    hdr = Result<ix::Header>(ix::decode_header(file).value());
    hdr->layout = best;
    hdr->minor = best->minor;
    hdr->values = {};
    inferred = true;
  }
  const Layout& l = *hdr->layout;
  if (file.size() < l.header_size) {
    out.findings.add(Code::spool_index_short, ctx.place,
                     fmt::format("{} bytes, version {} header needs {}", file.size(), l.minor,
                                 l.header_size));
    return out;
  }
  out.contents = ix::IndexContents{};
  out.contents->header = *hdr;
  if (inferred)
    out.header_integrity = Integrity::damaged;
  else
    check_header(file, ctx, out);
  const auto& h = out.contents->header;
  const ix::Header* hp = out.header_integrity == Integrity::damaged ? nullptr : &h;
  // Never let a corrupt count drive the work: at most what the file can hold.
  std::uint64_t fits = (file.size() - l.header_size) / l.record_size;
  auto num = inferred ? static_cast<std::uint32_t>(fits)
                      : static_cast<std::uint32_t>(h.values.get_or(HeaderField::num_records, 0));
  // Read once and kept once: the verdicts below are made from the records
  // in out.contents (no working copy of every record), and out.records is
  // sized to the records actually read, never to a stated count.
  out.contents = ix::read_records(file, h, l, num);
  const ix::IndexContents& contents = *out.contents;
  out.records.reserve(contents.records.size());
  if (contents.records_missing > 0)
    out.findings.add(Code::index_truncated, ctx.place,
                     fmt::format("header counts {} records, the file holds {} whole ones{}", num,
                                 fits,
                                 contents.partial_record_bytes
                                     ? fmt::format(" and {} bytes of the next",
                                                   contents.partial_record_bytes)
                                     : std::string()));
  if (contents.trailing_records > 0)
    out.findings.add(Code::index_trailing_records, ctx.place,
                     fmt::format("{} records past num_records {}", contents.trailing_records, num));

  // Under a layout inferred from the records themselves, nothing is better
  // than range-checked: even a v11 CRC that holds only shows the bytes are
  // a record, not that they were read with the right layout.
  const bool by_files = out.layout_source == LayoutSource::file_sizes;
  std::uint32_t prev_uid = 0;
  for (const Record& r : contents.records) {
    RecordVerdict v;
    v.record = r;
    if (r.has_crc && !r.crc_ok()) {
      out.findings.add(Code::record_crc, place_of(ctx, r),
                       fmt::format("stored {:#010x}, computed {:#010x}", r.crc_stored,
                                   r.crc_computed));
      auto unit = *file.sub(static_cast<std::size_t>(r.file_offset), l.record_size);
      for (auto& fx : crc_corrections(unit)) {
        Record c = ix::decode_record(l, ByteView(fx.corrected), r.recno, r.file_offset);
        c.past_num_records = r.past_num_records;
        if (range_checks(l, hp, c, ctx, nullptr, by_files) &&
            (ctx.unsorted || c.uid() > prev_uid)) {
          v.candidates.push_back(c);
          v.flipped_bits = fx.bits;
        }
      }
      if (v.candidates.size() == 1) {
        // Proven by CRC + range checks; the GUID proof is the caller's.
        v.record = v.candidates[0];
        v.integrity = Integrity::corrected;
        out.findings.add(Code::record_corrected, place_of(ctx, v.record),
                         fmt::format("flipped {}; fields now pass every range check",
                                     bits_text(l.record, v.flipped_bits)));
      } else {
        v.integrity = Integrity::damaged;
        v.flipped_bits.clear();
        out.findings.add(Code::record_unproven, place_of(ctx, r),
                         v.candidates.empty()
                             ? std::string("no one- or two-bit change makes the CRC hold and "
                                           "passes the range checks")
                             : fmt::format("{} different corrections fit", v.candidates.size()));
        // Report what range checks still say of the stored values.
        v.range_ok = range_checks(l, hp, r, ctx, &out.findings, by_files);
      }
    } else {
      v.integrity = r.has_crc ? Integrity::crc_ok : Integrity::range_only;
      v.range_ok = range_checks(l, hp, r, ctx, &out.findings, by_files);
      if (!v.range_ok) v.integrity = Integrity::damaged;
    }
    if (by_files && (v.integrity == Integrity::crc_ok || v.integrity == Integrity::corrected))
      v.integrity = Integrity::range_only;
    const Record& cur = v.record;
    if (!ctx.unsorted && cur.uid() != 0 && cur.uid() <= prev_uid &&
        v.integrity != Integrity::damaged) {
      out.findings.add(Code::record_uid_order, place_of(ctx, cur),
                       fmt::format("uid {} after uid {}", cur.uid(), prev_uid));
      v.integrity = Integrity::damaged;
    }
    if (v.integrity != Integrity::damaged) {
      prev_uid = std::max(prev_uid, cur.uid());
      check_cache_crc(cur, ctx, out.findings);
      if (ctx.named_flags) {
        for (unsigned bit = 0; bit < 128; ++bit)
          if ((cur.user_flags[bit / 32] >> (bit % 32)) & 1u)
            if (!(*ctx.named_flags)[bit])
              out.findings.add(Code::record_user_flag_unnamed, place_of(ctx, cur),
                               fmt::format("user flag bit {}", bit));
      }
    }
    out.records.push_back(std::move(v));
  }
  check_counters(ctx, out);
  // Kept once: every verdict holds its record (memory per record, issue 6).
  out.records_read = out.contents->records.size();
  out.contents->records.clear();
  out.contents->records.shrink_to_fit();
  return out;
}

}  // namespace ss::validate
