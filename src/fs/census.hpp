// fs/: which inodes a filesystem's directories name. From the inode tables
// (Filesystem::scan_inodes) and a listing of every directory in use: an
// inode in use that no directory names is an orphan — what a destroyed
// directory block leaves behind when no fsck has run (and fsck would only
// move it to lost+found).
#pragma once

#include <functional>
#include <map>
#include <vector>

#include "fs/filesystem.hpp"

namespace ss::fs {

struct InodeCensus {
  std::vector<InodeInfo> inodes;      // every directory in use, and the files `want` accepts
  std::map<NodeId, NodeId> named_by;  // inode -> a directory that names it
  std::uint64_t skipped_blocks = 0;   // unreadable inode-table blocks
  bool orphan(const InodeInfo& i) const { return i.in_use() && !named_by.count(i.id); }
};

// `want_file` chooses the regular files kept (directories in use are always
// kept: they are listed). Directories that cannot be listed name nothing.
InodeCensus take_census(Filesystem& f, const std::function<bool(const InodeInfo&)>& want_file);

}  // namespace ss::fs
