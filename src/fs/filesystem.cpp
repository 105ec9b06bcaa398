#include "fs/filesystem.hpp"
#include "evidence/volumes.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include <charconv>

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

namespace {

std::string volume_list(const evidence::VolumeScan& scan) {
  std::string s;
  for (const auto& v : scan.volumes)
    s += fmt::format("{}{}{}: {} at byte {}, {} bytes{}", s.empty() ? "" : "; ",
                     v.id.empty() ? "" : "@", v.id.empty() ? "(whole)" : v.id, v.what, v.offset,
                     v.size, v.content.empty() ? "" : ", " + v.content);
  return s.empty() ? "no volumes found" : s;
}

// Whether a filesystem's root looks like a Cyrus server's (a hint for
// choosing among several volumes, nothing more).
bool looks_like_cyrus(Filesystem& f) {
  for (const char* p : {"etc/imapd.conf", "var/spool/cyrus", "var/lib/cyrus", "imapd.conf"})
    if (f.lookup(p)) return true;
  return false;
}

Result<std::unique_ptr<Filesystem>> open_volume(std::shared_ptr<evidence::Source> src,
                                                const std::string& base,
                                                const evidence::Volume& v, bool replay_journal) {
  const std::string name = v.id.empty() ? fmt::format("{}@offset={}", base, v.offset)
                                        : fmt::format("{}@{}", base, v.id);
  return open_ext(evidence::open_slice(std::move(src), v.offset, v.size, name), replay_journal);
}

}  // namespace

Result<std::unique_ptr<Filesystem>> open_evidence(const std::string& path,
                                                  const evidence::DdrescueMap* map,
                                                  bool replay_journal) {
  std::string base = path, pick;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    // PATH@N / PATH@offset=BYTES (a file whose name has an '@' is taken whole first).
    const auto at = path.rfind('@');
    if (at != std::string::npos && at > 0 && ::stat(path.substr(0, at).c_str(), &st) == 0) {
      base = path.substr(0, at);
      pick = path.substr(at + 1);
    } else {
      Code c = (errno == ENOENT || errno == ENOTDIR) ? Code::evidence_not_found
                                                     : Code::evidence_unreadable;
      return Finding{c, path, std::strerror(errno)};
    }
  }
  if (S_ISDIR(st.st_mode)) {
    if (map)
      return Finding{Code::evidence_map_invalid, path,
                     "a ddrescue map belongs to an image or a device, not a directory"};
    if (!pick.empty())
      return Finding{Code::evidence_volume_ambiguous, path, "a directory has no volumes"};
    return open_tree(base);
  }
  auto opened = evidence::open_image(base);
  if (!opened) return opened.problem();
  std::shared_ptr<evidence::Source> src = std::move(opened).value();
  if (map) src = evidence::open_mapped(std::move(src), *map);
  if (pick.rfind("offset=", 0) == 0) {
    std::uint64_t off = 0;
    const std::string n = pick.substr(7);
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), off);
    if (n.empty() || ec != std::errc() || p != n.data() + n.size() || off >= src->size())
      return Finding{Code::evidence_volume_ambiguous, path,
                     fmt::format("not a byte offset inside the evidence ({} bytes)", src->size())};
    evidence::Volume v;
    v.offset = off;
    v.size = src->size() - off;
    return open_volume(src, base, v, replay_journal);
  }
  const auto scan = evidence::scan_volumes(base, *src);
  if (!pick.empty()) {
    for (const auto& v : scan.volumes)
      if (v.id == pick) {
        auto f = open_volume(src, base, v, replay_journal);
        if (f) (*f)->add_open_finding(Finding{Code::evidence_volume_chosen, path, v.what});
        return f;
      }
    return Finding{Code::evidence_volume_ambiguous, path,
                   fmt::format("no volume {}: {}", pick, volume_list(scan))};
  }
  // Not a whole disk: the filesystem starts at byte 0 (as before).
  const bool whole_disk = !scan.table.empty() ||
                          (scan.volumes.size() == 1 && scan.volumes[0].offset != 0);
  if (!whole_disk) {
    auto f = open_ext(std::move(src), replay_journal);
    if (!f && !scan.findings.empty())  // e.g. one member of a RAID5: say what it is
      return Finding{Code::fs_open_failed, path,
                     scan.findings.items().front().detail + "; " + f.problem().detail};
    return f;
  }
  std::vector<std::pair<const evidence::Volume*, std::unique_ptr<Filesystem>>> candidates;
  for (const auto& v : scan.volumes)
    if (v.usable)
      if (auto f = open_volume(src, base, v, replay_journal)) candidates.emplace_back(&v, std::move(f).value());
  std::size_t cyrus = 0, chosen = 0;
  for (std::size_t i = 0; i < candidates.size(); ++i)
    if (looks_like_cyrus(*candidates[i].second)) ++cyrus, chosen = i;
  if (candidates.size() == 1 || cyrus == 1) {
    auto& [v, f] = candidates[candidates.size() == 1 ? 0 : chosen];
    f->add_open_finding(Finding{
        Code::evidence_volume_chosen, path,
        fmt::format("{}{} (of {} volumes)", v->what,
                    candidates.size() > 1 ? ", the one that looks like a Cyrus server's" : "",
                    scan.volumes.size())});
    for (const auto& x : scan.findings.items()) f->add_open_finding(x);
    return std::move(f);
  }
  return Finding{Code::evidence_volume_ambiguous, path,
                 fmt::format("{} ext2/3/4 volumes{}: {}", candidates.size(),
                             candidates.empty() ? "" : " and not exactly one like a Cyrus server's",
                             volume_list(scan))};
}

}  // namespace ss::fs
