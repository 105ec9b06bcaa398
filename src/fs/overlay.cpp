#include "fs/overlay.hpp"

#include <algorithm>

namespace ss::fs {
namespace {

class Overlay final : public Filesystem {
 public:
  Overlay(Filesystem& base, std::map<NodeId, std::vector<Entry>> extra)
      : base_(base), extra_(std::move(extra)) {}

  const FsInfo& info() const override { return base_.info(); }
  const Findings& open_findings() const override { return base_.open_findings(); }
  void add_open_finding(Finding f) override { base_.add_open_finding(std::move(f)); }
  NodeId root() const override { return base_.root(); }
  Result<Node> stat(NodeId id) override { return base_.stat(id); }
  Result<std::vector<Entry>> list(NodeId dir) override {
    auto entries = base_.list(dir);
    auto it = extra_.find(dir);
    if (it == extra_.end()) return entries;
    std::vector<Entry> out = entries ? std::move(entries).value() : std::vector<Entry>{};
    for (const auto& e : it->second)
      if (std::none_of(out.begin(), out.end(), [&](const Entry& x) { return x.name == e.name; }))
        out.push_back(e);
    return out;
  }
  Result<std::vector<std::byte>> read(NodeId id, std::uint64_t offset, std::uint64_t max_len) override {
    return base_.read(id, offset, max_len);
  }
  Result<std::vector<FileRun>> file_runs(NodeId id) override { return base_.file_runs(id); }
  evidence::Source* source() const override { return base_.source(); }
  std::vector<InodeInfo> scan_inodes(const std::function<bool(const InodeInfo&)>& want,
                                     std::uint64_t& skipped_blocks) override {
    return base_.scan_inodes(want, skipped_blocks);
  }
  Result<std::vector<ByteRange>> free_space() override { return base_.free_space(); }

 private:
  Filesystem& base_;
  std::map<NodeId, std::vector<Entry>> extra_;
};

}  // namespace

std::unique_ptr<Filesystem> with_entries(Filesystem& base, std::map<NodeId, std::vector<Entry>> extra) {
  return std::make_unique<Overlay>(base, std::move(extra));
}

}  // namespace ss::fs
