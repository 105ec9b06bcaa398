// A directory tree (a mounted or copied spool) as a Filesystem.
//
// Contract: every directory is opened relative to its parent's descriptor
// with openat(O_DIRECTORY | O_NOFOLLOW), every file with openat(O_NOFOLLOW)
// and every stat is fstatat(AT_SYMLINK_NOFOLLOW) relative to its parent's
// descriptor, so a symlink inside the tree is reported as one
// (NodeKind::symlink) and is never traversed or read: nothing outside the
// tree can be reached through it. Only read-only opens (O_RDONLY). NodeIds
// are given on first sight (root = 1) and name a path relative to the root.
//
// Speed: directory descriptors are kept open by NodeId (at most 256, least
// recently used closed first), so whatever the depth a stat costs one
// readlink + fstatat, a read readlink + openat + fstat + preads + close, a
// listing readlink + lseek + getdents64 on the kept descriptor.
// A kept descriptor is used only while the kernel still names it at its path
// under the root (readlink of /proc/self/fd/N): a directory renamed, or moved
// out of the tree (and perhaps replaced by a symlink) since it was opened, is
// opened again from the nearest ancestor still in place, so the walk refuses
// the symlink or the missing name as before. (A rename between that check and
// the openat is the same window the walk from the root always had.) Without
// /proc nothing is kept: every use walks from the root.
// A file is opened only if list() or stat() last saw it as a regular file,
// and read only if fstat of the open file shows that same dev/inode; a file
// replaced since is a finding until stat() sees the new one. O_NONBLOCK: a
// FIFO swapped in meanwhile cannot block the open (fstat then refuses it).
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <limits>
#include <list>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

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

NodeKind kind_of_dirent_type(unsigned char t) {
  switch (t) {
    case DT_REG: return NodeKind::file;
    case DT_DIR: return NodeKind::directory;
    case DT_LNK: return NodeKind::symlink;
    default: return NodeKind::other;
  }
}

// The current path of an open descriptor, as the kernel names it
// (/proc/self/fd). nullopt if it cannot be said (no /proc, too long).
std::optional<std::string> fd_path(int fd, std::size_t expect_len = 256) {
  const std::string link = fmt::format("/proc/self/fd/{}", fd);
  std::string buf(std::max<std::size_t>(expect_len + 1, 64), '\0');
  for (;;) {
    ssize_t n = ::readlink(link.c_str(), buf.data(), buf.size());
    if (n < 0) return std::nullopt;
    if (static_cast<std::size_t>(n) < buf.size()) {
      buf.resize(static_cast<std::size_t>(n));
      return buf;
    }
    if (buf.size() >= (std::size_t{1} << 16)) return std::nullopt;
    buf.resize(buf.size() * 2);
  }
}

constexpr NodeId kRoot = 1;
constexpr std::size_t kDirCacheSize = 256;  // directory descriptors kept open at most
constexpr std::size_t kDirBuffer = 32 * 1024;  // bytes per getdents64

// Open directory descriptors by NodeId, least recently used evicted (and
// closed) first.
class DirCache {
 public:
  struct Dir {
    int fd = -1;
    dev_t dev = 0;
  };
  std::optional<Dir> find(NodeId id) {
    auto it = slots_.find(id);
    if (it == slots_.end()) return std::nullopt;
    order_.splice(order_.begin(), order_, it->second.pos);
    return Dir{it->second.fd.get(), it->second.dev};
  }
  Dir insert(NodeId id, Fd fd, dev_t dev) {
    erase(id);
    if (slots_.size() >= kDirCacheSize) erase(order_.back());
    order_.push_front(id);
    const int raw = fd.get();
    slots_.emplace(id, Slot{std::move(fd), dev, order_.begin()});
    return Dir{raw, dev};
  }
  void erase(NodeId id) {
    auto it = slots_.find(id);
    if (it == slots_.end()) return;
    order_.erase(it->second.pos);
    slots_.erase(it);  // closes the descriptor
  }

 private:
  struct Slot {
    Fd fd;
    dev_t dev;
    std::list<NodeId>::iterator pos;
  };
  std::list<NodeId> order_;  // most recently used first
  std::unordered_map<NodeId, Slot> slots_;
};

class DirTree final : public Filesystem {
 public:
  DirTree(Fd root, FsInfo info) : root_(std::move(root)), info_(std::move(info)) {
    nodes_.push_back(NodeRec{});  // id 1: the root, ""
    ids_.emplace("", kRoot);
    struct stat st {};
    if (::fstat(root_.get(), &st) == 0) {
      root_dev_ = st.st_dev;
      nodes_[0].seen = Seen{st.st_dev, st.st_ino, NodeKind::directory, true};
    }
    root_path_ = fd_path(root_.get());
  }

  const FsInfo& info() const override { return info_; }
  const Findings& open_findings() const override { return findings_; }
  void add_open_finding(Finding f) override { findings_.add(std::move(f)); }
  NodeId root() const override { return kRoot; }

  Result<Node> stat(NodeId id) override {
    struct stat st {};
    if (auto bad = stat_node(id, st)) return *bad;
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
    if (auto bad = check_id(dir)) return *bad;
    auto d = dir_fd(dir, Code::fs_dir_unreadable);
    if (!d) return d.problem();
    const std::string path = nodes_[dir - 1].path;
    struct Raw {
      std::string name;
      unsigned char type;
      ino_t ino;
    };
    std::vector<Raw> raw;
    // getdents64 straight on the directory's descriptor, from its start: no
    // descriptor of its own to open and close for each listing.
    if (::lseek(d->fd, 0, SEEK_SET) < 0) return problem(Code::fs_dir_unreadable, path, errno);
    std::vector<char> buf(kDirBuffer);
    constexpr std::size_t kNameAt = offsetof(struct dirent64, d_name);
    for (;;) {
      ssize_t n = ::getdents64(d->fd, buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return problem(Code::fs_dir_unreadable, path, errno);
      }
      if (n == 0) break;
      const auto got = static_cast<std::size_t>(n);
      for (std::size_t at = 0; at < got;) {
        unsigned short reclen = 0;
        std::uint64_t ino = 0;
        unsigned char type = DT_UNKNOWN;
        if (got - at < kNameAt) return problem(Code::fs_dir_unreadable, path, EIO);
        std::memcpy(&reclen, buf.data() + at + offsetof(struct dirent64, d_reclen), sizeof reclen);
        std::memcpy(&ino, buf.data() + at + offsetof(struct dirent64, d_ino), sizeof ino);
        std::memcpy(&type, buf.data() + at + offsetof(struct dirent64, d_type), sizeof type);
        if (reclen <= kNameAt || reclen > got - at)
          return problem(Code::fs_dir_unreadable, path, EIO, "malformed directory record");
        const char* name_at = buf.data() + at + kNameAt;
        std::string_view name(name_at, ::strnlen(name_at, reclen - kNameAt));
        at += reclen;
        if (name.empty() || name == "." || name == "..") continue;
        raw.push_back({std::string(name), type, static_cast<ino_t>(ino)});
      }
    }
    std::sort(raw.begin(), raw.end(), [](const Raw& a, const Raw& b) { return a.name < b.name; });
    std::vector<Entry> out;
    out.reserve(raw.size());
    for (auto& r : raw) {
      // What is seen here is what read() will insist on finding.
      Seen seen{d->dev, r.ino, kind_of_dirent_type(r.type), false};
      if (r.type == DT_UNKNOWN) {
        struct stat st {};
        seen.kind = NodeKind::other;
        if (::fstatat(d->fd, r.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
          seen = Seen{st.st_dev, st.st_ino, kind_of_mode(st.st_mode), true};
      }
      std::string child = path.empty() ? r.name : path + "/" + r.name;
      const NodeId id = id_of(std::move(child), dir);
      nodes_[id - 1].seen = seen;
      out.push_back(Entry{std::move(r.name), id, seen.kind});
    }
    return out;
  }

  Result<std::vector<std::byte>> read(NodeId id, std::uint64_t offset,
                                      std::uint64_t max_len) override {
    auto fd = open_file(id);
    if (!fd) return fd.problem();
    const std::string& path = nodes_[id - 1].path;
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
        return problem(Code::fs_file_unreadable, path, errno,
                       fmt::format("at file offset {}", pos));
      }
      if (n == 0) break;
      done += static_cast<std::uint64_t>(n);
    }
    out.resize(static_cast<std::size_t>(done));
    return out;
  }

  // The evidence is the tree: a file's bytes have no place below it that
  // this tool could name, so one run without an image offset.
  Result<std::vector<FileRun>> file_runs(NodeId id) override {
    auto node = stat(id);
    if (!node) return node.problem();
    const std::string& path = nodes_[id - 1].path;
    if (node->kind == NodeKind::symlink)
      return Finding{Code::fs_symlink_not_followed, place(path), "a symlink is never read"};
    if (node->kind != NodeKind::file)
      return Finding{Code::fs_file_unreadable, place(path),
                     fmt::format("not a regular file ({})", to_string(node->kind))};
    std::vector<FileRun> runs;
    if (node->size > 0) runs.push_back(FileRun{0, node->size, std::nullopt, false});
    return runs;
  }

 private:
  // What list() or stat() last saw under a node's name. read() opens only
  // what was seen as a regular file and insists on the same dev/inode.
  struct Seen {
    dev_t dev = 0;
    ino_t ino = 0;
    NodeKind kind = NodeKind::other;
    bool from_stat = false;  // dev/ino from a stat; else d_ino and the directory's dev
  };
  struct NodeRec {
    std::string path;  // relative to the root; "" for the root
    NodeId parent = 0;
    std::optional<Seen> seen;
    std::string_view name() const {
      auto slash = path.rfind('/');
      return slash == std::string::npos ? std::string_view(path)
                                        : std::string_view(path).substr(slash + 1);
    }
  };
  // A directory descriptor: cached (owned by the cache) or, when the cache
  // cannot be used, owned here.
  struct DirRef {
    int fd = -1;
    dev_t dev = 0;
    Fd owned;
  };

  std::string place(const std::string& rel) const {
    return rel.empty() ? info_.source : info_.source + "/" + rel;
  }

  Finding problem(Code c, const std::string& rel, int err, std::string what = {}) const {
    std::string detail = std::strerror(err);
    if (!what.empty()) detail = what + ": " + detail;
    return Finding{c, place(rel), std::move(detail)};
  }

  std::optional<Finding> check_id(NodeId id) const {
    if (id == 0 || id > nodes_.size())
      return Finding{Code::fs_path_not_found, info_.source, fmt::format("no node {}", id)};
    return std::nullopt;
  }

  NodeId id_of(std::string path, NodeId parent) {
    auto [it, added] = ids_.emplace(path, nodes_.size() + 1);
    if (added) nodes_.push_back(NodeRec{std::move(path), parent, std::nullopt});
    return it->second;
  }

  // Is the directory open as `fd` still at `rel` under the root? The kernel
  // names an open directory by its real location, never through a symlink:
  // a directory renamed, or moved out of the tree (and perhaps replaced by a
  // symlink) since it was opened no longer matches and is opened again.
  bool in_place(int fd, const std::string& rel) {
    if (!root_path_) return false;
    auto expected = [&] {
      return *root_path_ == "/" ? "/" + rel : *root_path_ + "/" + rel;
    };
    std::string want = expected();
    auto now = fd_path(fd, want.size());
    if (!now) return false;
    if (*now == want) return true;
    // The root itself may have moved (the tree with it).
    auto root_now = fd_path(root_.get());
    if (!root_now || *root_now == *root_path_) return false;
    root_path_ = std::move(root_now);
    return *now == expected();
  }

  // A descriptor of directory `id`: from the cache if it is still in place,
  // else opened from the nearest such ancestor (or the root) one component
  // at a time with O_DIRECTORY | O_NOFOLLOW, caching each.
  Result<DirRef> dir_fd(NodeId id, Code code) {
    if (id == kRoot) return DirRef{root_.get(), root_dev_, Fd{}};
    const bool cache = root_path_.has_value();  // without /proc, nothing can be checked
    std::vector<NodeId> chain;  // to open, deepest first
    DirCache::Dir base{root_.get(), root_dev_};
    for (NodeId cur = id; cur != kRoot; cur = nodes_[cur - 1].parent) {
      if (cache) {
        if (auto d = cache_.find(cur)) {
          if (in_place(d->fd, nodes_[cur - 1].path)) {
            base = *d;
            break;
          }
          cache_.erase(cur);
        }
      }
      chain.push_back(cur);
    }
    Fd owned;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      const NodeRec& n = nodes_[*it - 1];
      const std::string name(n.name());
      int fd = ::openat(base.fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) {
        int e = errno;
        if (e == ELOOP || e == ENOTDIR) {
          struct stat st {};
          if (::fstatat(base.fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
              S_ISLNK(st.st_mode))
            return Finding{Code::fs_symlink_not_followed, place(n.path), {}};
        }
        return problem(e == ENOENT ? Code::fs_path_not_found : code, n.path, e);
      }
      Fd opened(fd);
      struct stat st {};
      if (::fstat(fd, &st) != 0) return problem(code, n.path, errno);
      if (cache) {
        base = cache_.insert(*it, std::move(opened), st.st_dev);
      } else {
        owned = std::move(opened);  // closes the one above it
        base = DirCache::Dir{fd, st.st_dev};
      }
    }
    return DirRef{base.fd, base.dev, std::move(owned)};
  }

  // lstat of a node, relative to its parent's descriptor; records what it saw.
  std::optional<Finding> stat_node(NodeId id, struct stat& st) {
    if (auto bad = check_id(id)) return bad;
    NodeRec& n = nodes_[id - 1];
    if (id == kRoot) {
      if (::fstat(root_.get(), &st) != 0) return problem(Code::fs_inode_unreadable, n.path, errno);
    } else {
      auto dir = dir_fd(n.parent, Code::fs_inode_unreadable);
      if (!dir) return dir.problem();
      const std::string name(n.name());
      if (::fstatat(dir->fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        int e = errno;
        return problem(e == ENOENT ? Code::fs_path_not_found : Code::fs_inode_unreadable, n.path,
                       e);
      }
    }
    nodes_[id - 1].seen = Seen{st.st_dev, st.st_ino, kind_of_mode(st.st_mode), true};
    return std::nullopt;
  }

  // Opens a file seen (by list() or stat()) as a regular file, read-only,
  // relative to its parent's descriptor, never through a symlink, and only if
  // it is still the file that was seen. Anything else is never opened.
  Result<Fd> open_file(NodeId id) {
    if (auto bad = check_id(id)) return *bad;
    if (!nodes_[id - 1].seen) {
      struct stat st {};
      if (auto bad = stat_node(id, st)) return *bad;
    }
    const NodeRec& n = nodes_[id - 1];
    const Seen seen = *n.seen;
    if (seen.kind == NodeKind::symlink)
      return Finding{Code::fs_symlink_not_followed, place(n.path), "a symlink is never read"};
    if (seen.kind != NodeKind::file)
      return Finding{Code::fs_file_unreadable, place(n.path),
                     fmt::format("not a regular file ({})", to_string(seen.kind))};
    auto dir = dir_fd(n.parent, Code::fs_file_unreadable);
    if (!dir) return dir.problem();
    const std::string name(n.name());
    int fd = ::openat(dir->fd, name.c_str(),
                      O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      if (e == ELOOP || e == ENOTDIR) {
        struct stat st {};
        if (::fstatat(dir->fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
          return Finding{Code::fs_symlink_not_followed, place(n.path), {}};
      }
      return problem(e == ENOENT ? Code::fs_path_not_found : Code::fs_file_unreadable, n.path, e);
    }
    Fd file(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return problem(Code::fs_file_unreadable, n.path, errno);
    if (!S_ISREG(st.st_mode))
      return Finding{Code::fs_file_unreadable, place(n.path),
                     fmt::format("the file changed since it was seen: now {}",
                                 to_string(kind_of_mode(st.st_mode)))};
    if (st.st_ino != seen.ino || st.st_dev != seen.dev) {
      // readdir names the inode under a mount point, not the one mounted on
      // it: a file from another device is checked against a fresh lstat.
      struct stat now {};
      const bool mounted = !seen.from_stat && st.st_dev != seen.dev &&
                           ::fstatat(dir->fd, name.c_str(), &now, AT_SYMLINK_NOFOLLOW) == 0 &&
                           now.st_dev == st.st_dev && now.st_ino == st.st_ino;
      if (!mounted)
        return Finding{Code::fs_file_unreadable, place(n.path),
                       fmt::format("the file changed since it was seen (inode {}, now {})",
                                   seen.ino, st.st_ino)};
    }
    return file;
  }

  Fd root_;
  dev_t root_dev_ = 0;
  std::optional<std::string> root_path_;  // where the kernel says the root is
  FsInfo info_;
  Findings findings_;
  std::vector<NodeRec> nodes_;         // NodeId - 1 → node
  std::map<std::string, NodeId> ids_;  // relative path → NodeId
  DirCache cache_;
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
