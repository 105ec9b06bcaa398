// An image file or block device, read with pread on an O_RDONLY descriptor.
//
// Large reads of bytes not in the page cache go around it (a second O_RDONLY
// descriptor with O_DIRECT): on a cold disk, copying every block through the
// page cache cost more kernel time than the disk took to deliver it (a
// buffered `dd` of a 12 GB image: 13 s, 12 of them in the kernel; with
// iflag=direct: 5 s). Bytes that are cached are read from the cache: the
// residency of the range is asked with mincore over a read-only mapping of
// the evidence, which reads nothing.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "core/aligned.hpp"
#include "evidence/source.hpp"

namespace ss::evidence {
namespace {

// Safe to read from two threads at once (libext2fs's metadata reads on one,
// the bulk reader's on another): pread needs no lock; the counters and the
// lazily opened O_DIRECT descriptor and mapping are guarded.
class ImageFile final : public Source {
 public:
  ImageFile(std::string name, int fd, std::uint64_t size, SourceKind kind)
      : name_(std::move(name)), fd_(fd), size_(size), kind_(kind) {}
  ~ImageFile() override {
    if (map_ != nullptr) ::munmap(map_, static_cast<std::size_t>(size_));
    if (direct_fd_ >= 0) ::close(direct_fd_);
    ::close(fd_);
  }

  const std::string& name() const override { return name_; }
  SourceKind kind() const override { return kind_; }
  std::uint64_t size() const override { return size_; }
  const ReadStats& stats() const override {
    std::lock_guard lock(m_);
    snapshot_ = stats_;
    return snapshot_;
  }

  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::byte> out) override {
    if (offset >= size_ || out.empty()) {
      if (!out.empty()) count([](ReadStats& s) { ++s.short_reads; });
      return std::size_t{0};
    }
    std::size_t want = out.size();
    const bool cut = want > size_ - offset;
    if (cut) want = static_cast<std::size_t>(size_ - offset);
    std::size_t done = 0;
    while (done < want) {
      ssize_t n = ::pread(fd_, out.data() + done, want - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        const int e = errno;
        count([&](ReadStats& s) {
          ++s.reads;
          s.short_reads += cut;
          ++s.errors;
        });
        return Finding{Code::evidence_read_error, name_,
                       fmt::format("offset {} length {}: {}", offset + done, want - done, std::strerror(e))};
      }
      if (n == 0) break;  // the file shrank under us
      done += static_cast<std::size_t>(n);
    }
    count([&](ReadStats& s) {
      ++s.reads;
      s.short_reads += cut;
      s.bytes_read += done;
    });
    return done;
  }

  Result<std::size_t> read_once_at(std::uint64_t offset, std::span<std::byte> out) override {
    if (offset < size_ && std::min<std::uint64_t>(out.size(), size_ - offset) >= kDirectMin) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), size_ - offset));
      if (auto d = read_direct(offset, out.first(want))) {
        count([&](ReadStats& s) {
          ++s.reads;
          s.short_reads += want < out.size();
          if (!*d) {
            ++s.errors;
          } else {
            s.bytes_read += **d;
            ++s.direct_reads;
          }
        });
        return std::move(*d);
      }
    }
    return read_at(offset, out);
  }

 private:
  static constexpr std::size_t kDirectMin = 128 << 10;  // smaller reads always go through the cache
  static constexpr std::size_t kMaxAlign = kDirectAlign;  // what any device asks for at most

  template <class F>
  void count(F f) {
    std::lock_guard lock(m_);
    f(stats_);
  }

  // Whether every page of [offset, offset + len) is in the page cache.
  bool resident(std::uint64_t offset, std::size_t len) {
    {
      std::lock_guard lock(m_);
      if (!mapped_) {
        mapped_ = true;
        void* m = ::mmap(nullptr, static_cast<std::size_t>(size_), PROT_READ, MAP_SHARED, fd_, 0);
        map_ = m == MAP_FAILED ? nullptr : m;
      }
    }
    if (map_ == nullptr) return false;
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t first = offset / page * page;
    const std::uint64_t end = std::min<std::uint64_t>(size_, offset + len);
    std::vector<unsigned char> residency(static_cast<std::size_t>((end - first + page - 1) / page));
    if (::mincore(static_cast<char*>(map_) + first, static_cast<std::size_t>(end - first),
                  residency.data()) != 0)
      return false;
    for (unsigned char r : residency)
      if (!(r & 1)) return false;
    return true;
  }

  // The O_DIRECT descriptor, opened on first use; -1: none here.
  int direct_fd() {
    std::lock_guard lock(m_);
    if (direct_fd_ == -1) {
      int fd = ::open(name_.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
      struct stat a {}, b {};
      // The same file as the first descriptor, or nothing (renamed under us).
      if (fd >= 0 && (::fstat(fd_, &a) != 0 || ::fstat(fd, &b) != 0 || a.st_dev != b.st_dev ||
                      a.st_ino != b.st_ino)) {
        ::close(fd);
        fd = -1;
      }
      direct_fd_ = fd >= 0 ? fd : -2;  // -2: no O_DIRECT here (tmpfs, some FUSE)
    }
    return direct_fd_ >= 0 ? direct_fd_ : -1;
  }

  // A large read around the page cache, when the range is not all cached and
  // the offset and buffer are aligned as O_DIRECT needs (512 bytes, or 4096
  // where the device asks for it). nullopt: not done this way (the caller
  // reads through the cache); a problem: an I/O error.
  std::optional<Result<std::size_t>> read_direct(std::uint64_t offset, std::span<std::byte> out) {
    if (no_direct_.load()) return std::nullopt;
    const std::size_t align = align_.load();
    auto aligned = [&](std::size_t a) {
      return offset % a == 0 && reinterpret_cast<std::uintptr_t>(out.data()) % a == 0;
    };
    if (!aligned(align) || resident(offset, out.size())) return std::nullopt;
    const int dfd = direct_fd();
    if (dfd < 0) {
      no_direct_ = true;
      return std::nullopt;
    }
    const std::size_t body = out.size() / align * align;
    std::size_t done = 0;
    while (done < body) {
      ssize_t n = ::pread(dfd, out.data() + done, body - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EINVAL && done == 0) {
        // The alignment is not enough for this device: ask for more, or give up.
        if (align < kMaxAlign) {
          align_ = kMaxAlign;
          return aligned(kMaxAlign) ? read_direct(offset, out) : std::nullopt;
        }
        no_direct_ = true;
        return std::nullopt;
      }
      if (n < 0)
        return Result<std::size_t>(
            Finding{Code::evidence_read_error, name_,
                    fmt::format("offset {} length {}: {}", offset + done, body - done, std::strerror(errno))});
      if (n == 0) return Result<std::size_t>(done);  // the file shrank under us
      done += static_cast<std::size_t>(n);
    }
    if (done == out.size()) return Result<std::size_t>(done);
    // The last part of a block: read whole into an aligned buffer, the part
    // asked for copied out.
    AlignedBytes tail;
    try {
      tail = aligned_bytes(kMaxAlign);
    } catch (const std::bad_alloc&) {
      return std::nullopt;
    }
    for (;;) {
      ssize_t n = ::pread(dfd, tail.get(), align, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        return Result<std::size_t>(
            Finding{Code::evidence_read_error, name_,
                    fmt::format("offset {} length {}: {}", offset + done, out.size() - done,
                                std::strerror(errno))});
      const std::size_t take = std::min(out.size() - done, static_cast<std::size_t>(n));
      std::memcpy(out.data() + done, tail.get(), take);
      return Result<std::size_t>(done + take);
    }
  }

  std::string name_;
  int fd_;
  std::uint64_t size_;
  SourceKind kind_;
  mutable std::mutex m_;       // guards what follows, but for the atomics
  ReadStats stats_;
  mutable ReadStats snapshot_;  // what stats() hands out
  int direct_fd_ = -1;          // -1: not opened yet; -2: O_DIRECT unavailable
  bool mapped_ = false;
  void* map_ = nullptr;         // read-only mapping for mincore (nullptr: none); set once
  std::atomic<std::size_t> align_{512};  // what O_DIRECT needs here, as far as known
  std::atomic<bool> no_direct_{false};
};

}  // namespace

Result<std::shared_ptr<Source>> open_image(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    Code c = (errno == ENOENT || errno == ENOTDIR) ? Code::evidence_not_found
                                                   : Code::evidence_unreadable;
    return Finding{c, path, std::strerror(errno)};
  }
  SourceKind kind;
  if (S_ISREG(st.st_mode)) {
    kind = SourceKind::image_file;
  } else if (S_ISBLK(st.st_mode)) {
    kind = SourceKind::block_device;
  } else {
    return Finding{Code::evidence_not_supported, path, {}};
  }
  // Read-only by construction: O_RDONLY, and O_NOFOLLOW is not used on
  // purpose (a user may name a /dev/disk/by-id link).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Finding{Code::evidence_unreadable, path, std::strerror(errno)};
  std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
  if (kind == SourceKind::block_device) {
    std::uint64_t bytes = 0;
    if (::ioctl(fd, BLKGETSIZE64, &bytes) != 0) {
      int e = errno;
      ::close(fd);
      return Finding{Code::evidence_unreadable, path,
                     fmt::format("cannot get device size: {}", std::strerror(e))};
    }
    size = bytes;
  }
  return open_retrying(std::make_shared<ImageFile>(path, fd, size, kind));
}

}  // namespace ss::evidence
