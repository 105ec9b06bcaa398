// fs/: a filesystem seen with a few directory entries added: the names a
// damaged directory lost, given back in memory when what they named has been
// found elsewhere (a mailbox directory or its cyrus.* files in lost+found).
// Nothing is written; every other call goes to the filesystem beneath.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "fs/filesystem.hpp"

namespace ss::fs {

// `base` must outlive the overlay. `extra`: directory -> entries listed after
// its own (an added name that the directory already has is not added).
std::unique_ptr<Filesystem> with_entries(Filesystem& base, std::map<NodeId, std::vector<Entry>> extra);

}  // namespace ss::fs
