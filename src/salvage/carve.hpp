// salvage/: carving lost messages out of the free blocks of a filesystem.
//
// When a message file is deleted, ext3 and ext4 clear its block map, but its
// bytes stay in the blocks until they are reused. A record whose file is
// missing still knows the message's size, where its header ends
// (header_size) and its GUID, the SHA-1 of the file: enough to find it with
// certainty. One sequential pass over the free blocks looks for blocks that
// begin like an RFC 5322 header; where one's header ends exactly where a
// wanted record's does, the record's `size` bytes are taken from there in
// the most likely block layout (the free blocks that follow, in order; on a
// filesystem without extents also with the indirect blocks ext2/3 put
// between the data blocks skipped) and hashed. Only a SHA-1 equal to the
// GUID makes a match: a guess that is wrong hashes to something else.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/problem.hpp"
#include "core/sha1.hpp"
#include "fs/bulk_read.hpp"
#include "fs/filesystem.hpp"

namespace ss::salvage {

// A record whose file is nowhere else.
struct CarveWanted {
  std::string guid;                // hex
  std::uint64_t size = 0;          // of the message file
  std::uint64_t header_size = 0;   // where its body starts; 0: unknown
};

struct CarvedFile {
  std::string guid;  // hex
  std::uint64_t size = 0;
  std::vector<fs::FileRun> runs;  // where its bytes lie in the evidence
  std::string where;              // "carved from free blocks at image bytes ..."
};

struct CarveStats {
  std::uint64_t wanted = 0;
  std::uint64_t free_bytes = 0;      // bytes of free blocks searched
  std::uint64_t header_starts = 0;   // free blocks that begin like a message header
  std::uint64_t candidates = 0;      // (start, record, layout) hashed
  std::uint64_t over_budget = 0;     // candidates left out: their bytes would exceed the budget
  std::uint64_t found = 0;
  fs::BulkReadStats scan;            // the pass over the free blocks
  fs::BulkReadStats hashed;          // the candidates' bytes
};

// Looks in the free blocks of `f` for the messages `wanted`. Problems (the
// block bitmap unreadable) go to `findings`; the search then finds nothing.
std::vector<CarvedFile> carve(fs::Filesystem& f, const std::vector<CarveWanted>& wanted,
                              const fs::BulkReadOptions& reading, CarveStats& stats,
                              Findings& findings);

// Whether `bytes` (the start of a block) begin like an RFC 5322 header: a
// field name of printable characters without a colon, then a colon.
bool looks_like_header_start(ByteView bytes);

}  // namespace ss::salvage
