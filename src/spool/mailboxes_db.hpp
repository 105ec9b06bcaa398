// mailboxes.db: just enough to list mailboxes (name, type, uniqueid,
// partition) from a raw file, without Cyrus. formats/mailboxes-db.md; fact
// sheet §5.
//
// Backends, detected by magic: twoskip (CRC-checked), skiplist (no CRCs),
// flat text. Others (twom, zeroskip, lmdb, berkeley) give
// spool.mailboxes-db-unsupported.
//
// Which records count (the "live set"):
//  - twoskip: the level-0 chain walked from the DUMMY at offset 64, taking
//    at each record the larger of ptr[0]/ptr[1] that lies below the header's
//    current_size, exactly as Cyrus reads a clean file; DELETE records in
//    the chain are stepped over. If the chain is broken (bad CRC, pointer to
//    nowhere, loop) or the header is bad, the file is instead replayed
//    linearly: committed transactions in file order, last value per key
//    wins, and a DELETE removes the greatest live key below the key of the
//    record its pointer names (delete_here points it at the successor; the
//    fact sheet notes this is UNSURE). Records with a bad head CRC are skipped
//    and counted; 8-byte " BLANK\x07\xa0" fillers are skipped.
//  - skiplist: INORDER records before logstart, then ADD/DELETE replayed per
//    COMMIT; records after the last COMMIT are ignored. A record that cannot
//    be parsed ends the scan (no CRCs to resynchronise on).
//  - flat: every "key TAB value" line (0xFF escapes undone).
// Entries: 3.6+ keys "N"+dbname (0x1F → '.', 0x1D → '!'); 2.x–3.4 keys are
// the internal name. "$"-keys, "I"/"A"/"J"-keys (3.6+) are skipped.
// Values: dlist "%(T .. I .. P ..)" (2.5+) or text "mbtype partition acl"
// (2.x; mbtype bits mapped to letters r z n m d).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <optional>

#include "core/bytes.hpp"
#include "core/problem.hpp"
#include "spool/cyrusdb_raw.hpp"

namespace ss::spool {

enum class DbBackend { twoskip, skiplist, flat, twom, unknown };
std::string_view to_string(DbBackend b);

DbBackend detect_db_backend(ByteView bytes);

// Any cyrusdb file (mailboxes.db, seen dbs, ...): the backend detected and
// its records, or, when the backend cannot be read, why (`unsupported`).
struct AnyCyrusDb {
  DbBackend backend = DbBackend::unknown;
  std::optional<cyrusdb::RawDb> raw;
  std::string unsupported;
};
AnyCyrusDb read_any_cyrusdb(ByteView bytes, std::string_view place);

struct MboxDbEntry {
  std::string name;      // internal name
  std::string type;      // type letters (3.6+: "e", "el", "ed"; 2.x mapped)
  std::string uniqueid;  // empty before 2.5
  std::string partition;
  std::string server;        // murder: remote server
  std::uint64_t offset = 0;  // offset of the record in the file
};

struct MailboxesDb {
  DbBackend backend = DbBackend::unknown;
  std::vector<MboxDbEntry> entries;  // sorted by name, one per name
  std::uint64_t records = 0;         // records read (all types)
  std::uint64_t bad_records = 0;     // damaged records / regions skipped
  std::uint64_t skipped_keys = 0;    // keys that are not mailbox entries
  bool replayed = false;             // twoskip: chain broken, linear replay used
  Findings findings;

  const MboxDbEntry* find_by_name(std::string_view name) const;
  // Prefers an entry without the 'd' (tombstone) type letter.
  const MboxDbEntry* find_by_uniqueid(std::string_view uniqueid) const;
};

// `place` names the file for findings. Never throws; damage is reported as
// spool.mailboxes-db-damaged with the offset.
MailboxesDb read_mailboxes_db(ByteView bytes, std::string_view place);

}  // namespace ss::spool
