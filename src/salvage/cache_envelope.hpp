// salvage/: what a mailbox's cyrus.cache says of a message (its IMAP
// ENVELOPE), for records whose message is gone (the manifest's
// cache_envelope) or has no GUID to be proven by (matched-unproven).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "fs/filesystem.hpp"
#include "spool/discovery.hpp"
#include "spool/index_file.hpp"

namespace ss::salvage {

// The mailbox's cyrus.cache, read once (on first need) for all its records.
struct CacheBytes {
  bool tried = false;
  std::optional<std::vector<std::byte>> bytes;
};

// The ENVELOPE item of the record's cache entry; "" when there is none.
std::string envelope_of(fs::Filesystem& fs, const spool::Mailbox& m, const spool::index::Record& r,
                        CacheBytes& cache);

}  // namespace ss::salvage
