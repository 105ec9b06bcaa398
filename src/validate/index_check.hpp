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
#pragma once

#include <bitset>
#include <cstdint>
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
};

enum class Integrity {
  crc_ok,        // v12+: CRC holds
  corrected,     // v12+: CRC held after a unique, range-checked bit correction
  range_only,    // v<12: no CRC; range checks pass
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
  std::optional<spool::index::IndexContents> contents;  // nullopt: unreadable
  Integrity header_integrity = Integrity::damaged;
  std::vector<std::uint32_t> header_flipped_bits;
  std::vector<RecordVerdict> records;
  Findings findings;
};

IndexCheck check_index(ByteView index_file, const IndexContext& ctx);

}  // namespace ss::validate
