#include "salvage/hash_files.hpp"

#include <algorithm>
#include <memory>

namespace ss::salvage {
namespace {

class HashOnly final : public fs::ReadConsumer {
 public:
  HashOnly(std::size_t n, std::span<const std::size_t> keep) : keep_(keep), hashers_(n), out_(n) {}
  void begin(std::size_t job) override { hashers_[job] = std::make_unique<Sha1Hasher>(); }
  void chunk(std::size_t job, ByteView bytes) override {
    hashers_[job]->update(bytes);
    auto& head = out_[job].head;
    const std::size_t keep = job < keep_.size() ? keep_[job] : 0;
    if (head.size() < keep) {
      const std::size_t n = std::min(keep - head.size(), bytes.size());
      head.insert(head.end(), bytes.data_unsafe(), bytes.data_unsafe() + n);
    }
  }
  void end(std::size_t job, const Finding* problem) override {
    if (!problem) out_[job].sha1 = hashers_[job]->finish();
    hashers_[job].reset();
  }
  std::vector<Hashed> take() { return std::move(out_); }

 private:
  std::span<const std::size_t> keep_;
  std::vector<std::unique_ptr<Sha1Hasher>> hashers_;
  std::vector<Hashed> out_;
};

}  // namespace

std::vector<Hashed> hash_files(fs::Filesystem& f, std::span<const fs::ReadJob> jobs,
                               const fs::BulkReadOptions& reading, fs::BulkReadStats& stats,
                               std::span<const std::size_t> keep_head) {
  HashOnly hashes(jobs.size(), keep_head);
  stats += fs::read_files(f, jobs, hashes, reading);
  return hashes.take();
}

}  // namespace ss::salvage
