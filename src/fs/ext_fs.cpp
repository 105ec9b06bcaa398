// ext2/3/4 through libext2fs, read-only and permissive.
//
// Contract: libext2fs reads the evidence only through evidence::Source, by a
// custom io_manager (the one read seam: counting, unreadable ranges, later
// ddrescue maps). Every write entry point of that io_manager fails, the
// filesystem is opened without EXT2_FLAG_RW and released with ext2fs_free
// (never ext2fs_close, which may flush), so nothing can reach the evidence.
// Each relaxation (checksums ignored, backup superblock, bitmaps not read,
// MMP skipped, unknown features) is recorded as a finding; each libext2fs
// error becomes a Finding naming the inode, never an abort.
// ext2fs.h brings com_err.h (error_message) inside its extern "C" block;
// com_err.h alone has none, so it is not included on its own.
#include <ext2fs/ext2fs.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <list>
#include <map>
#include <mutex>
#include <new>
#include <optional>
#include <unordered_map>

#include "core/aligned.hpp"
#include "fs/filesystem.hpp"
#include "fs/journal.hpp"

namespace ss::fs {
namespace {

// ---------------------------------------------------------------------------
// The io_manager: libext2fs → evidence::Source.

// What one open filesystem's channel reads from, and what went wrong there.
struct IoContext {
  std::shared_ptr<evidence::Source> source;
  std::uint64_t failed_reads = 0;            // reads refused: past the end or I/O error
  std::uint64_t write_attempts = 0;          // must stay 0; every write is refused anyway
  std::optional<ByteRange> last_unreadable;  // the range of the latest failed read
  std::string last_error;                    // its cause, for findings
};

// ext2fs_open2 names the device by a string; the io_manager's open() gets
// only that string. A registry maps "ss-source:<n>" to the context for the
// duration of one ext2fs_open2 call; the channel then holds its own
// reference, so any number of filesystems can be open at once.
class SourceRegistry {
 public:
  static SourceRegistry& instance() {
    static SourceRegistry r;
    return r;
  }
  std::string add(std::shared_ptr<IoContext> ctx) {
    std::lock_guard lock(mutex_);
    std::string name = fmt::format("ss-source:{}", next_++);
    entries_.emplace(name, std::move(ctx));
    return name;
  }
  void remove(const std::string& name) {
    std::lock_guard lock(mutex_);
    entries_.erase(name);
  }
  std::shared_ptr<IoContext> find(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : it->second;
  }

 private:
  std::mutex mutex_;
  std::uint64_t next_ = 1;
  std::map<std::string, std::shared_ptr<IoContext>> entries_;
};

// Registered for the lifetime of this object (one open attempt).
class Registration {
 public:
  explicit Registration(std::shared_ptr<IoContext> ctx)
      : name_(SourceRegistry::instance().add(std::move(ctx))) {}
  ~Registration() { SourceRegistry::instance().remove(name_); }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// The last metadata blocks read, so that reading the inodes of many small
// files in a row does not read their inode table block again for each one
// (libext2fs keeps no cache of its own with a custom I/O manager). Only
// whole single blocks that were read without error are kept.
class BlockCache {
 public:
  static constexpr std::size_t kBlocks = 512;  // 2 MiB of 4 KiB blocks at most
  const std::byte* find(std::uint64_t block) {
    auto it = where_.find(block);
    if (it == where_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second.data();
  }
  void put(std::uint64_t block, const std::byte* data, std::size_t size) {
    if (where_.count(block)) return;
    if (where_.size() >= kBlocks) {
      where_.erase(lru_.back().first);
      lru_.pop_back();
    }
    lru_.emplace_front(block, std::vector<std::byte>(data, data + size));
    where_[block] = lru_.begin();
  }
  void clear() {
    lru_.clear();
    where_.clear();
  }

 private:
  std::list<std::pair<std::uint64_t, std::vector<std::byte>>> lru_;
  std::unordered_map<std::uint64_t, decltype(lru_)::iterator> where_;
};

struct ChannelData {
  std::shared_ptr<IoContext> ctx;
  struct_io_stats stats{};
  BlockCache cache;
};

io_manager source_io_manager();

ChannelData* channel_data(io_channel ch) {
  return static_cast<ChannelData*>(ch->private_data);
}

errcode_t refuse_write(io_channel ch) {
  if (ch && ch->private_data) ++channel_data(ch)->ctx->write_attempts;
  return EXT2_ET_RO_FILSYS;
}

errcode_t ss_close(io_channel ch) {
  if (!ch || ch->magic != EXT2_ET_MAGIC_IO_CHANNEL) return EXT2_ET_MAGIC_IO_CHANNEL;
  if (--ch->refcount > 0) return 0;
  delete channel_data(ch);
  delete[] ch->name;
  delete ch;
  return 0;
}

errcode_t ss_open(const char* name, int flags, io_channel* out) {
  if (!name || !out) return EXT2_ET_BAD_DEVICE_NAME;
  // Read-only by construction: a read-write open is refused outright.
  if (flags & IO_FLAG_RW) return EXT2_ET_RO_FILSYS;
  try {
    auto ctx = SourceRegistry::instance().find(name);
    if (!ctx) return EXT2_ET_BAD_DEVICE_NAME;
    auto* ch = new struct_io_channel{};
    std::size_t len = std::strlen(name);
    ch->name = new char[len + 1];
    std::memcpy(ch->name, name, len + 1);
    ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
    ch->manager = source_io_manager();
    ch->block_size = 1024;
    ch->refcount = 1;
    auto* data = new ChannelData{std::move(ctx), {}, {}};
    data->stats.num_fields = 2;
    ch->private_data = data;
    *out = ch;
    return 0;
  } catch (const std::bad_alloc&) {
    return EXT2_ET_NO_MEMORY;
  } catch (...) {
    return EXT2_ET_BAD_DEVICE_NAME;
  }
}

errcode_t ss_set_blksize(io_channel ch, int blksize) {
  if (blksize <= 0) return EXT2_ET_INVALID_ARGUMENT;
  if (ch->block_size != blksize) channel_data(ch)->cache.clear();
  ch->block_size = blksize;
  return 0;
}

// count > 0: that many blocks; count < 0: -count bytes (libext2fs convention).
errcode_t ss_read_blk64(io_channel ch, unsigned long long block, int count, void* data) {
  if (count == 0) return 0;
  ChannelData* cd = channel_data(ch);
  IoContext& ctx = *cd->ctx;
  const auto bs = static_cast<std::uint64_t>(ch->block_size);
  const std::uint64_t size = count < 0
                                 ? static_cast<std::uint64_t>(-static_cast<std::int64_t>(count))
                                 : static_cast<std::uint64_t>(count) * bs;
  auto* out = static_cast<std::byte*>(data);
  if (block > ByteRange::kMax / bs) {
    std::memset(out, 0, size);
    ++ctx.failed_reads;
    ctx.last_unreadable.reset();
    ctx.last_error = "block number beyond any addressable offset";
    return EXT2_ET_LLSEEK_FAILED;
  }
  const std::uint64_t offset = block * bs;
  if (count == 1)
    if (const std::byte* hit = cd->cache.find(block)) {
      std::memcpy(out, hit, size);
      return 0;
    }
  errcode_t rc = 0;
  std::size_t got = 0;
  try {
    auto r = ctx.source->read_at(offset, std::span<std::byte>(out, size));
    if (r) {
      got = *r;
      cd->stats.bytes_read += got;
      if (got == size && count == 1) cd->cache.put(block, out, size);
      if (got < size) {
        rc = EXT2_ET_SHORT_READ;
        ctx.last_error =
            fmt::format("{} bytes at offset {} lie past the end of the evidence ({} bytes)",
                        size - got, offset + got, ctx.source->size());
      }
    } else {
      rc = EIO;
      ctx.last_error = r.problem().describe();
    }
  } catch (const std::bad_alloc&) {
    rc = EXT2_ET_NO_MEMORY;
    ctx.last_error = "out of memory";
  } catch (...) {
    rc = EIO;
    ctx.last_error = "unexpected failure in the evidence source";
  }
  if (rc == 0) return 0;
  // Never hand back zeros as if they were data: the bytes not read are
  // cleared (libext2fs may look at them) and the read fails.
  std::memset(out + got, 0, size - got);
  ++ctx.failed_reads;
  ctx.last_unreadable = ByteRange{offset + got, size - got};
  if (ch->read_error) {
    return ch->read_error(ch, static_cast<unsigned long>(block), count, data, size,
                          static_cast<int>(got), rc);
  }
  return rc;
}

errcode_t ss_read_blk(io_channel ch, unsigned long block, int count, void* data) {
  return ss_read_blk64(ch, block, count, data);
}

errcode_t ss_write_blk(io_channel ch, unsigned long, int, const void*) {
  return refuse_write(ch);
}
errcode_t ss_write_blk64(io_channel ch, unsigned long long, int, const void*) {
  return refuse_write(ch);
}
errcode_t ss_write_byte(io_channel ch, unsigned long, int, const void*) {
  return refuse_write(ch);
}
errcode_t ss_discard(io_channel ch, unsigned long long, unsigned long long) {
  return refuse_write(ch);
}
errcode_t ss_zeroout(io_channel ch, unsigned long long, unsigned long long) {
  return refuse_write(ch);
}
// Nothing is ever buffered for writing, so there is nothing to flush.
errcode_t ss_flush(io_channel) {
  return 0;
}
errcode_t ss_set_option(io_channel, const char*, const char*) {
  return EXT2_ET_INVALID_ARGUMENT;
}
errcode_t ss_get_stats(io_channel ch, io_stats* stats) {
  if (stats) *stats = &channel_data(ch)->stats;
  return 0;
}
errcode_t ss_cache_readahead(io_channel, unsigned long long, unsigned long long) {
  return EXT2_ET_OP_NOT_SUPPORTED;
}

struct_io_manager make_manager() {
  struct_io_manager m{};
  m.magic = EXT2_ET_MAGIC_IO_MANAGER;
  m.name = "spoolsalvage evidence source (read-only)";
  m.open = ss_open;
  m.close = ss_close;
  m.set_blksize = ss_set_blksize;
  m.read_blk = ss_read_blk;
  m.write_blk = ss_write_blk;
  m.flush = ss_flush;
  m.write_byte = ss_write_byte;
  m.set_option = ss_set_option;
  m.get_stats = ss_get_stats;
  m.read_blk64 = ss_read_blk64;
  m.write_blk64 = ss_write_blk64;
  m.discard = ss_discard;
  m.cache_readahead = ss_cache_readahead;
  m.zeroout = ss_zeroout;
  return m;
}

// Immutable after construction; libext2fs wants a non-const pointer.
io_manager source_io_manager() {
  static struct_io_manager manager = make_manager();
  return &manager;
}

// ---------------------------------------------------------------------------
// Helpers.

std::string ext_error(errcode_t e) {
  static std::once_flag once;
  std::call_once(once, [] { initialize_ext2_error_table(); });
  const char* msg = error_message(e);
  return msg ? std::string(msg) : fmt::format("error {}", e);
}

struct FeatureName {
  int word;  // 0 compat, 1 ro_compat, 2 incompat
  std::uint32_t bit;
  const char* name;
};

// Names as e2p (dumpe2fs, tune2fs) prints them.
constexpr std::array kFeatureNames = {
    FeatureName{0, EXT2_FEATURE_COMPAT_DIR_PREALLOC, "dir_prealloc"},
    FeatureName{0, EXT2_FEATURE_COMPAT_IMAGIC_INODES, "imagic_inodes"},
    FeatureName{0, EXT3_FEATURE_COMPAT_HAS_JOURNAL, "has_journal"},
    FeatureName{0, EXT2_FEATURE_COMPAT_EXT_ATTR, "ext_attr"},
    FeatureName{0, EXT2_FEATURE_COMPAT_RESIZE_INODE, "resize_inode"},
    FeatureName{0, EXT2_FEATURE_COMPAT_DIR_INDEX, "dir_index"},
    FeatureName{0, EXT2_FEATURE_COMPAT_LAZY_BG, "lazy_bg"},
    FeatureName{0, EXT2_FEATURE_COMPAT_EXCLUDE_BITMAP, "snapshot_bitmap"},
    FeatureName{0, EXT4_FEATURE_COMPAT_SPARSE_SUPER2, "sparse_super2"},
    FeatureName{0, EXT4_FEATURE_COMPAT_FAST_COMMIT, "fast_commit"},
    FeatureName{0, EXT4_FEATURE_COMPAT_STABLE_INODES, "stable_inodes"},
    FeatureName{0, EXT4_FEATURE_COMPAT_ORPHAN_FILE, "orphan_file"},
    FeatureName{1, EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER, "sparse_super"},
    FeatureName{1, EXT2_FEATURE_RO_COMPAT_LARGE_FILE, "large_file"},
    FeatureName{1, EXT4_FEATURE_RO_COMPAT_HUGE_FILE, "huge_file"},
    FeatureName{1, EXT4_FEATURE_RO_COMPAT_GDT_CSUM, "uninit_bg"},
    FeatureName{1, EXT4_FEATURE_RO_COMPAT_DIR_NLINK, "dir_nlink"},
    FeatureName{1, EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE, "extra_isize"},
    FeatureName{1, EXT4_FEATURE_RO_COMPAT_HAS_SNAPSHOT, "snapshot"},
    FeatureName{1, EXT4_FEATURE_RO_COMPAT_QUOTA, "quota"},
    FeatureName{1, EXT4_FEATURE_RO_COMPAT_BIGALLOC, "bigalloc"},
    FeatureName{1, EXT4_FEATURE_RO_COMPAT_METADATA_CSUM, "metadata_csum"},
    FeatureName{1, EXT4_FEATURE_RO_COMPAT_REPLICA, "replica"},
    FeatureName{1, EXT4_FEATURE_RO_COMPAT_READONLY, "read-only"},
    FeatureName{1, EXT4_FEATURE_RO_COMPAT_PROJECT, "project"},
    FeatureName{1, EXT4_FEATURE_RO_COMPAT_SHARED_BLOCKS, "shared_blocks"},
    FeatureName{1, EXT4_FEATURE_RO_COMPAT_VERITY, "verity"},
    FeatureName{1, EXT4_FEATURE_RO_COMPAT_ORPHAN_PRESENT, "orphan_present"},
    FeatureName{2, EXT2_FEATURE_INCOMPAT_COMPRESSION, "compression"},
    FeatureName{2, EXT2_FEATURE_INCOMPAT_FILETYPE, "filetype"},
    FeatureName{2, EXT3_FEATURE_INCOMPAT_RECOVER, "needs_recovery"},
    FeatureName{2, EXT3_FEATURE_INCOMPAT_JOURNAL_DEV, "journal_dev"},
    FeatureName{2, EXT2_FEATURE_INCOMPAT_META_BG, "meta_bg"},
    FeatureName{2, EXT3_FEATURE_INCOMPAT_EXTENTS, "extent"},
    FeatureName{2, EXT4_FEATURE_INCOMPAT_64BIT, "64bit"},
    FeatureName{2, EXT4_FEATURE_INCOMPAT_MMP, "mmp"},
    FeatureName{2, EXT4_FEATURE_INCOMPAT_FLEX_BG, "flex_bg"},
    FeatureName{2, EXT4_FEATURE_INCOMPAT_EA_INODE, "ea_inode"},
    FeatureName{2, EXT4_FEATURE_INCOMPAT_DIRDATA, "dirdata"},
    FeatureName{2, EXT4_FEATURE_INCOMPAT_CSUM_SEED, "metadata_csum_seed"},
    FeatureName{2, EXT4_FEATURE_INCOMPAT_LARGEDIR, "large_dir"},
    FeatureName{2, EXT4_FEATURE_INCOMPAT_INLINE_DATA, "inline_data"},
    FeatureName{2, EXT4_FEATURE_INCOMPAT_ENCRYPT, "encrypt"},
    FeatureName{2, EXT4_FEATURE_INCOMPAT_CASEFOLD, "casefold"},
};

std::vector<std::string> feature_names(const ext2_super_block& sb) {
  const std::array<std::uint32_t, 3> words = {sb.s_feature_compat, sb.s_feature_ro_compat,
                                              sb.s_feature_incompat};
  const std::array<const char*, 3> prefix = {"FEATURE_C", "FEATURE_R", "FEATURE_I"};
  std::vector<std::string> out;
  for (int w = 0; w < 3; ++w) {
    const auto word = words[static_cast<std::size_t>(w)];
    for (unsigned bit = 0; bit < 32; ++bit) {
      const std::uint32_t mask = std::uint32_t{1} << bit;
      if (!(word & mask)) continue;
      auto it = std::find_if(kFeatureNames.begin(), kFeatureNames.end(),
                             [&](const FeatureName& f) { return f.word == w && f.bit == mask; });
      // Unknown bits are named like e2p does, so they are never hidden.
      out.emplace_back(it != kFeatureNames.end()
                           ? std::string(it->name)
                           : fmt::format("{}{}", prefix[static_cast<std::size_t>(w)], bit));
    }
  }
  return out;
}

// blkid's rule: anything ext3 does not support makes it ext4.
std::string fs_type(const ext2_super_block& sb) {
  constexpr std::uint32_t ext3_ro = EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER |
                                    EXT2_FEATURE_RO_COMPAT_LARGE_FILE |
                                    0x0004u;  // RO_COMPAT_BTREE_DIR: never used, ext3-legal
  constexpr std::uint32_t ext3_incompat = EXT2_FEATURE_INCOMPAT_FILETYPE |
                                          EXT3_FEATURE_INCOMPAT_RECOVER |
                                          EXT2_FEATURE_INCOMPAT_META_BG;
  if ((sb.s_feature_ro_compat & ~ext3_ro) || (sb.s_feature_incompat & ~ext3_incompat))
    return "ext4";
  if (sb.s_feature_compat & EXT3_FEATURE_COMPAT_HAS_JOURNAL) return "ext3";
  return "ext2";
}

std::string format_uuid(const std::uint8_t (&u)[16]) {
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
      "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
      u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
      u[15]);
}

// The label up to its NUL; bytes outside printable ASCII become \xNN so a
// hostile label cannot break a report.
std::string format_label(const std::uint8_t* raw, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n && raw[i] != 0; ++i) {
    if (raw[i] >= 0x20 && raw[i] < 0x7f && raw[i] != '\\')
      out += static_cast<char>(raw[i]);
    else
      out += fmt::format("\\x{:02x}", raw[i]);
  }
  return out;
}

std::int64_t time_with_hi(std::uint32_t lo, std::uint8_t hi) {
  return static_cast<std::int64_t>(lo) + (static_cast<std::int64_t>(hi) << 32);
}

NodeKind kind_of_mode(std::uint32_t mode) {
  if (LINUX_S_ISREG(mode)) return NodeKind::file;
  if (LINUX_S_ISDIR(mode)) return NodeKind::directory;
  if (LINUX_S_ISLNK(mode)) return NodeKind::symlink;
  return NodeKind::other;
}

NodeKind kind_of_dirent_type(int t) {
  switch (t) {
    case EXT2_FT_REG_FILE:
      return NodeKind::file;
    case EXT2_FT_DIR:
      return NodeKind::directory;
    case EXT2_FT_SYMLINK:
      return NodeKind::symlink;
    default:
      return NodeKind::other;
  }
}

// Block numbers of backup superblocks to try: groups 1, 3^n, 5^n, 7^n (the
// sparse_super layout), for every block size, nearest first, within the source.
std::vector<std::pair<std::uint32_t, std::uint64_t>> backup_candidates(std::uint64_t source_size) {
  std::vector<std::uint64_t> groups = {1};
  for (std::uint64_t base : {3u, 5u, 7u})
    for (std::uint64_t g = base; g < (std::uint64_t{1} << 32); g *= base) groups.push_back(g);
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  std::vector<std::pair<std::uint32_t, std::uint64_t>> out;
  for (std::uint32_t bs = EXT2_MIN_BLOCK_SIZE; bs <= EXT2_MAX_BLOCK_SIZE; bs *= 2) {
    const std::uint64_t per_group = std::uint64_t{8} * bs;
    const std::uint64_t first_data_block = bs == EXT2_MIN_BLOCK_SIZE ? 1 : 0;
    for (std::uint64_t g : groups) {
      const std::uint64_t block = per_group * g + first_data_block;
      const std::uint64_t offset = block * bs;
      // ext2fs_open2 takes the block number as an int.
      if (block > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) break;
      if (offset + SUPERBLOCK_SIZE > source_size) break;
      out.emplace_back(bs, block);
    }
  }
  return out;
}

constexpr std::size_t kReadChunk = 1 << 20;        // bytes per ext2fs_file_read call
constexpr std::uint64_t kRunsReadMin = 64 << 10;  // reads this large go by the file's runs
constexpr std::size_t kMaxDirEntries = 16u << 20;  // guard against hostile directories
constexpr std::size_t kMaxRuns = 4u << 20;         // runs per file (32 bytes each) at most

// Turns (logical block, physical block, count) mappings, in ascending logical
// order, into FileRuns: holes between and after them, contiguous blocks
// merged, everything cut to the file size. Memory grows with the mappings
// the metadata really holds, never with the size the inode claims.
class RunBuilder {
 public:
  RunBuilder(std::uint64_t size, std::uint64_t block_size, std::uint64_t first_data_block,
             std::uint64_t blocks_count, std::uint64_t evidence_size)
      : size_(size),
        bs_(block_size),
        first_data_block_(first_data_block),
        blocks_count_(blocks_count),
        evidence_size_(evidence_size),
        nblocks_(size / block_size + (size % block_size != 0 ? 1 : 0)) {}

  // Logical blocks the file size needs; mappings at or past it are ignored.
  std::uint64_t blocks_needed() const { return nblocks_; }

  // Maps `count` logical blocks from `lblk` to physical blocks from `pblk`
  // (unwritten: a hole, whatever pblk says). Returns why not, if the mapping
  // overlaps the previous one or points outside the filesystem or evidence.
  std::optional<std::string> add(std::uint64_t lblk, std::uint64_t pblk, std::uint64_t count,
                                 bool unwritten) {
    if (count == 0 || lblk >= nblocks_) return std::nullopt;
    if (lblk < next_lblk_)
      return fmt::format("file block {} is mapped twice (or out of order)", lblk);
    count = std::min(count, nblocks_ - lblk);
    const std::uint64_t begin = lblk * bs_;  // < size: lblk < nblocks
    const std::uint64_t remaining = size_ - begin;
    const std::uint64_t len = count > remaining / bs_ ? remaining : count * bs_;
    if (lblk > next_lblk_) hole(next_lblk_ * bs_, begin - next_lblk_ * bs_);
    next_lblk_ = lblk + count;
    if (unwritten) {
      hole(begin, len);
      return std::nullopt;
    }
    if (pblk < first_data_block_ || pblk >= blocks_count_ || count > blocks_count_ - pblk)
      return fmt::format(
          "file block {} maps to blocks {}..{}, outside the filesystem (blocks {}..{}); not "
          "followed",
          lblk, pblk, pblk + (count - 1), first_data_block_, blocks_count_ - 1);
    if (pblk > ByteRange::kMax / bs_ || len > ByteRange::kMax - pblk * bs_ ||
        pblk * bs_ + len > evidence_size_)
      return fmt::format(
          "file block {} maps to block {}, past the end of the evidence ({} bytes); not followed",
          lblk, pblk, evidence_size_);
    const std::uint64_t at = pblk * bs_;
    if (!runs_.empty()) {
      FileRun& last = runs_.back();
      if (last.image_offset && !last.inline_data && last.file_offset + last.length == begin &&
          *last.image_offset + last.length == at) {
        last.length += len;
        return std::nullopt;
      }
    }
    return push(FileRun{begin, len, at, false});
  }

  // Closes the runs with a hole from the last mapping up to the file size.
  // Returns why the runs cannot be used, if so.
  std::optional<std::string> finish() {
    const std::uint64_t covered = next_lblk_ >= nblocks_ ? size_ : next_lblk_ * bs_;
    if (covered < size_) hole(covered, size_ - covered);
    if (too_many_) return fmt::format("more than {} runs; refusing to describe", kMaxRuns);
    return std::nullopt;
  }
  std::vector<FileRun> take() { return std::move(runs_); }

 private:
  void hole(std::uint64_t at, std::uint64_t len) {
    if (len == 0) return;
    if (!runs_.empty() && runs_.back().hole() && runs_.back().file_offset + runs_.back().length == at) {
      runs_.back().length += len;
      return;
    }
    (void)push(FileRun{at, len, std::nullopt, false});
  }
  std::optional<std::string> push(FileRun r) {
    if (runs_.size() >= kMaxRuns) {
      too_many_ = true;
      return fmt::format("more than {} runs; refusing to describe", kMaxRuns);
    }
    runs_.push_back(r);
    return std::nullopt;
  }

  std::uint64_t size_, bs_, first_data_block_, blocks_count_, evidence_size_, nblocks_;
  std::uint64_t next_lblk_ = 0;
  std::vector<FileRun> runs_;
  bool too_many_ = false;
};

// ---------------------------------------------------------------------------
// The filesystem.

class ExtFs final : public Filesystem {
 public:
  ExtFs(ext2_filsys fs, std::shared_ptr<IoContext> io, FsInfo info, Findings findings)
      : fs_(fs), io_(std::move(io)), info_(std::move(info)), findings_(std::move(findings)) {}
  // ext2fs_free releases memory and closes the channel without flushing
  // anything (ext2fs_close could write a dirty superblock).
  ~ExtFs() override { ext2fs_free(fs_); }

  const FsInfo& info() const override { return info_; }
  const Findings& open_findings() const override { return findings_; }
  void add_open_finding(Finding f) override { findings_.add(std::move(f)); }
  NodeId root() const override { return EXT2_ROOT_INO; }
  evidence::Source* source() const override { return io_->source.get(); }

  Result<Node> stat(NodeId id) override {
    ext2_inode_large inode{};
    if (auto bad = read_inode(id, inode)) return *bad;
    Node n;
    n.id = id;
    n.inode = id;
    n.mode = inode.i_mode;
    n.kind = kind_of_mode(inode.i_mode);
    n.size = EXT2_I_SIZE(&inode);
    n.links = inode.i_links_count;
    n.mtime = static_cast<std::int32_t>(inode.i_mtime);
    const std::size_t inode_size = EXT2_INODE_SIZE(fs_->super);
    constexpr std::size_t need =
        offsetof(ext2_inode_large, i_mtime_extra) + sizeof(inode.i_mtime_extra);
    if (inode_size > EXT2_GOOD_OLD_INODE_SIZE &&
        EXT2_GOOD_OLD_INODE_SIZE + std::size_t{inode.i_extra_isize} >= need &&
        EXT2_GOOD_OLD_INODE_SIZE + std::size_t{inode.i_extra_isize} <= inode_size) {
      // Low 2 bits: epoch (extends seconds past 2038); the rest: nanoseconds.
      n.mtime += static_cast<std::int64_t>(inode.i_mtime_extra & EXT4_EPOCH_MASK) << 32;
      n.mtime_nsec = inode.i_mtime_extra >> EXT4_EPOCH_BITS;
    }
    return n;
  }

  Result<std::vector<Entry>> list(NodeId dir) override {
    auto ino = to_ino(dir);
    if (!ino) return ino.problem();
    struct Walk {
      ExtFs* self;
      std::vector<Entry> entries;
      bool too_many = false;
      bool failed = false;
    } walk{this, {}, false, false};
    auto cb = [](ext2_ino_t, int, ext2_dir_entry* d, int, int, char*, void* priv) -> int {
      auto* w = static_cast<Walk*>(priv);
      try {
        const auto len = static_cast<std::size_t>(ext2fs_dirent_name_len(d));
        std::string name(d->name, len);
        if (name.empty() || name == "." || name == "..") return 0;
        if (w->entries.size() >= kMaxDirEntries) {
          w->too_many = true;
          return DIRENT_ABORT;
        }
        Entry e{std::move(name), d->inode, NodeKind::other};
        if (ext2fs_has_feature_filetype(w->self->fs_->super)) {
          e.kind = kind_of_dirent_type(ext2fs_dirent_file_type(d));
        } else {
          auto n = w->self->stat(d->inode);
          if (n) e.kind = n->kind;
        }
        w->entries.push_back(std::move(e));
        return 0;
      } catch (...) {
        w->failed = true;
        return DIRENT_ABORT;
      }
    };
    io_->last_unreadable.reset();
    const IcacheGuard guard(*this, *ino);
    errcode_t e = ext2fs_dir_iterate2(fs_, *ino, 0, nullptr, cb, &walk);
    if (e) return finding(Code::fs_dir_unreadable, dir, ext_error(e));
    if (walk.too_many)
      return finding(Code::fs_dir_unreadable, dir,
                     fmt::format("more than {} entries; refusing to list", kMaxDirEntries));
    if (walk.failed) return finding(Code::fs_dir_unreadable, dir, "out of memory while listing");
    return std::move(walk.entries);
  }

  Result<std::vector<std::byte>> read(NodeId id, std::uint64_t offset,
                                      std::uint64_t max_len) override {
    auto node = stat(id);
    if (!node) return node.problem();
    if (node->kind == NodeKind::symlink)
      return finding(Code::fs_symlink_not_followed, id, "a symlink is never read");
    if (node->kind != NodeKind::file)
      return finding(Code::fs_file_unreadable, id,
                     fmt::format("not a regular file ({})", to_string(node->kind)));
    std::vector<std::byte> out;
    if (max_len == 0 || offset >= node->size) return out;
    const std::uint64_t want = std::min(max_len, node->size - offset);
    if (want >= kRunsReadMin)
      if (auto r = read_by_runs(id, offset, want)) return std::move(*r);

    ext2_file_t file = nullptr;
    io_->last_unreadable.reset();
    const IcacheGuard guard(*this, static_cast<ext2_ino_t>(id));  // declared before the file: outlives it
    errcode_t e = ext2fs_file_open(fs_, static_cast<ext2_ino_t>(id), 0, &file);
    if (e) return finding(Code::fs_file_unreadable, id, ext_error(e));
    struct Closer {
      ext2_file_t f;
      ~Closer() { ext2fs_file_close(f); }
    } closer{file};
    e = ext2fs_file_llseek(file, offset, EXT2_SEEK_SET, nullptr);
    if (e)
      return finding(Code::fs_file_unreadable, id,
                     fmt::format("seek to {}: {}", offset, ext_error(e)));
    // The buffer grows with the bytes actually read, never with a size the
    // metadata claims.
    std::uint64_t done = 0;
    while (done < want) {
      const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(want - done, kReadChunk));
      out.resize(static_cast<std::size_t>(done) + chunk);
      unsigned int got = 0;
      e = ext2fs_file_read(file, out.data() + done, static_cast<unsigned int>(chunk), &got);
      if (e)
        return finding(Code::fs_file_unreadable, id,
                       fmt::format("at file offset {}: {}", offset + done, ext_error(e)));
      if (got == 0) break;
      done += got;
    }
    out.resize(static_cast<std::size_t>(done));
    return out;
  }

  std::vector<InodeInfo> scan_inodes(const std::function<bool(const InodeInfo&)>& want,
                                     std::uint64_t& skipped_blocks) override {
    skipped_blocks = 0;
    std::vector<InodeInfo> out;
    ext2_inode_scan scan = nullptr;
    if (ext2fs_open_inode_scan(fs_, 0, &scan) != 0) return out;
    ext2fs_inode_scan_flags(scan, EXT2_SF_SKIP_MISSING_ITABLE | EXT2_SF_BAD_EXTRA_BYTES, 0);
    const std::size_t inode_size = EXT2_INODE_SIZE(fs_->super);
    std::vector<std::byte> raw(std::max(inode_size, sizeof(ext2_inode_large)));
    // Every inode at most once: a damaged group count cannot make it loop.
    const std::uint64_t limit = std::uint64_t{fs_->super->s_inodes_count} + 1;
    for (std::uint64_t n = 0; n < limit; ++n) {
      ext2_ino_t ino = 0;
      errcode_t e = ext2fs_get_next_inode_full(scan, &ino, reinterpret_cast<ext2_inode*>(raw.data()),
                                               static_cast<int>(inode_size));
      if (e == EXT2_ET_BAD_BLOCK_IN_INODE_TABLE) {
        ++skipped_blocks;
        continue;
      }
      if (e != 0 || ino == 0) break;
      if (ino < EXT2_FIRST_INO(fs_->super)) continue;  // reserved: journal, resize, quota
      ext2_inode_large inode{};
      std::memcpy(&inode, raw.data(), std::min(inode_size, sizeof inode));
      const NodeKind kind = kind_of_mode(inode.i_mode);
      if (kind != NodeKind::file && kind != NodeKind::directory) continue;
      const InodeInfo info{ino, kind, EXT2_I_SIZE(&inode), inode.i_links_count,
                           static_cast<std::int64_t>(inode.i_dtime)};
      if ((kind == NodeKind::file && info.size == 0) || !want(info)) continue;
      out.push_back(info);
    }
    ext2fs_close_inode_scan(scan);
    return out;
  }

  Result<std::vector<ByteRange>> free_space() override {
    if (!fs_->block_map) {
      io_->last_unreadable.reset();
      // Read-only as ever: the bitmap is only loaded into memory.
      if (errcode_t e = ext2fs_read_block_bitmap(fs_))
        return finding(Code::fs_bitmap_unreadable, root(), ext_error(e));
    }
    std::vector<ByteRange> out;
    const blk64_t first = fs_->super->s_first_data_block;
    const blk64_t count = ext2fs_blocks_count(fs_->super);
    const std::uint64_t bs = fs_->blocksize, evidence = io_->source->size();
    if (count == 0 || first >= count) return out;
    const blk64_t last = count - 1;
    for (blk64_t at = first; at <= last;) {
      blk64_t zero = 0, set = 0;
      if (ext2fs_find_first_zero_block_bitmap2(fs_->block_map, at, last, &zero) != 0) break;
      const blk64_t end =
          ext2fs_find_first_set_block_bitmap2(fs_->block_map, zero, last, &set) == 0 ? set : last + 1;
      if (zero >= end) break;  // cannot happen with a sane bitmap; never loop
      const ByteRange r = ByteRange{zero * bs, (end - zero) * bs}.clamped_to(evidence);
      if (!r.empty()) out.push_back(r);
      if (r.end() >= evidence) break;
      at = end;
    }
    return out;
  }

  Result<std::vector<FileRun>> file_runs(NodeId id) override {
    auto ino = to_ino(id);
    if (!ino) return ino.problem();
    // The whole on-disk inode: inline data may continue in its xattr area.
    const std::size_t inode_size = EXT2_INODE_SIZE(fs_->super);
    std::vector<std::byte> raw(std::max(inode_size, sizeof(ext2_inode_large)));
    io_->last_unreadable.reset();
    errcode_t e = read_inode_checked(*ino, reinterpret_cast<ext2_inode*>(raw.data()),
                                     static_cast<int>(inode_size));
    if (e) return finding(Code::fs_inode_unreadable, id, ext_error(e));
    ext2_inode_large inode{};
    std::memcpy(&inode, raw.data(), std::min(inode_size, sizeof inode));
    const NodeKind kind = kind_of_mode(inode.i_mode);
    if (kind == NodeKind::symlink)
      return finding(Code::fs_symlink_not_followed, id, "a symlink is never read");
    if (kind != NodeKind::file)
      return finding(Code::fs_file_unreadable, id,
                     fmt::format("not a regular file ({})", to_string(kind)));
    const std::uint64_t size = EXT2_I_SIZE(&inode);
    if (size == 0) return std::vector<FileRun>{};
    if (inode.i_flags & EXT4_INLINE_DATA_FL) return inline_runs(id, raw, inode_size, size);

    RunBuilder runs(size, fs_->blocksize, fs_->super->s_first_data_block,
                    ext2fs_blocks_count(fs_->super), io_->source->size());
    std::optional<std::string> bad;
    io_->last_unreadable.reset();
    if (inode.i_flags & EXT4_EXTENTS_FL) {
      ext2_extent_handle_t handle = nullptr;
      e = ext2fs_extent_open2(fs_, *ino, reinterpret_cast<ext2_inode*>(&inode), &handle);
      if (e) return finding(Code::fs_file_unreadable, id, "extent tree: " + ext_error(e));
      struct Closer {
        ext2_extent_handle_t h;
        ~Closer() { ext2fs_extent_free(h); }
      } closer{handle};
      // Every extent covers at least one block and every node is visited at
      // most twice; beyond that (and some slack for extents preallocated
      // past the end of the file) the tree is damaged, maybe looping.
      const std::uint64_t max_visits =
          3 * std::min<std::uint64_t>(runs.blocks_needed(), 1u << 30) + 65536;
      std::uint64_t visits = 0;
      ext2fs_extent ext{};
      e = ext2fs_extent_get(handle, EXT2_EXTENT_ROOT, &ext);
      while (e == 0 && !bad) {
        if (++visits > max_visits) {
          bad = fmt::format("extent tree has more than {} nodes for {} blocks", max_visits,
                            runs.blocks_needed());
          break;
        }
        if ((ext.e_flags & EXT2_EXTENT_FLAGS_LEAF) &&
            !(ext.e_flags & EXT2_EXTENT_FLAGS_SECOND_VISIT)) {
          // Past the file size: ignored (add() does), but the walk goes on,
          // so a damaged tree's out-of-order leaf is still seen.
          bad = runs.add(ext.e_lblk, ext.e_pblk, ext.e_len,
                         (ext.e_flags & EXT2_EXTENT_FLAGS_UNINIT) != 0);
        }
        if (!bad) e = ext2fs_extent_get(handle, EXT2_EXTENT_NEXT, &ext);
      }
      if (e && e != EXT2_ET_EXTENT_NO_NEXT)
        return finding(Code::fs_file_unreadable, id, "extent tree: " + ext_error(e));
    } else {
      struct Walk {
        RunBuilder* runs;
        std::optional<std::string>* bad;
      } walk{&runs, &bad};
      auto cb = [](ext2_filsys, blk64_t* blocknr, e2_blkcnt_t blockcnt, blk64_t, int,
                   void* priv) -> int {
        auto* w = static_cast<Walk*>(priv);
        if (blockcnt < 0) return 0;  // an indirect block (not asked for)
        const auto lblk = static_cast<std::uint64_t>(blockcnt);
        if (lblk >= w->runs->blocks_needed()) return BLOCK_ABORT;  // block maps go in file order
        try {
          *w->bad = w->runs->add(lblk, *blocknr, 1, false);
        } catch (...) {
          *w->bad = "out of memory";
        }
        return *w->bad ? BLOCK_ABORT : 0;
      };
      e = ext2fs_block_iterate3(fs_, *ino, BLOCK_FLAG_READ_ONLY | BLOCK_FLAG_DATA_ONLY, nullptr,
                                cb, &walk);
      if (e && !bad) return finding(Code::fs_file_unreadable, id, "block map: " + ext_error(e));
    }
    if (!bad) bad = runs.finish();
    if (bad) return finding(Code::fs_file_unreadable, id, std::move(*bad));
    return runs.take();
  }

 private:
  // A large read (a cyrus.cache, a big cyrus.index): the file's block runs
  // from libext2fs, the bytes straight from the evidence in large reads
  // (ext2fs_file_read asks for one block at a time: 69 k reads for the
  // metadata of a 300 k-message spool). nullopt: the runs are not plain
  // (inline data, or not computable): the caller reads through libext2fs,
  // which also names the problem.
  std::optional<Result<std::vector<std::byte>>> read_by_runs(NodeId id, std::uint64_t offset,
                                                             std::uint64_t want) {
    // Never a buffer larger than the evidence, whatever the inode claims.
    if (want > io_->source->size()) return std::nullopt;
    auto runs = file_runs(id);
    if (!runs) return std::nullopt;
    for (const auto& r : *runs)
      if (r.inline_data) return std::nullopt;
    constexpr std::size_t kChunk = 4u << 20;
    if (!bounce_) {  // kept for the next large read: not faulted in again for every mailbox
      try {
        bounce_ = aligned_bytes(kChunk);
      } catch (const std::bad_alloc&) {
        return std::nullopt;
      }
    }
    std::byte* const bounce = bounce_.get();
    std::vector<std::byte> out(static_cast<std::size_t>(want));
    const std::uint64_t end = offset + want;
    for (const auto& r : *runs) {
      const std::uint64_t from = std::max(offset, r.file_offset);
      const std::uint64_t to = std::min(end, r.file_offset + r.length);
      if (from >= to) continue;
      std::byte* dst = out.data() + (from - offset);
      if (!r.image_offset) {  // a hole, or an unwritten extent
        std::memset(dst, 0, static_cast<std::size_t>(to - from));
        continue;
      }
      for (std::uint64_t at = from; at < to;) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, to - at));
        const std::uint64_t img = *r.image_offset + (at - r.file_offset);
        io_->last_unreadable.reset();
        auto got = io_->source->read_at(img, std::span<std::byte>(bounce, n));
        if (!got || *got < n) {
          ++io_->failed_reads;
          const std::uint64_t ok = got ? *got : 0;
          io_->last_unreadable = ByteRange{img + ok, n - ok};
          io_->last_error = got ? "past the end of the evidence" : got.problem().describe();
          return Result<std::vector<std::byte>>(
              finding(Code::fs_file_unreadable, id, fmt::format("at file offset {}: read failed", at + ok)));
        }
        std::memcpy(dst + (at - from), bounce, n);
        at += n;
      }
    }
    return Result<std::vector<std::byte>>(std::move(out));
  }

  // An inline_data file: the first bytes (up to 60) in i_block, the rest in
  // the value of the in-inode xattr system.data. Both lie in the inode table.
  Result<std::vector<FileRun>> inline_runs(NodeId id, const std::vector<std::byte>& raw,
                                           std::size_t inode_size, std::uint64_t size) {
    // Where the inode lies in the evidence, if that can be said.
    std::optional<std::uint64_t> inode_at;
    const std::uint64_t per_group = EXT2_INODES_PER_GROUP(fs_->super);
    const std::uint64_t bs = fs_->blocksize;
    if (per_group != 0) {
      const auto group = static_cast<dgrp_t>((id - 1) / per_group);
      const std::uint64_t index = (id - 1) % per_group;
      const std::uint64_t table = ext2fs_inode_table_loc(fs_, group);
      if (table >= fs_->super->s_first_data_block && table < ext2fs_blocks_count(fs_->super) &&
          table <= ByteRange::kMax / bs) {
        const ByteRange at{table * bs + index * inode_size, inode_size};
        if (at.end() != ByteRange::kMax && at.end() <= io_->source->size()) inode_at = at.offset;
      }
    }
    auto offset_in_inode = [&](std::size_t off) -> std::optional<std::uint64_t> {
      if (!inode_at) return std::nullopt;
      return *inode_at + off;
    };
    constexpr std::size_t kInBlock = sizeof(ext2_inode{}.i_block);  // 60 bytes
    std::vector<FileRun> out;
    const std::uint64_t first = std::min<std::uint64_t>(size, kInBlock);
    out.push_back(FileRun{0, first, offset_in_inode(offsetof(ext2_inode, i_block)), true});
    if (size == first) return out;

    // The rest: in-inode xattr area = after the extra inode fields, a magic
    // then entries; a value's offset counts from the first entry.
    const std::uint64_t rest = size - first;
    auto le16 = [&](std::size_t o) {
      return static_cast<std::uint16_t>(std::to_integer<unsigned>(raw[o]) |
                                        std::to_integer<unsigned>(raw[o + 1]) << 8);
    };
    auto le32 = [&](std::size_t o) {
      return static_cast<std::uint32_t>(le16(o)) | static_cast<std::uint32_t>(le16(o + 2)) << 16;
    };
    std::string why = "no system.data attribute in the inode";
    if (inode_size > EXT2_GOOD_OLD_INODE_SIZE + 4) {
      const std::size_t area = EXT2_GOOD_OLD_INODE_SIZE + le16(EXT2_GOOD_OLD_INODE_SIZE + 0);
      // i_extra_isize is the first field after the 128-byte base inode.
      if (area + 4 <= inode_size && le32(area) == EXT2_EXT_ATTR_MAGIC) {
        const std::size_t entries = area + 4;
        std::size_t p = entries;
        constexpr std::size_t kEntry = sizeof(ext2_ext_attr_entry);
        while (p + kEntry <= inode_size && le32(p) != 0) {
          const std::size_t name_len = std::to_integer<std::size_t>(raw[p]);
          const unsigned name_index = std::to_integer<unsigned>(raw[p + 1]);
          const std::size_t value_offs = le16(p + 2);
          const std::uint32_t value_inum = le32(p + 4);
          const std::uint32_t value_size = le32(p + 8);
          const std::size_t next = p + ((name_len + kEntry + 3) & ~std::size_t{3});
          if (next > inode_size) break;
          constexpr unsigned kSystemData = 7;  // EXT4_XATTR_INDEX_SYSTEM_DATA
          if (name_index == kSystemData && name_len == 4 &&
              std::memcmp(raw.data() + p + kEntry, "data", 4) == 0) {
            if (value_size < rest) {
              why = fmt::format("system.data holds {} bytes, the file needs {} more after i_block",
                                value_size, rest);
              break;
            }
            std::optional<std::uint64_t> at;
            if (value_inum == 0 && entries + value_offs + rest <= inode_size)
              at = offset_in_inode(entries + value_offs);
            out.push_back(FileRun{first, rest, at, true});
            return out;
          }
          p = next;
        }
      }
    }
    return finding(Code::fs_file_unreadable, id,
                   fmt::format("inline data: {} bytes past i_block not found: {}", rest, why));
  }

  Result<ext2_ino_t> to_ino(NodeId id) const {
    if (id == 0 || id > fs_->super->s_inodes_count)
      return Finding{
          Code::fs_inode_unreadable, place(id),
          fmt::format("no such inode (the filesystem has 1..{})", fs_->super->s_inodes_count)};
    return static_cast<ext2_ino_t>(id);
  }

  std::optional<Finding> read_inode(NodeId id, ext2_inode_large& inode) {
    auto ino = to_ino(id);
    if (!ino) return ino.problem();
    io_->last_unreadable.reset();
    errcode_t e = read_inode_checked(*ino, reinterpret_cast<ext2_inode*>(&inode), sizeof inode);
    if (e) return finding(Code::fs_inode_unreadable, id, ext_error(e));
    return std::nullopt;
  }

  // ext2fs_read_inode_full, guarding against a libext2fs 1.47 behaviour: when
  // an inode fails its checksum (read anyway, EXT2_FLAG_IGNORE_CSUM_ERRORS),
  // its bytes have already been copied into the next inode-cache slot while
  // that slot keeps the number of the inode it held — a later read of that
  // other inode then returns this one's garbage. Found by the corruption
  // campaign (an intact neighbour of a garbled inode-table block read as
  // "not a regular file"). After a checksum failure the cache is flushed.
  //
  // The whole on-disk inode is read (the checksum covers all of it: a
  // shorter buffer made the check read past it), and the last inodes read
  // are kept: a mailbox's files are stat'ed, then their runs asked for, and
  // on an aged disk each inode lies in a table block of its own (a 300k
  // check read its inode-table blocks 2.6 times each, 2.7 GiB).
  errcode_t read_inode_checked(ext2_ino_t ino, ext2_inode* inode, int size) {
    const std::size_t full = std::max<std::size_t>(EXT2_INODE_SIZE(fs_->super), sizeof(ext2_inode_large));
    const std::size_t want = std::min<std::size_t>(full, static_cast<std::size_t>(std::max(size, 0)));
    if (const std::byte* hit = inodes_.find(ino)) {
      std::memcpy(inode, hit, want);
      return 0;
    }
    std::vector<std::byte> raw(full);
    errcode_t e = ext2fs_read_inode_full(fs_, ino, reinterpret_cast<ext2_inode*>(raw.data()),
                                         static_cast<int>(full));
    if (e) return e;
    if (ext2fs_has_feature_metadata_csum(fs_->super) &&
        !ext2fs_inode_csum_verify(fs_, ino, reinterpret_cast<ext2_inode_large*>(raw.data())))
      ext2fs_flush_icache(fs_);
    std::memcpy(inode, raw.data(), want);
    inodes_.put(ino, std::move(raw));
    return 0;
  }

  // The last inodes read, whole, by number (first in, first out).
  class InodeCache {
   public:
    static constexpr std::size_t kInodes = 4096;  // about 1.3 MB
    const std::byte* find(ext2_ino_t ino) const {
      auto it = where_.find(ino);
      return it == where_.end() ? nullptr : ring_[it->second].second.data();
    }
    void put(ext2_ino_t ino, std::vector<std::byte> raw) {
      if (where_.count(ino)) return;
      if (ring_.size() < kInodes) {
        where_[ino] = ring_.size();
        ring_.emplace_back(ino, std::move(raw));
        return;
      }
      where_.erase(ring_[next_].first);
      ring_[next_] = {ino, std::move(raw)};
      where_[ino] = next_;
      next_ = (next_ + 1) % kInodes;
    }

   private:
    std::vector<std::pair<ext2_ino_t, std::vector<std::byte>>> ring_;
    std::unordered_map<ext2_ino_t, std::size_t> where_;
    std::size_t next_ = 0;
  };

  // The same libext2fs behaviour through the calls that read an inode
  // themselves (ext2fs_dir_iterate2, ext2fs_file_open): around such a call
  // on an inode that fails its checksum, the cache is flushed before and
  // after. Found by the corruption campaign once the lost-mail search read
  // files no directory names (the root then read as "not a directory").
  class IcacheGuard {
   public:
    IcacheGuard(ExtFs& fs, ext2_ino_t ino) : fs_(fs.fs_) {
      if (!ext2fs_has_feature_metadata_csum(fs_->super)) return;
      ext2_inode_large inode{};
      if (ext2fs_read_inode_full(fs_, ino, reinterpret_cast<ext2_inode*>(&inode), sizeof inode) == 0 &&
          !ext2fs_inode_csum_verify(fs_, ino, &inode)) {
        bad_ = true;
        ext2fs_flush_icache(fs_);
      }
    }
    ~IcacheGuard() {
      if (bad_) ext2fs_flush_icache(fs_);
    }
    IcacheGuard(const IcacheGuard&) = delete;
    IcacheGuard& operator=(const IcacheGuard&) = delete;

   private:
    ext2_filsys fs_;
    bool bad_ = false;
  };

  std::string place(NodeId id) const { return fmt::format("{}: inode {}", info_.source, id); }

  // A finding naming the inode, with the evidence range that failed (if a
  // read from the evidence was the cause).
  Finding finding(Code c, NodeId id, std::string detail) const {
    if (io_->last_unreadable) {
      detail += fmt::format(" [evidence bytes {}..{} unreadable: {}]", io_->last_unreadable->offset,
                            io_->last_unreadable->end(), io_->last_error);
    }
    return Finding{c, place(id), std::move(detail)};
  }

  ext2_filsys fs_;
  std::shared_ptr<IoContext> io_;
  FsInfo info_;
  Findings findings_;
  AlignedBytes bounce_;  // read_by_runs' aligned buffer
  InodeCache inodes_;
};

bool uuid_is_null_bytes(const __u8 (&u)[16]) {
  return std::all_of(std::begin(u), std::end(u), [](__u8 c) { return c == 0; });
}

// One ext2fs_open2 attempt through the Source.
errcode_t try_open(const std::shared_ptr<IoContext>& ctx, int flags, std::uint64_t superblock,
                   std::uint32_t block_size, ext2_filsys* out) {
  Registration reg(ctx);
  *out = nullptr;
  return ext2fs_open2(reg.name().c_str(), nullptr, flags, static_cast<int>(superblock),
                      static_cast<unsigned int>(block_size), source_io_manager(), out);
}

// libext2fs 1.47.0 (Debian 12) is not safe on every superblock it is told to
// take as found (EXT2_FLAG_IGNORE_SB_ERRORS, which a damaged disk needs): the
// fuzz harness over whole images (fuzz/ext_image_fuzz.cpp) found geometry
// that makes ext2fs_open2 divide by zero. So the superblock candidates are
// first tried in a child process, with the default action for the crash
// signals and a time limit per attempt; it reports each attempt through a
// pipe. A candidate the child died or hung on is marked and a new child goes
// on from the next one. Here, only the candidate a child opened is opened.
// One child costs about a millisecond (fork is copy-on-write); open_ext runs
// before any worker thread exists, so a child inherits no held lock.
constexpr int kTrialLimitMs = 30'000;  // per attempt

struct Candidate {
  std::uint64_t superblock = 0;  // 0: the primary
  std::uint32_t block_size = 0;  // 0: as the superblock says
};

struct Trial {
  errcode_t error = 0;  // of the attempt (without EXT2_FLAG_FORCE unless `forced`)
  bool forced = false;  // opened only with EXT2_FLAG_FORCE (unknown features)
  std::string crashed;  // non-empty: libext2fs crashed or hung; why
};

// What a child writes per attempt: a start record, then a result record.
struct TrialRecord {
  std::uint32_t index = 0;
  std::uint32_t done = 0;
  std::int64_t error = 0;
  std::uint32_t forced = 0;
};

// One candidate, then again with EXT2_FLAG_FORCE if it has features this
// libext2fs does not know. Returns the first error (0 when opened plainly);
// `forced`: opened only with EXT2_FLAG_FORCE.
errcode_t open_candidate(const std::shared_ptr<IoContext>& ctx, int flags, const Candidate& c,
                         ext2_filsys* out, bool& forced) {
  forced = false;
  const errcode_t e = try_open(ctx, flags, c.superblock, c.block_size, out);
  if (e == EXT2_ET_UNSUPP_FEATURE)
    forced = try_open(ctx, flags | EXT2_FLAG_FORCE, c.superblock, c.block_size, out) == 0;
  return e;
}

[[noreturn]] void trial_child(const std::shared_ptr<IoContext>& ctx, int flags,
                              const std::vector<Candidate>& cands, std::size_t from, int fd) {
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);  // a crash here must not leave a core file
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP}) std::signal(sig, SIG_DFL);
  for (std::size_t i = from; i < cands.size(); ++i) {
    TrialRecord r;
    r.index = static_cast<std::uint32_t>(i);
    if (::write(fd, &r, sizeof r) != sizeof r) ::_exit(2);
    ext2_filsys fs = nullptr;
    bool forced = false;
    r.error = open_candidate(ctx, flags, cands[i], &fs, forced);
    r.done = 1;
    r.forced = forced ? 1 : 0;
    if (fs != nullptr) ext2fs_free(fs);
    if (::write(fd, &r, sizeof r) != sizeof r) ::_exit(2);
    if (r.error == 0 || forced) break;
  }
  ::_exit(0);
}

// Tries candidates from `from` on, in order (in children), until one opens;
// fills `trials` (one per candidate) for each attempted. Returns the index of
// the one that opened, or cands.size(). When no child can be made, or one
// stops between attempts, returns the next candidate untried: the caller
// then attempts that one unguarded.
std::size_t trial_candidates(const std::shared_ptr<IoContext>& ctx, int flags,
                             const std::vector<Candidate>& cands, std::size_t from,
                             std::vector<Trial>& trials) {
  while (from < cands.size()) {
    int fds[2];
    if (::pipe(fds) != 0) return from;
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::close(fds[0]);
      ::close(fds[1]);
      return from;
    }
    if (pid == 0) {
      ::close(fds[0]);
      trial_child(ctx, flags, cands, from, fds[1]);
    }
    ::close(fds[1]);
    constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
    std::size_t started = kNone;  // attempt under way in the child
    std::optional<std::size_t> opened;
    bool hung = false;
    std::size_t last_done = from;  // next candidate not yet finished
    for (;;) {
      pollfd pfd{fds[0], POLLIN, 0};
      const int pr = ::poll(&pfd, 1, kTrialLimitMs);
      if (pr < 0 && errno == EINTR) continue;
      if (pr == 0) {
        hung = true;
        ::kill(pid, SIGKILL);
        break;
      }
      TrialRecord r;
      const ssize_t n = ::read(fds[0], &r, sizeof r);
      if (n < 0 && errno == EINTR) continue;
      if (n != static_cast<ssize_t>(sizeof r) || r.index >= cands.size()) break;  // EOF: exited
      if (!r.done) {
        started = r.index;
        continue;
      }
      started = kNone;
      trials[r.index].error = static_cast<errcode_t>(r.error);
      trials[r.index].forced = r.forced != 0;
      last_done = r.index + 1;
      if (r.error == 0 || r.forced) opened = r.index;
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (opened) return *opened;
    if (started == kNone) {
      if (last_done >= cands.size()) return cands.size();
      return last_done;  // the child stopped between attempts: try that one here, unguarded
    }
    std::string& why = trials[started].crashed;
    if (hung)
      why = fmt::format("libext2fs did not finish opening it within {} s", kTrialLimitMs / 1000);
    else if (WIFSIGNALED(status))
      why = fmt::format("libext2fs crashed opening it (signal {}: {})", WTERMSIG(status),
                        ::strsignal(WTERMSIG(status)));
    else
      why = fmt::format("libext2fs failed opening it (wait status {:#x})", status);
    from = started + 1;
  }
  return cands.size();
}

FsInfo describe(const ext2_filsys fs, const evidence::Source& src, std::uint64_t sb_block) {
  const ext2_super_block& sb = *fs->super;
  FsInfo info;
  info.source = src.name();
  info.type = fs_type(sb);
  info.block_size = static_cast<std::uint32_t>(fs->blocksize);
  info.blocks_count = ext2fs_blocks_count(fs->super);
  info.inodes_count = sb.s_inodes_count;
  info.free_blocks = ext2fs_free_blocks_count(fs->super);
  info.free_inodes = sb.s_free_inodes_count;
  info.uuid = format_uuid(sb.s_uuid);
  info.label = format_label(sb.s_volume_name, sizeof sb.s_volume_name);
  info.superblock = sb_block == 0 ? "primary" : "backup";
  info.superblock_block = sb_block;
  info.features = feature_names(sb);
  info.has_journal = ext2fs_has_feature_journal(fs->super);
  info.journal_needs_recovery = ext2fs_has_feature_journal_needs_recovery(fs->super);
  info.last_mount_time = time_with_hi(sb.s_mtime, sb.s_mtime_hi);
  info.last_write_time = time_with_hi(sb.s_wtime, sb.s_wtime_hi);
  return info;
}

}  // namespace

Result<std::unique_ptr<Filesystem>> open_ext(std::shared_ptr<evidence::Source> source,
                                             bool replay_journal) {
  if (!source) return Finding{Code::evidence_unreadable, "", "no evidence source"};
  const std::string name = source->name();
  const std::uint64_t size = source->size();
  if (size == 0) return Finding{Code::evidence_empty, name, {}};

  auto ctx = std::make_shared<IoContext>();
  ctx->source = source;
  // Permissive and read-only: no EXT2_FLAG_RW, ever.
  int flags = EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP | EXT2_FLAG_IGNORE_CSUM_ERRORS |
              EXT2_FLAG_IGNORE_SB_ERRORS;
  Findings findings;

  std::vector<Candidate> cands{Candidate{}};
  for (auto [bs, block] : backup_candidates(size)) cands.push_back(Candidate{block, bs});
  std::vector<Trial> trials(cands.size());
  ext2_filsys fs = nullptr;
  std::size_t chosen = 0;
  for (std::size_t next = 0; next < cands.size(); next = chosen + 1) {
    chosen = trial_candidates(ctx, flags, cands, next, trials);
    if (chosen >= cands.size()) break;
    bool forced = false;
    const errcode_t e = open_candidate(ctx, flags, cands[chosen], &fs, forced);
    trials[chosen].error = e;
    trials[chosen].forced = forced;
    if (e == 0 || forced) break;
    fs = nullptr;
  }
  const auto error_of = [&](std::size_t i) {
    return trials[i].crashed.empty() ? ext_error(trials[i].error) : trials[i].crashed;
  };
  if (fs != nullptr && trials[chosen].forced) {
    findings.add(Code::fs_features_forced, name, ext_error(trials[chosen].error));
  }
  std::uint64_t sb_block = 0;
  if (fs != nullptr && chosen > 0) {
    sb_block = cands[chosen].superblock;
    findings.add(Code::fs_backup_superblock, name,
                 fmt::format("block {} (block size {}); primary: {}", sb_block,
                             cands[chosen].block_size, error_of(0)));
  }
  if (fs == nullptr) {
    const std::size_t tried = cands.size() - 1;
    std::size_t crashed = 0;
    for (std::size_t i = 1; i < trials.size(); ++i) if (!trials[i].crashed.empty()) ++crashed;
    std::string detail = fmt::format(
        "primary superblock: {}; {} backup superblock locations tried (block sizes "
        "1024..65536, groups 1, 3, 5, 7, 9, 25, 27, ...): none usable",
        error_of(0), tried);
    if (crashed > 0) detail += fmt::format(" ({} of them crashed or hung libext2fs)", crashed);
    const errcode_t primary = trials[0].error;
    const bool looks_ext = !trials[0].crashed.empty() ||
                           (primary != EXT2_ET_BAD_MAGIC && primary != EXT2_ET_SHORT_READ);
    return Finding{looks_ext ? Code::fs_open_failed : Code::fs_not_ext, name, std::move(detail)};
  }
  if (fs->super->s_magic != EXT2_SUPER_MAGIC) {  // a journal device opened by FORCE, etc.
    ext2fs_free(fs);
    return Finding{Code::fs_not_ext, name, "superblock has no ext2 magic"};
  }

  FsInfo info = describe(fs, *source, sb_block);
  const ext2_super_block& sb = *fs->super;

  // Relaxations, in the order they apply.
  if (ext2fs_has_feature_metadata_csum(fs->super) || ext2fs_has_feature_gdt_csum(fs->super)) {
    std::string detail = "checksum errors are not fatal while reading";
    if (ext2fs_has_feature_metadata_csum(fs->super) &&
        !ext2fs_superblock_csum_verify(fs, fs->super))
      detail += "; the superblock checksum does not match";
    findings.add(Code::fs_checksums_ignored, name, std::move(detail));
  }
  findings.add(Code::fs_bitmaps_unread, name, {});
  if (ext2fs_has_feature_mmp(fs->super))
    findings.add(Code::fs_mmp_skipped, name, fmt::format("MMP block {}", sb.s_mmp_block));

  // Facts about the state the filesystem was left in.
  if (info.journal_needs_recovery) findings.add(Code::fs_journal_needs_recovery, name, {});
  if (!(sb.s_state & EXT2_VALID_FS)) findings.add(Code::fs_not_clean, name, {});
  if ((sb.s_state & EXT2_ERROR_FS) || sb.s_error_count > 0)
    findings.add(Code::fs_errors_flag, name, fmt::format("{} errors recorded", sb.s_error_count));

  // Damage to the image itself.
  const std::uint64_t fs_bytes = info.blocks_count > ByteRange::kMax / info.block_size
                                     ? ByteRange::kMax
                                     : info.blocks_count * info.block_size;
  if (fs_bytes > size)
    findings.add(Code::fs_truncated, name,
                 fmt::format("filesystem is {} bytes ({} blocks of {}), the image {} bytes; {} "
                             "bytes missing",
                             fs_bytes, info.blocks_count, info.block_size, size, fs_bytes - size));

  const bool replay = replay_journal && info.journal_needs_recovery && info.has_journal;
  const std::uint32_t journal_inode = sb.s_journal_inum;
  const bool external = !uuid_is_null_bytes(sb.s_journal_uuid) && journal_inode == 0;
  const std::uint32_t block_size = info.block_size;
  auto opened = std::make_unique<ExtFs>(fs, std::move(ctx), std::move(info), std::move(findings));
  if (!replay) return std::unique_ptr<Filesystem>(std::move(opened));
  if (journal_inode == 0 || external) {
    opened->add_open_finding(Finding{Code::fs_journal_not_replayed, name,
                                     "an external journal device: give --no-journal, or image "
                                     "the journal device too"});
    return std::unique_ptr<Filesystem>(std::move(opened));
  }
  // The committed transactions, replayed into an overlay; then the
  // filesystem opened again through it (the superblock itself may be there).
  auto plan = plan_journal_replay(*opened, journal_inode, block_size);
  if (!plan) {
    opened->add_open_finding(plan.problem());
    return std::unique_ptr<Filesystem>(std::move(opened));
  }
  if (plan->blocks.empty()) {
    opened->add_open_finding(Finding{Code::fs_journal_not_replayed, name,
                                     fmt::format("no committed transaction in the journal ({} "
                                                 "uncommitted blocks)",
                                                 plan->uncommitted_blocks)});
    return std::unique_ptr<Filesystem>(std::move(opened));
  }
  const std::string what = fmt::format(
      "{} transactions (sequence {}..{}), {} blocks{}{}{}", plan->transactions,
      plan->first_sequence, plan->last_sequence, plan->blocks.size(),
      plan->revoked ? fmt::format(", {} copies revoked", plan->revoked) : "",
      plan->uncommitted_blocks ? fmt::format(", {} uncommitted blocks left out", plan->uncommitted_blocks) : "",
      plan->features.empty() ? "" : fmt::format("; journal features: {}", plan->features));
  auto again = open_ext(open_replayed(source, std::move(*plan)), false);
  if (!again) {
    opened->add_open_finding(Finding{Code::fs_journal_not_replayed, name,
                                     "opening with the journal replayed failed: " +
                                         again.problem().detail});
    return std::unique_ptr<Filesystem>(std::move(opened));
  }
  (*again)->add_open_finding(Finding{Code::fs_journal_needs_recovery, name, {}});
  (*again)->add_open_finding(Finding{Code::fs_journal_replayed, name, what});
  return again;
}

}  // namespace ss::fs
