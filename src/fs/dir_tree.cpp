// A directory tree (a mounted or copied spool) as a Filesystem.
//
// Contract: every path is walked component by component from a descriptor of
// the root with openat(O_NOFOLLOW) / fstatat(AT_SYMLINK_NOFOLLOW), so a
// symlink inside the tree is reported as one (NodeKind::symlink) and is never
// traversed or read: nothing outside the tree can be reached through it.
// Only read-only opens (O_RDONLY | O_NOFOLLOW | O_CLOEXEC). NodeIds are given
// on first sight (root = 1) and name a path relative to the root.
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "fs/filesystem.hpp"

namespace ss::fs {
namespace {

constexpr std::size_t kReadChunk = 1 << 20;

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

NodeKind kind_of_mode(mode_t mode) {
  if (S_ISREG(mode)) return NodeKind::file;
  if (S_ISDIR(mode)) return NodeKind::directory;
  if (S_ISLNK(mode)) return NodeKind::symlink;
  return NodeKind::other;
}

class DirTree final : public Filesystem {
 public:
  DirTree(Fd root, FsInfo info) : root_(std::move(root)), info_(std::move(info)) {
    paths_.emplace_back();  // id 1: the root, ""
    ids_.emplace("", 1);
  }

  const FsInfo& info() const override { return info_; }
  const Findings& open_findings() const override { return findings_; }
  NodeId root() const override { return 1; }

  Result<Node> stat(NodeId id) override {
    auto path = path_of(id);
    if (!path) return path.problem();
    struct stat st {};
    if (auto bad = stat_path(*path, st)) return *bad;
    Node n;
    n.id = id;
    n.inode = st.st_ino;
    n.kind = kind_of_mode(st.st_mode);
    n.size = static_cast<std::uint64_t>(std::max<off_t>(st.st_size, 0));
    n.mode = st.st_mode;
    n.links = static_cast<std::uint32_t>(st.st_nlink);
    n.mtime = st.st_mtim.tv_sec;
    n.mtime_nsec = static_cast<std::uint32_t>(st.st_mtim.tv_nsec);
    return n;
  }

  // Entries sorted by name: readdir order of a copy says nothing about the
  // evidence, and sorting keeps runs deterministic.
  Result<std::vector<Entry>> list(NodeId dir) override {
    auto path = path_of(dir);
    if (!path) return path.problem();
    auto fd = open_path(*path, O_DIRECTORY, Code::fs_dir_unreadable);
    if (!fd) return fd.problem();
    DIR* d = ::fdopendir(fd->get());
    if (!d) return problem(Code::fs_dir_unreadable, *path, errno);
    fd->release();  // now owned by d
    struct DirCloser {
      DIR* d;
      ~DirCloser() { ::closedir(d); }
    } closer{d};
    struct Raw {
      std::string name;
      unsigned char type;
    };
    std::vector<Raw> raw;
    for (;;) {
      errno = 0;
      const dirent* de = ::readdir(d);
      if (!de) {
        if (errno != 0) return problem(Code::fs_dir_unreadable, *path, errno);
        break;
      }
      std::string_view name = de->d_name;
      if (name == "." || name == "..") continue;
      raw.push_back({std::string(name), de->d_type});
    }
    std::sort(raw.begin(), raw.end(), [](const Raw& a, const Raw& b) { return a.name < b.name; });
    std::vector<Entry> out;
    out.reserve(raw.size());
    for (auto& r : raw) {
      NodeKind kind = NodeKind::other;
      switch (r.type) {
        case DT_REG:
          kind = NodeKind::file;
          break;
        case DT_DIR:
          kind = NodeKind::directory;
          break;
        case DT_LNK:
          kind = NodeKind::symlink;
          break;
        case DT_UNKNOWN: {
          struct stat st {};
          if (::fstatat(::dirfd(d), r.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
            kind = kind_of_mode(st.st_mode);
          break;
        }
        default:
          break;
      }
      std::string child = path->empty() ? r.name : *path + "/" + r.name;
      out.push_back(Entry{std::move(r.name), id_of(child), kind});
    }
    return out;
  }

  Result<std::vector<std::byte>> read(NodeId id, std::uint64_t offset,
                                      std::uint64_t max_len) override {
    auto path = path_of(id);
    if (!path) return path.problem();
    // Look before opening: a FIFO or device node is never opened at all.
    struct stat before {};
    if (auto bad = stat_path(*path, before)) return *bad;
    if (S_ISLNK(before.st_mode))
      return Finding{Code::fs_symlink_not_followed, place(*path), "a symlink is never read"};
    if (!S_ISREG(before.st_mode))
      return Finding{
          Code::fs_file_unreadable, place(*path),
          fmt::format("not a regular file ({})", to_string(kind_of_mode(before.st_mode)))};
    auto fd = open_path(*path, O_NONBLOCK, Code::fs_file_unreadable);
    if (!fd) return fd.problem();
    struct stat st {};
    if (::fstat(fd->get(), &st) != 0) return problem(Code::fs_file_unreadable, *path, errno);
    if (!S_ISREG(st.st_mode) || st.st_ino != before.st_ino || st.st_dev != before.st_dev)
      return Finding{Code::fs_file_unreadable, place(*path), "the file changed while opening it"};

    std::vector<std::byte> out;
    std::uint64_t done = 0;
    while (done < max_len) {
      const std::uint64_t pos = offset + done;
      if (pos < offset || pos > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max()))
        break;
      const auto chunk =
          static_cast<std::size_t>(std::min<std::uint64_t>(max_len - done, kReadChunk));
      out.resize(static_cast<std::size_t>(done) + chunk);
      ssize_t n = ::pread(fd->get(), out.data() + done, chunk, static_cast<off_t>(pos));
      if (n < 0) {
        if (errno == EINTR) continue;
        return problem(Code::fs_file_unreadable, *path, errno,
                       fmt::format("at file offset {}", pos));
      }
      if (n == 0) break;
      done += static_cast<std::uint64_t>(n);
    }
    out.resize(static_cast<std::size_t>(done));
    return out;
  }

 private:
  std::string place(const std::string& rel) const {
    return rel.empty() ? info_.source : info_.source + "/" + rel;
  }

  Finding problem(Code c, const std::string& rel, int err, std::string what = {}) const {
    std::string detail = std::strerror(err);
    if (!what.empty()) detail = what + ": " + detail;
    return Finding{c, place(rel), std::move(detail)};
  }

  Result<std::string> path_of(NodeId id) const {
    if (id == 0 || id > paths_.size())
      return Finding{Code::fs_path_not_found, info_.source, fmt::format("no node {}", id)};
    return paths_[id - 1];
  }

  NodeId id_of(const std::string& path) {
    auto [it, added] = ids_.emplace(path, paths_.size() + 1);
    if (added) paths_.push_back(path);
    return it->second;
  }

  // Opens every directory on the way with O_NOFOLLOW | O_DIRECTORY, each
  // relative to the one before. Returns a descriptor of the parent of `rel`
  // (the root itself for a top-level name) and puts the last component in
  // `leaf`; for the root, leaf is "." and the descriptor a duplicate.
  Result<Fd> open_parent(const std::string& rel, std::string& leaf, Code code) const {
    Fd cur(::fcntl(root_.get(), F_DUPFD_CLOEXEC, 0));
    if (cur.get() < 0) return problem(code, rel, errno);
    if (rel.empty()) {
      leaf = ".";
      return cur;
    }
    std::size_t pos = 0;
    for (;;) {
      std::size_t slash = rel.find('/', pos);
      if (slash == std::string::npos) {
        leaf = rel.substr(pos);
        return cur;
      }
      std::string comp = rel.substr(pos, slash - pos);
      int fd = ::openat(cur.get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) {
        int e = errno;
        std::string walked = rel.substr(0, slash);
        if (e == ELOOP || e == ENOTDIR) {
          struct stat st {};
          if (::fstatat(cur.get(), comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
              S_ISLNK(st.st_mode))
            return Finding{Code::fs_symlink_not_followed, place(walked), {}};
        }
        return problem(e == ENOENT ? Code::fs_path_not_found : code, walked, e);
      }
      cur = Fd(fd);
      pos = slash + 1;
    }
  }

  std::optional<Finding> stat_path(const std::string& rel, struct stat& st) const {
    std::string leaf;
    auto parent = open_parent(rel, leaf, Code::fs_inode_unreadable);
    if (!parent) return parent.problem();
    if (::fstatat(parent->get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      int e = errno;
      return problem(e == ENOENT ? Code::fs_path_not_found : Code::fs_inode_unreadable, rel, e);
    }
    return std::nullopt;
  }

  // Opens `rel` read-only, never through a symlink.
  Result<Fd> open_path(const std::string& rel, int extra_flags, Code code) const {
    std::string leaf;
    auto parent = open_parent(rel, leaf, code);
    if (!parent) return parent.problem();
    int fd = ::openat(parent->get(), leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | extra_flags);
    if (fd < 0) {
      int e = errno;
      if (e == ELOOP || e == ENOTDIR) {
        struct stat st {};
        if (::fstatat(parent->get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
          return Finding{Code::fs_symlink_not_followed, place(rel), {}};
      }
      return problem(e == ENOENT ? Code::fs_path_not_found : code, rel, e);
    }
    return Fd(fd);
  }

  Fd root_;
  FsInfo info_;
  Findings findings_;
  std::vector<std::string> paths_;     // NodeId - 1 → relative path
  std::map<std::string, NodeId> ids_;  // relative path → NodeId
};

}  // namespace

Result<std::unique_ptr<Filesystem>> open_tree(const std::string& dir) {
  // The root as the user names it may itself be a symlink (e.g. /var/spool
  // → /srv/spool); only what lies inside it is never followed.
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    Code c = e == ENOENT    ? Code::evidence_not_found
             : e == ENOTDIR ? Code::evidence_not_supported
                            : Code::evidence_unreadable;
    return Finding{c, dir, std::strerror(e)};
  }
  Fd root(fd);
  FsInfo info;
  info.source = dir;
  info.type = "directory";
  struct statvfs vfs {};
  struct stat st {};
  if (::fstatvfs(root.get(), &vfs) == 0) {
    info.block_size = static_cast<std::uint32_t>(vfs.f_bsize);
    info.blocks_count = vfs.f_blocks;
    info.free_blocks = vfs.f_bfree;
    info.inodes_count = vfs.f_files;
    info.free_inodes = vfs.f_ffree;
  } else if (::fstat(root.get(), &st) == 0) {
    info.block_size = static_cast<std::uint32_t>(st.st_blksize);
  }
  return std::unique_ptr<Filesystem>(std::make_unique<DirTree>(std::move(root), std::move(info)));
}

}  // namespace ss::fs
