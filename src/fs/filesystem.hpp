// fs/: filesystems. Two kinds present one interface to the layers above:
//  - ext2/3/4 read through libext2fs from an evidence::Source (read-only,
//    permissive: see ext_fs.cpp), and
//  - a directory tree (a mounted or copied spool), never following a symlink
//    out of it (see dir_tree.cpp).
// Nodes are named by a NodeId: the inode number for ext, an id assigned on
// first sight for a directory tree. Paths are '/'-separated and relative to
// the filesystem root; symlinks are never followed by lookup().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_range.hpp"
#include "core/result.hpp"
#include "evidence/ddrescue_map.hpp"
#include "evidence/source.hpp"

namespace ss::fs {

using NodeId = std::uint64_t;

enum class NodeKind { file, directory, symlink, other };
std::string_view to_string(NodeKind k);

struct Node {
  NodeId id = 0;
  std::uint64_t inode = 0;  // the real inode number (ext: == id; tree: st_ino)
  NodeKind kind = NodeKind::other;
  std::uint64_t size = 0;
  std::uint32_t mode = 0;   // permission and type bits as stored
  std::uint32_t links = 0;
  std::int64_t mtime = 0;   // seconds since the epoch
  std::uint32_t mtime_nsec = 0;
};

struct Entry {
  std::string name;
  NodeId id = 0;
  NodeKind kind = NodeKind::other;  // from the directory entry's file type (or a stat)
};

// Where a stretch of a file's bytes lies in the evidence (provenance: image
// offset → inode → file offset). A file is described by runs sorted by
// file_offset that cover [0, size) exactly, with no gap and no overlap.
struct FileRun {
  std::uint64_t file_offset = 0;
  std::uint64_t length = 0;
  // Where these bytes start in the evidence; the `length` bytes there are the
  // file's bytes. nullopt: a hole (reads as zeros; also unwritten extents), an
  // inline run whose place could not be computed, or a directory tree (whose
  // evidence is the tree, not an image).
  std::optional<std::uint64_t> image_offset;
  // The bytes lie inside the inode (ext4 inline_data), not in data blocks.
  bool inline_data = false;

  bool hole() const { return !image_offset && !inline_data; }
  friend bool operator==(const FileRun&, const FileRun&) = default;
};

// What `probe` reports about a filesystem.
struct FsInfo {
  std::string source;          // evidence path
  std::string type;            // "ext4", "ext3", "ext2", "directory"
  std::uint32_t block_size = 0;
  std::uint64_t blocks_count = 0;
  std::uint64_t inodes_count = 0;
  std::uint64_t free_blocks = 0;
  std::uint64_t free_inodes = 0;
  std::string uuid;            // filesystem UUID, lowercase with dashes
  std::string label;
  std::string superblock;      // "primary" or "backup"
  std::uint64_t superblock_block = 0;  // block number of the superblock used (0 = primary)
  std::vector<std::string> features;   // e.g. "has_journal", "extent", "metadata_csum"
  bool has_journal = false;
  bool journal_needs_recovery = false;
  std::int64_t last_mount_time = 0;
  std::int64_t last_write_time = 0;
};

// An inode found by scanning the inode tables (ext only): a regular file or
// a directory, named or not, allocated or deleted.
struct InodeInfo {
  NodeId id = 0;
  NodeKind kind = NodeKind::file;
  std::uint64_t size = 0;
  std::uint32_t links = 0;
  std::int64_t dtime = 0;  // deletion time; 0: not deleted
  bool in_use() const { return links > 0 && dtime == 0; }
};

class Filesystem {
 public:
  virtual ~Filesystem() = default;
  Filesystem() = default;
  Filesystem(const Filesystem&) = delete;
  Filesystem& operator=(const Filesystem&) = delete;

  virtual const FsInfo& info() const = 0;
  // Relaxations and damage noticed while opening (backup superblock used,
  // checksums ignored, journal needs recovery, truncated image, ...).
  virtual const Findings& open_findings() const = 0;
  // For whoever opened it: a fact about how (a volume of a whole disk chosen).
  virtual void add_open_finding(Finding f) = 0;

  virtual NodeId root() const = 0;
  virtual Result<Node> stat(NodeId id) = 0;
  // Entries of a directory, without "." and "..", in on-disk order.
  virtual Result<std::vector<Entry>> list(NodeId dir) = 0;
  // Up to max_len bytes of a file's contents from `offset` (short at EOF).
  // For metadata-sized files (cyrus.header, cyrus.index, imapd.conf...).
  virtual Result<std::vector<std::byte>> read(NodeId id, std::uint64_t offset,
                                              std::uint64_t max_len) = 0;
  // A regular file's bytes as runs of the evidence (see FileRun), from the
  // file's metadata only: no file data is read. ext: physical block × block
  // size, contiguous blocks merged, the last run cut to the file size; holes
  // and unwritten extents as runs without image_offset; inline data as runs
  // inside the inode table. A directory tree: one run [0, size) with no
  // image_offset (nothing below the tree can be named). An empty file has no
  // runs. A mapping that points outside the filesystem or the evidence, or
  // that overlaps itself, is a Finding (fs.file-unreadable) naming the
  // block; nothing is followed there.
  virtual Result<std::vector<FileRun>> file_runs(NodeId id) = 0;
  // The evidence the image_offset of file_runs() points into, so that file
  // bytes can be read straight from it (fs/bulk_read.hpp); null for a
  // directory tree. Reads through it are counted in its ReadStats.
  virtual evidence::Source* source() const { return nullptr; }
  // Every regular-file (of size > 0) and directory inode of the inode
  // tables that `want` accepts, whether a directory names it or not,
  // allocated or deleted; the filesystem's reserved inodes (journal, resize,
  // ...) left out (ext; a directory tree has no inode table: empty).
  // Unreadable inode-table blocks are skipped and counted in
  // `skipped_blocks`.
  virtual std::vector<InodeInfo> scan_inodes(const std::function<bool(const InodeInfo&)>& want,
                                             std::uint64_t& skipped_blocks) {
    (void)want;
    skipped_blocks = 0;
    return {};
  }

  // The image byte ranges of the blocks the block bitmap marks free, in
  // ascending order, adjacent blocks joined and clipped to the evidence
  // (ext only; a directory tree has none: empty). Reads the block bitmap;
  // fs.bitmap-unreadable when it cannot be read.
  virtual Result<std::vector<ByteRange>> free_space() { return std::vector<ByteRange>{}; }

  // Walks `path` component by component from the root through list(); never
  // follows a symlink (a symlink component gives fs.symlink-not-followed).
  // "" and "/" name the root.
  Result<NodeId> lookup(std::string_view path);
  // Reads a whole file, refusing files larger than `limit` bytes.
  Result<std::vector<std::byte>> read_all(NodeId id, std::uint64_t limit);
};

// Opens ext2/3/4 from an evidence source, read-only. Falls back to backup
// superblocks when the primary is unusable and records that (and every other
// relaxation) in open_findings(). Problems: evidence.empty, fs.not-ext,
// fs.open-failed.
// A journal that needs recovery is replayed into memory (fs/journal.hpp) and
// the filesystem read as the kernel would have left it (fs.journal-replayed),
// unless replay_journal is false (--no-journal): then as it stands.
Result<std::unique_ptr<Filesystem>> open_ext(std::shared_ptr<evidence::Source> source,
                                             bool replay_journal = true);

// Opens a directory tree (a mounted or copied spool) as a filesystem.
Result<std::unique_ptr<Filesystem>> open_tree(const std::string& dir);

// EVIDENCE as the user names it: a directory → open_tree; a file or block
// device → open_image + open_ext. A whole disk (a partition table, an md
// RAID1 member; evidence/volumes.hpp) is opened at the volume holding the
// filesystem: PATH@N names partition N, PATH@offset=BYTES a byte offset;
// without either, the only ext2/3/4 volume, or of several the one that
// looks like a Cyrus server's (etc/imapd.conf, var/spool/cyrus or
// var/lib/cyrus at its root); else evidence.volume-ambiguous lists them. With a ddrescue map (an image made by
// ddrescue), the image is read through it (evidence::open_mapped): bytes it
// did not recover are never taken for data.
Result<std::unique_ptr<Filesystem>> open_evidence(const std::string& path,
                                                  const evidence::DdrescueMap* map = nullptr,
                                                  bool replay_journal = true);

}  // namespace ss::fs
