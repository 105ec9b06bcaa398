// salvage/: where the files of records whose file is missing may still be.
// A record whose GUID is intact but whose file is not in its mailbox is
// looked for among every regular-file inode of its filesystem of the
// record's size — in lost+found, with no name (orphan), or deleted with its
// block map intact. Each is read in disk order and hashed; one whose SHA-1
// is such a GUID holds that message (the proof: the GUID is the SHA-1 of the
// message file). What no inode holds is then carved from the free blocks
// (salvage/carve.hpp). A record without a GUID is matched, unproven, by its
// size and the header fields its cache keeps. Used by salvage (status
// rehomed, carved or matched-unproven) and check (what salvage would do).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "fs/bulk_read.hpp"
#include "fs/filesystem.hpp"
#include "salvage/carve.hpp"
#include "spool/discovery.hpp"
#include "spool/message_header.hpp"
#include "validate/mailbox_check.hpp"

namespace ss::salvage {

// What looking for lost mail did.
struct RehomeStats {
  std::uint64_t wanted = 0;          // records with a GUID whose file is missing
  std::uint64_t candidates = 0;      // inodes of a wanted size, read and hashed
  std::uint64_t found = 0;           // GUIDs found among them
  std::uint64_t inode_table_blocks_skipped = 0;
  std::uint64_t copies_of_known = 0; // orphans whose SHA-1 is the GUID of a record found in place
  std::uint64_t not_mail = 0;        // orphans that do not begin like a message header
  fs::BulkReadStats reads;           // the candidates' bytes, apart from the salvage's
  CarveStats carve;                  // the free blocks searched for what is still missing
};

struct LostFile {
  fs::NodeId node = 0;                // the inode; 0 when carved
  std::uint64_t size = 0;
  std::vector<fs::FileRun> runs;      // where its bytes lie
  bool carved = false;                // from free blocks, not an inode
  std::string where;  // "found in lost+found as inode 231; its SHA-1 is the record's GUID"
  bool unproven = false;  // matched by size and header: the record has no GUID
};

// Mail with no name that matches no record: salvaged into OUT/unmatched/,
// never as proven.
struct UnmatchedFile {
  std::size_t fs_index = 0;
  fs::NodeId node = 0;
  std::uint64_t size = 0;
  std::vector<fs::FileRun> runs;
  std::string sha1;    // hex
  std::string where;   // "found in lost+found as inode 231"
  spool::HeaderSummary header;
  std::string detail;  // where, and what its header says
};

struct LostFiles {
  std::map<std::pair<std::size_t, std::string>, LostFile> found;  // (filesystem, GUID hex) -> file
  // Records without a GUID (index v9 and older): (filesystem, mailbox,
  // uid) -> the file whose size and header fields are the record's (its
  // cache envelope's Message-ID; else Date and Subject). Never proven.
  std::map<std::tuple<std::size_t, std::string, std::uint32_t>, LostFile> matched;
  std::vector<UnmatchedFile> unmatched;
  RehomeStats stats;
};

struct LostSearch {
  bool carve = true;  // search the free blocks for what no inode holds (false: --no-carve)
  fs::BulkReadOptions reading;
  // When set: false for a mailbox already checked in this run with every
  // record's file in place and every file claimed by a record. Its metadata
  // is then not read again to find what it lacks (check: a second pass
  // over every index and cache).
  std::function<bool(const spool::Mailbox&)> may_lack;
};

// The GUID (hex) of a message whose record is intact but whose file is
// missing; "" for any other.
std::string missing_guid(const validate::MailboxCheck& c, const validate::MessageVerdict& mv);

// Whether the message's record is intact but has no GUID to prove a file by
// (index v9 and older, or a zero GUID), and its file is missing.
bool missing_without_guid(const validate::MailboxCheck& c, const validate::MessageVerdict& mv);

// Looks in every filesystem for the files of the selected mailboxes'
// records that lack one. What stops part of the search (a block bitmap that
// cannot be read) is added to that filesystem's findings.
LostFiles find_lost_files(const std::vector<fs::Filesystem*>& fss, const spool::SpoolDiscovery& disc,
                          const std::function<bool(const spool::Mailbox&)>& selected,
                          const LostSearch& how);

}  // namespace ss::salvage
