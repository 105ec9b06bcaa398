#include "fs/census.hpp"

namespace ss::fs {

InodeCensus take_census(Filesystem& f, const std::function<bool(const InodeInfo&)>& want_file) {
  InodeCensus c;
  c.inodes = f.scan_inodes(
      [&](const InodeInfo& i) { return i.kind == NodeKind::directory ? i.in_use() : want_file(i); },
      c.skipped_blocks);
  // The root is a reserved inode, left out of the scan: listed first.
  std::vector<NodeId> dirs{f.root()};
  for (const auto& i : c.inodes)
    if (i.kind == NodeKind::directory && i.id != f.root()) dirs.push_back(i.id);
  for (NodeId d : dirs)
    if (auto entries = f.list(d))
      for (const auto& e : *entries) c.named_by.emplace(e.id, d);
  return c;
}

}  // namespace ss::fs
