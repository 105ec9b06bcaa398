// An image file or block device, read with pread on an O_RDONLY descriptor.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "evidence/source.hpp"

namespace ss::evidence {
namespace {

class ImageFile final : public Source {
 public:
  ImageFile(std::string name, int fd, std::uint64_t size, SourceKind kind)
      : name_(std::move(name)), fd_(fd), size_(size), kind_(kind) {}
  ~ImageFile() override { ::close(fd_); }

  const std::string& name() const override { return name_; }
  SourceKind kind() const override { return kind_; }
  std::uint64_t size() const override { return size_; }
  const ReadStats& stats() const override { return stats_; }

  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::byte> out) override {
    if (offset >= size_ || out.empty()) {
      if (!out.empty()) ++stats_.short_reads;
      return std::size_t{0};
    }
    std::size_t want = out.size();
    if (want > size_ - offset) {
      want = static_cast<std::size_t>(size_ - offset);
      ++stats_.short_reads;
    }
    std::size_t done = 0;
    ++stats_.reads;
    while (done < want) {
      ssize_t n = ::pread(fd_, out.data() + done, want - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        ++stats_.errors;
        return Finding{Code::evidence_read_error, name_,
                       fmt::format("offset {} length {}: {}", offset + done, want - done,
                                   std::strerror(errno))};
      }
      if (n == 0) break;  // the file shrank under us
      done += static_cast<std::size_t>(n);
    }
    stats_.bytes_read += done;
    return done;
  }

 private:
  std::string name_;
  int fd_;
  std::uint64_t size_;
  SourceKind kind_;
  ReadStats stats_;
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
