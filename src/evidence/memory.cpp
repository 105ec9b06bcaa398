// A Source over bytes in memory (see source.hpp).
#include <algorithm>
#include <cstring>
#include <mutex>

#include "evidence/source.hpp"

namespace ss::evidence {
namespace {

class MemorySource final : public Source {
 public:
  MemorySource(std::string name, std::vector<std::byte> bytes)
      : name_(std::move(name)), bytes_(std::move(bytes)) {}

  const std::string& name() const override { return name_; }
  SourceKind kind() const override { return SourceKind::image_file; }
  std::uint64_t size() const override { return bytes_.size(); }
  const ReadStats& stats() const override { return stats_; }

  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::byte> out) override {
    if (out.empty()) return std::size_t{0};
    std::lock_guard lock(m_);  // the counters: reads may come from two threads
    ++stats_.reads;
    if (offset >= bytes_.size()) {
      ++stats_.short_reads;
      return std::size_t{0};
    }
    const std::size_t n = std::min<std::uint64_t>(out.size(), bytes_.size() - offset);
    if (n < out.size()) ++stats_.short_reads;
    std::memcpy(out.data(), bytes_.data() + offset, n);
    stats_.bytes_read += n;
    return n;
  }

 private:
  std::string name_;
  std::vector<std::byte> bytes_;
  std::mutex m_;
  ReadStats stats_;
};

}  // namespace

std::shared_ptr<Source> open_memory(std::string name, std::vector<std::byte> bytes) {
  return std::make_shared<MemorySource>(std::move(name), std::move(bytes));
}

}  // namespace ss::evidence
