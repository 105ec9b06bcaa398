// salvage/: where the files of records whose file is missing may still be.
// A record whose GUID is intact but whose file is not in its mailbox is
// looked for among every regular-file inode of its filesystem of the
// record's size — in lost+found, with no name (orphan), or deleted with its
// block map intact. Each is read in disk order and hashed; one whose SHA-1
// is such a GUID holds that message (the proof: the GUID is the SHA-1 of the
// message file). Used by salvage (status rehomed) and check (what salvage
// would re-home).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "fs/bulk_read.hpp"
#include "fs/filesystem.hpp"
#include "spool/discovery.hpp"
#include "validate/mailbox_check.hpp"

namespace ss::salvage {

// What looking for lost mail did.
struct RehomeStats {
  std::uint64_t wanted = 0;          // records with a GUID whose file is missing
  std::uint64_t candidates = 0;      // inodes of a wanted size, read and hashed
  std::uint64_t found = 0;           // GUIDs found among them
  std::uint64_t inode_table_blocks_skipped = 0;
  fs::BulkReadStats reads;           // the candidates' bytes, apart from the salvage's
};

struct LostFile {
  fs::NodeId node = 0;
  std::uint64_t size = 0;
  std::string where;  // "found in lost+found as inode 231; its SHA-1 is the record's GUID"
};

struct LostFiles {
  std::map<std::pair<std::size_t, std::string>, LostFile> found;  // (filesystem, GUID hex) -> file
  RehomeStats stats;
};

// The GUID (hex) of a message whose record is intact but whose file is
// missing; "" for any other.
std::string missing_guid(const validate::MailboxCheck& c, const validate::MessageVerdict& mv);

// Looks in every filesystem for the files of the selected mailboxes'
// records that lack one.
LostFiles find_lost_files(const std::vector<fs::Filesystem*>& fss, const spool::SpoolDiscovery& disc,
                          const std::function<bool(const spool::Mailbox&)>& selected,
                          const fs::BulkReadOptions& reading);

}  // namespace ss::salvage
