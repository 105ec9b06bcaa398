#include "fs/filesystem.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace ss::fs {

std::string_view to_string(NodeKind k) {
  switch (k) {
    case NodeKind::file: return "file";
    case NodeKind::directory: return "directory";
    case NodeKind::symlink: return "symlink";
    case NodeKind::other: return "other";
  }
  return "other";
}

Result<NodeId> Filesystem::lookup(std::string_view path) {
  NodeId cur = root();
  std::string walked;
  std::size_t pos = 0;
  while (pos < path.size()) {
    std::size_t slash = path.find('/', pos);
    std::string_view comp =
        path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    pos = slash == std::string_view::npos ? path.size() : slash + 1;
    if (comp.empty() || comp == ".") continue;
    walked += '/';
    walked += comp;
    if (comp == "..") return Finding{Code::fs_path_not_found, walked, "'..' is not followed"};
    auto entries = list(cur);
    if (!entries) return entries.problem();
    const Entry* hit = nullptr;
    for (const auto& e : *entries)
      if (e.name == comp) {
        hit = &e;
        break;
      }
    if (!hit) return Finding{Code::fs_path_not_found, walked, {}};
    if (hit->kind == NodeKind::symlink)
      return Finding{Code::fs_symlink_not_followed, walked, {}};
    cur = hit->id;
  }
  return cur;
}

Result<std::vector<std::byte>> Filesystem::read_all(NodeId id, std::uint64_t limit) {
  auto node = stat(id);
  if (!node) return node.problem();
  if (node->size > limit)
    return Finding{Code::fs_file_unreadable, fmt::format("inode {}", node->inode),
                   fmt::format("file is {} bytes, more than the {} this read allows", node->size,
                               limit)};
  return read(id, 0, node->size);
}

Result<std::unique_ptr<Filesystem>> open_evidence(const std::string& path,
                                                  const evidence::DdrescueMap* map) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    Code c = (errno == ENOENT || errno == ENOTDIR) ? Code::evidence_not_found
                                                   : Code::evidence_unreadable;
    return Finding{c, path, std::strerror(errno)};
  }
  if (S_ISDIR(st.st_mode)) {
    if (map)
      return Finding{Code::evidence_map_invalid, path,
                     "a ddrescue map belongs to an image or a device, not a directory"};
    return open_tree(path);
  }
  auto src = evidence::open_image(path);
  if (!src) return src.problem();
  if (map) return open_ext(evidence::open_mapped(std::move(src).value(), *map));
  return open_ext(std::move(src).value());
}

}  // namespace ss::fs
