// salvage/: mailbox directories and cyrus.* files that lost their names.
//
// When a directory block is destroyed, what it named loses its name: a
// whole mailbox directory (its parent's block was lost) or the mailbox's own
// files (its block was lost), cyrus.header and cyrus.index among them. They
// stay in use with no directory naming them, or e2fsck moves them to
// lost+found as #inode. Without them no record says what the messages are.
// They are recognised by content and given back to their mailbox by proof,
// never by guess:
//  - a directory or a cyrus.header: the uniqueid in the header is the
//    mailbox's (from mailboxes.db, or its path in the uuid layout);
//  - a cyrus.index (v12+): its header CRC holds, and the CRC-32 of the
//    mailbox's cyrus.header it records (header_file_crc) is that of the
//    mailbox's header — the one in place or the one just given back;
//  - a cyrus.cache, with the index given back: it begins with the index's
//    generation number, and the cache records its first records point to
//    have the CRC-32 those records keep (cache_crc).
// The result is a list of names to add in memory (fs/overlay.hpp); the
// messages themselves are then found by GUID like any other lost file
// (salvage/lost_files.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "fs/filesystem.hpp"
#include "spool/discovery.hpp"

namespace ss::salvage {

struct Adoption {
  std::size_t fs_index = 0;
  fs::NodeId dir = 0;   // the directory the name is given back in
  fs::Entry entry;      // the name, and the inode found in lost+found
  std::string mailbox;  // internal name
  std::string why;      // the proof, for the finding spool.name-restored
};

std::vector<Adoption> find_lost_mailbox_files(const std::vector<fs::Filesystem*>& fss,
                                              const spool::SpoolDiscovery& disc);

}  // namespace ss::salvage
