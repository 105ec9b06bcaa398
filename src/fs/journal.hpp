// fs/: the ext3/4 journal (jbd2) of a filesystem that was not cleanly
// unmounted. The newest message files, directory entries and a grown
// cyrus.index may exist only in its committed transactions. They are
// replayed into an in-memory overlay of the evidence — never onto it: a read
// of a block a committed transaction holds returns the journal's copy (the
// newest, unless a later revoke record cancels it), every other read goes to
// the evidence as it stands. Internal journals only (an external journal
// device is a finding).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "evidence/source.hpp"
#include "fs/filesystem.hpp"

namespace ss::fs {

struct JournalCopy {
  std::uint64_t image_offset = 0;  // where the journal's copy of the block lies
  bool escaped = false;            // its first 4 bytes were the jbd2 magic (restore them)
};

struct JournalPlan {
  std::uint32_t block_size = 0;
  std::map<std::uint64_t, JournalCopy> blocks;  // filesystem block -> its newest committed copy
  std::uint64_t transactions = 0;               // committed ones found
  std::uint32_t first_sequence = 0, last_sequence = 0;
  std::uint64_t revoked = 0;                    // block copies a revoke record cancelled
  std::uint64_t uncommitted_blocks = 0;         // after the last commit: not replayed
  std::string features;                         // "64bit csum_v3 ..."
};

// Reads the journal (the file `journal_inode` of `fs`, whose journal blocks
// have the filesystem's block size). Problem: the journal's superblock is
// unreadable or not jbd2.
Result<JournalPlan> plan_journal_replay(Filesystem& fs, NodeId journal_inode,
                                        std::uint32_t block_size);

// The evidence with the plan's blocks read from the journal.
std::shared_ptr<evidence::Source> open_replayed(std::shared_ptr<evidence::Source> inner,
                                                JournalPlan plan);

}  // namespace ss::fs
