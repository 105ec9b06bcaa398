#include "salvage/lost_files.hpp"

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <set>

#include "core/sha1.hpp"
#include "spool/index_layout.hpp"

namespace ss::salvage {
namespace {

namespace ix = spool::index;

// Hashes whole files (fs::read_files consumer): the SHA-1 of each job, or nothing.
class HashOnly final : public fs::ReadConsumer {
 public:
  explicit HashOnly(std::size_t n) : hashers_(n), sums_(n) {}
  void begin(std::size_t job) override { hashers_[job] = std::make_unique<Sha1Hasher>(); }
  void chunk(std::size_t job, ByteView bytes) override { hashers_[job]->update(bytes); }
  void end(std::size_t job, const Finding* problem) override {
    if (!problem) sums_[job] = hashers_[job]->finish();
    hashers_[job].reset();
  }
  const std::optional<Sha1>& sum(std::size_t job) const { return sums_[job]; }

 private:
  std::vector<std::unique_ptr<Sha1Hasher>> hashers_;
  std::vector<std::optional<Sha1>> sums_;
};

}  // namespace

std::string missing_guid(const validate::MailboxCheck& c, const validate::MessageVerdict& mv) {
  if (mv.has_file || mv.state != validate::MessageState::missing || !mv.record) return {};
  const auto& rv = c.index.records[*mv.record];
  if (rv.integrity == validate::Integrity::damaged || !rv.candidates.empty() ||
      !rv.record.has_guid || rv.record.guid_is_zero())
    return {};
  return to_hex(rv.record.guid);
}

LostFiles find_lost_files(const std::vector<fs::Filesystem*>& fss, const spool::SpoolDiscovery& disc,
                          const std::function<bool(const spool::Mailbox&)>& selected,
                          const fs::BulkReadOptions& reading) {
  LostFiles out;
  std::map<std::size_t, std::map<std::string, std::uint64_t>> wanted;  // fs -> guid -> size
  for (const auto& m : disc.mailboxes) {
    if (!selected(m) || m.records.value_or(0) == 0) continue;
    const auto c = validate::check_mailbox_meta(*fss[m.fs_index], m);
    for (const auto& mv : c.messages) {
      const auto guid = missing_guid(c, mv);
      if (guid.empty()) continue;
      const auto& rec = c.index.records[*mv.record].record;
      wanted[m.fs_index][guid] = rec.values.get_or(ix::RecordField::size, 0);
    }
  }
  for (auto& [fi, guids] : wanted) {
    out.stats.wanted += guids.size();
    std::set<std::uint64_t> sizes;
    for (const auto& [g, size] : guids) sizes.insert(size);
    fs::Filesystem& f = *fss[fi];
    std::uint64_t skipped = 0;
    auto cands = f.scan_inodes([&](std::uint64_t size) { return sizes.count(size) > 0; }, skipped);
    out.stats.inode_table_blocks_skipped += skipped;
    std::set<fs::NodeId> in_lost_found;
    if (auto lf = f.lookup("lost+found"))
      if (auto entries = f.list(*lf))
        for (const auto& e : *entries) in_lost_found.insert(e.id);
    std::vector<fs::ReadJob> jobs;
    std::vector<const fs::InodeInfo*> of_job;
    for (const auto& c : cands) {
      auto runs = f.file_runs(c.id);
      if (!runs) continue;
      jobs.push_back(fs::ReadJob{c.id, c.size, std::move(runs).value()});
      of_job.push_back(&c);
    }
    out.stats.candidates += jobs.size();
    HashOnly hashes(jobs.size());
    out.stats.reads += fs::read_files(f, jobs, hashes, reading);
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      if (!hashes.sum(j)) continue;
      const std::string hex = to_hex(*hashes.sum(j));
      if (!guids.count(hex) || out.found.count({fi, hex})) continue;
      const fs::InodeInfo& c = *of_job[j];
      std::string where =
          in_lost_found.count(c.id) ? fmt::format("found in lost+found as inode {}", c.id)
          : c.dtime != 0 || c.links == 0
              ? fmt::format("found in deleted inode {} (its blocks intact)", c.id)
              : fmt::format("found in inode {}, which the mailbox's directory does not name", c.id);
      out.found[{fi, hex}] = LostFile{c.id, c.size, where + "; its SHA-1 is the record's GUID"};
      ++out.stats.found;
    }
  }
  return out;
}

}  // namespace ss::salvage
