// salvage/: the SHA-1 of many files' (or byte runs') bytes, read in disk
// order (fs::read_files). Used where bytes found without a name are matched
// to records by GUID: the lost-file search and carving.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "core/sha1.hpp"
#include "fs/bulk_read.hpp"

namespace ss::salvage {

struct Hashed {
  std::optional<Sha1> sha1;      // nothing when its bytes could not all be read
  std::vector<std::byte> head;   // its first bytes (as many as asked for)
};

// The SHA-1 of each job, and the first keep_head[j] bytes of job j (none
// when keep_head is empty); the reading is added to `stats`.
std::vector<Hashed> hash_files(fs::Filesystem& f, std::span<const fs::ReadJob> jobs,
                               const fs::BulkReadOptions& reading, fs::BulkReadStats& stats,
                               std::span<const std::size_t> keep_head = {});

}  // namespace ss::salvage
