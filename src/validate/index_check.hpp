// validate/ index checks: one mailbox's cyrus.index judged without trusting it.
//
// Pass "header"  checks: version known, stated sizes against the table, file
//                long enough, CRC (v12+, with proven one/two-bit correction),
//                counters, uidvalidity, options bits, format, cache
//                generation (cyrus.header's CRC: header_check.hpp).
//                needs:  the index bytes, and what the mailbox's other files
//                say (IndexContext).
// Pass "records" checks: CRC (v12+, with proven correction), uid > 0,
//                increasing, <= last_uid, modseq <= highestmodseq, header_size
//                <= size, system flag bits for the version, user flag bits
//                named, times plausible, cache offset/version/CRC.
// produces:      findings (code, place, stored vs computed) and a verdict per
//                record that later passes (message files, salvage) build on.
// A record whose CRC fails is corrected only when exactly one correction of
// one or two bits exists AND the corrected record passes every range check
// (the GUID proof against the message file is the caller's: see
// mailbox_check). Nothing is ever written back.
// When the header is destroyed (no known minor version), the record layout
// is inferred: first from record CRCs (v12+); failing that, for the versions
// without a record CRC (v3-v11), from the records themselves against the
// mailbox's message files (IndexContext::file_sizes). Records read under an
// inferred layout without CRCs are at best range-checked.
#pragma once

#include <bitset>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/problem.hpp"
#include "fs/filesystem.hpp"
#include "spool/index_reader.hpp"

namespace ss::validate {

struct IndexContext {
  std::string place;                            // names the index file for findings
  std::optional<ByteView> cache;                // cyrus.cache bytes, when present
  std::optional<std::bitset<128>> named_flags;  // user-flag slots with a name in cyrus.header
  bool unsorted = false;  // 2.3 cyrus.expunge: records are in no uid order
  // Where the index file's bytes lie in the evidence (empty for a directory
  // tree): findings then give a record's image offset too.
  std::vector<fs::FileRun> runs;
  // Sizes of the mailbox's "<uid>." message files, by uid (empty: none or
  // not known). The evidence for inferring the record layout of an index
  // whose header is destroyed and whose version has no record CRC.
  std::map<std::uint32_t, std::uint64_t> file_sizes;
};

// Where the record layout came from.
enum class LayoutSource {
  header,       // the header's minor version
  record_crcs,  // header destroyed; the layout under which record CRCs hold (v12+)
  file_sizes,   // header destroyed; v3-v11 layout inferred from uid order and file sizes
  none,         // header destroyed and no layout could be inferred: no record read
};
std::string_view to_string(LayoutSource s);

// The evidence for one candidate layout when the header is destroyed and the
// layout is inferred from the records and the message files.
struct LayoutEvidence {
  std::uint32_t minor = 0;
  std::uint64_t records = 0;     // whole records the file holds under this layout
  std::uint64_t nonzero = 0;     // of them, not all zero bytes
  std::uint64_t consistent = 0;  // uid > 0 and ascending, flags, dates and header_size in range
  std::uint64_t matched = 0;     // consistent, and size == the size of the "<uid>." file
  std::uint64_t crc_ok = 0;      // record CRC holds (v11 only)
  bool whole = false;            // (file size - header size) % record size == 0
};

enum class Integrity {
  crc_ok,        // v12+: CRC holds
  corrected,     // v12+: CRC held after a unique, range-checked bit correction
  range_only,    // v<12 (or a layout inferred from file sizes): range checks pass
  damaged,       // CRC fails without a proven correction, or range checks fail
};
std::string_view to_string(Integrity i);

struct RecordVerdict {
  spool::index::Record record;              // as corrected when corrected
  Integrity integrity = Integrity::damaged;
  std::vector<std::uint32_t> flipped_bits;  // for corrected records
  // When correction needs the GUID proof: candidates that pass range checks
  // (each a corrected record); mailbox_check accepts one whose GUID matches.
  std::vector<spool::index::Record> candidates;
  bool range_ok = true;
  bool from_expunge = false;  // read from 2.3's cyrus.expunge, not cyrus.index
};

struct IndexCheck {
  // nullopt: unreadable. Its records are dropped once judged (each verdict
  // holds its record): only the header and the counts stay.
  std::optional<spool::index::IndexContents> contents;
  std::size_t records_read = 0;  // records the file held (contents->records before they went)
  LayoutSource layout_source = LayoutSource::header;
  // With LayoutSource::file_sizes or none: every candidate's evidence, best
  // first (empty otherwise).
  std::vector<LayoutEvidence> layout_evidence;
  Integrity header_integrity = Integrity::damaged;
  std::vector<std::uint32_t> header_flipped_bits;
  std::vector<RecordVerdict> records;
  Findings findings;
};

IndexCheck check_index(ByteView index_file, const IndexContext& ctx);

}  // namespace ss::validate
