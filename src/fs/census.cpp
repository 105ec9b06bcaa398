#include "fs/census.hpp"

namespace ss::fs {

InodeCensus take_census(Filesystem& f, const std::function<bool(const InodeInfo&)>& want_file) {
  InodeCensus c;
  c.inodes = f.scan_inodes(
      [&](const InodeInfo& i) { return i.kind == NodeKind::directory ? i.in_use() : want_file(i); },
      c.skipped_blocks);
  for (const auto& i : c.inodes)
    if (i.kind == NodeKind::directory)
      if (auto entries = f.list(i.id))
        for (const auto& e : *entries) c.named_by.emplace(e.id, i.id);
  return c;
}

}  // namespace ss::fs
