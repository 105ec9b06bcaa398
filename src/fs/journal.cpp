#include "fs/journal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace ss::fs {
namespace {

// jbd2 on-disk constants (big-endian), as documented in the kernel's
// include/linux/jbd2.h and the ext4 wiki "Journal (jbd2)".
constexpr std::uint32_t kMagic = 0xC03B3998;
enum BlockType : std::uint32_t { descriptor = 1, commit = 2, sb_v1 = 3, sb_v2 = 4, revoke = 5 };
constexpr std::uint32_t kIncompatRevoke = 0x1, kIncompat64bit = 0x2, kIncompatCsumV2 = 0x8,
                        kIncompatCsumV3 = 0x10, kIncompatFastCommit = 0x20;
constexpr std::uint32_t kFlagEscape = 1, kFlagSameUuid = 2, kFlagLastTag = 8;

std::uint32_t be32(const std::byte* p) {
  return (std::to_integer<std::uint32_t>(p[0]) << 24) | (std::to_integer<std::uint32_t>(p[1]) << 16) |
         (std::to_integer<std::uint32_t>(p[2]) << 8) | std::to_integer<std::uint32_t>(p[3]);
}
std::uint16_t be16(const std::byte* p) {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[0]) << 8) | std::to_integer<unsigned>(p[1]));
}

class JournalReader {
 public:
  JournalReader(evidence::Source& src, std::vector<FileRun> runs, std::uint32_t bs)
      : src_(src), runs_(std::move(runs)), bs_(bs), buf_(bs) {}

  // Image offset of journal block i, if mapped.
  std::optional<std::uint64_t> offset_of(std::uint64_t i) const {
    const std::uint64_t pos = i * bs_;
    auto it = std::upper_bound(runs_.begin(), runs_.end(), pos,
                               [](std::uint64_t p, const FileRun& r) { return p < r.file_offset; });
    if (it == runs_.begin()) return std::nullopt;
    --it;
    if (pos + bs_ > it->file_offset + it->length || !it->image_offset) return std::nullopt;
    return *it->image_offset + (pos - it->file_offset);
  }
  const std::byte* block(std::uint64_t i) {
    auto off = offset_of(i);
    if (!off) return nullptr;
    auto r = src_.read_at(*off, buf_);
    if (!r || *r != buf_.size()) return nullptr;
    return buf_.data();
  }

 private:
  evidence::Source& src_;
  std::vector<FileRun> runs_;
  std::uint32_t bs_;
  std::vector<std::byte> buf_;
};

}  // namespace

Result<JournalPlan> plan_journal_replay(Filesystem& fs, NodeId journal_inode,
                                        std::uint32_t block_size) {
  const std::string where = fmt::format("journal (inode {})", journal_inode);
  auto bad = [&](std::string why) -> Result<JournalPlan> {
    return Finding{Code::fs_journal_not_replayed, where, std::move(why)};
  };
  evidence::Source* src = fs.source();
  if (!src || block_size < 1024) return bad("no evidence under the filesystem");
  auto runs = fs.file_runs(journal_inode);
  if (!runs) return bad(runs.problem().detail);
  JournalReader j(*src, std::move(*runs), block_size);
  const std::byte* sb = j.block(0);
  if (!sb) return bad("its superblock cannot be read");
  if (be32(sb) != kMagic || (be32(sb + 4) != sb_v1 && be32(sb + 4) != sb_v2))
    return bad("its first block is not a jbd2 superblock");
  JournalPlan plan;
  plan.block_size = block_size;
  if (be32(sb + 12) != block_size)
    return bad(fmt::format("journal block size {} is not the filesystem's {}", be32(sb + 12), block_size));
  const std::uint32_t maxlen = be32(sb + 16), first = be32(sb + 20);
  std::uint32_t sequence = be32(sb + 24);
  const std::uint32_t start = be32(sb + 28);
  const std::uint32_t incompat = be32(sb + 4) == sb_v2 ? be32(sb + 40) : 0;
  if (start == 0) return plan;  // clean: nothing to replay
  if (first == 0 || first >= maxlen || start < first || start >= maxlen)
    return bad(fmt::format("journal geometry first {} start {} length {} is impossible", first, start, maxlen));
  const bool is64 = incompat & kIncompat64bit, csum3 = incompat & kIncompatCsumV3,
             csum2 = incompat & kIncompatCsumV2;
  for (auto [bit, name] : {std::pair{kIncompatRevoke, "revoke"}, {kIncompat64bit, "64bit"},
                           {kIncompatCsumV2, "csum_v2"}, {kIncompatCsumV3, "csum_v3"},
                           {kIncompatFastCommit, "fast_commit"}})
    if (incompat & bit) plan.features += (plan.features.empty() ? "" : " ") + std::string(name);
  // jbd2's journal_tag_bytes(): tag3 with csum_v3, else the classic tag
  // (+2 with csum_v2, -4 without 64bit).
  const std::size_t tag_bytes =
      csum3 ? std::size_t{16} : std::size_t{12} + (csum2 ? 2u : 0u) - (is64 ? 0u : 4u);
  const std::size_t tail = (csum2 || csum3) ? 4 : 0;  // descriptor block checksum tail

  // One pass: transactions in sequence order until a block that does not
  // continue the log. A transaction counts only once its commit block is seen.
  struct Pending {
    std::uint64_t fs_block;
    JournalCopy copy;
  };
  std::vector<std::pair<std::uint32_t, std::vector<Pending>>> committed;  // sequence, blocks
  std::map<std::uint64_t, std::uint32_t> revoked_at;                      // fs block -> newest revoking sequence
  std::vector<Pending> current;
  std::map<std::uint64_t, std::uint32_t> current_revokes;
  auto next = [&](std::uint64_t b) { return b + 1 >= maxlen ? std::uint64_t{first} : b + 1; };
  std::uint64_t pos = start;
  plan.first_sequence = sequence;
  for (std::uint64_t steps = 0; steps < maxlen; ++steps) {
    const std::byte* b = j.block(pos);
    if (!b || be32(b) != kMagic || be32(b + 8) != sequence) break;
    const std::uint32_t type = be32(b + 4);
    if (type == descriptor) {
      // Tags follow the 12-byte header; data blocks follow the descriptor.
      std::vector<std::pair<std::uint64_t, std::uint32_t>> tags;  // fs block, flags
      std::size_t at = 12;
      const std::size_t limit = block_size - tail;
      while (at + tag_bytes <= limit) {
        std::uint64_t blk = be32(b + at);
        std::uint32_t flags;
        if (csum3) {
          flags = be32(b + at + 4);
          if (is64) blk |= std::uint64_t{be32(b + at + 8)} << 32;
        } else {
          flags = be16(b + at + 6);
          if (is64) blk |= std::uint64_t{be32(b + at + 8)} << 32;
        }
        tags.emplace_back(blk, flags);
        at += tag_bytes;
        if (!(flags & kFlagSameUuid)) at += 16;
        if (flags & kFlagLastTag) break;
      }
      for (const auto& [blk, flags] : tags) {
        pos = next(pos);
        auto off = j.offset_of(pos);
        if (!off) break;
        current.push_back({blk, {*off, (flags & kFlagEscape) != 0}});
      }
    } else if (type == revoke) {
      const std::uint32_t count = std::min<std::uint32_t>(be32(b + 12), block_size);
      const std::size_t rec = is64 ? 8 : 4;
      for (std::size_t at = 16; at + rec <= count; at += rec) {
        std::uint64_t blk = be32(b + at);
        if (is64) blk = (blk << 32) | be32(b + at + 4);
        current_revokes[blk] = sequence;
      }
    } else if (type == commit) {
      committed.emplace_back(sequence, std::move(current));
      for (const auto& [blk, seq] : current_revokes) revoked_at[blk] = std::max(revoked_at[blk], seq);
      current.clear();
      current_revokes.clear();
      plan.last_sequence = sequence;
      ++sequence;
    } else {
      break;  // not a block the log continues with
    }
    pos = next(pos);
  }
  plan.uncommitted_blocks = current.size();
  // Replay in order: a later copy replaces an earlier one; a copy is skipped
  // when a revoke record of its transaction or a later one names its block.
  for (const auto& [seq, blocks] : committed) {
    ++plan.transactions;
    for (const auto& p : blocks) {
      auto rv = revoked_at.find(p.fs_block);
      if (rv != revoked_at.end() && rv->second >= seq) {
        ++plan.revoked;
        continue;
      }
      plan.blocks[p.fs_block] = p.copy;
    }
  }
  return plan;
}

namespace {

class ReplayedSource final : public evidence::Source {
 public:
  ReplayedSource(std::shared_ptr<evidence::Source> inner, JournalPlan plan)
      : inner_(std::move(inner)), plan_(std::move(plan)) {}
  const std::string& name() const override { return inner_->name(); }
  evidence::SourceKind kind() const override { return inner_->kind(); }
  std::uint64_t size() const override { return inner_->size(); }
  const evidence::ReadStats& stats() const override { return inner_->stats(); }
  std::vector<ByteRange> needed_unread() const override { return inner_->needed_unread(); }

  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::byte> out) override {
    const std::uint64_t bs = plan_.block_size;
    const std::uint64_t end = offset + out.size();
    auto it = plan_.blocks.lower_bound(offset / bs);
    if (it == plan_.blocks.end() || it->first * bs >= end) return inner_->read_at(offset, out);
    // Some blocks come from the journal: the rest first, then those over it.
    auto r = inner_->read_at(offset, out);
    if (!r) return r;
    std::vector<std::byte> blk(bs);
    for (; it != plan_.blocks.end() && it->first * bs < end; ++it) {
      auto got = inner_->read_at(it->second.image_offset, blk);
      if (!got) return got.problem();
      if (*got != bs)
        return Finding{Code::evidence_short_read, fmt::format("{}: journal copy of block {}", name(), it->first),
                       "the evidence ends inside it"};
      if (it->second.escaped) {
        const std::byte magic[4] = {std::byte{0xC0}, std::byte{0x3B}, std::byte{0x39}, std::byte{0x98}};
        std::memcpy(blk.data(), magic, 4);
      }
      const std::uint64_t b0 = it->first * bs;
      const std::uint64_t from = std::max(b0, offset), to = std::min(b0 + bs, end);
      std::memcpy(out.data() + (from - offset), blk.data() + (from - b0), to - from);
      if (to - offset > *r) r = static_cast<std::size_t>(to - offset);
    }
    return r;
  }

 private:
  std::shared_ptr<evidence::Source> inner_;
  JournalPlan plan_;
};

}  // namespace

std::shared_ptr<evidence::Source> open_replayed(std::shared_ptr<evidence::Source> inner,
                                                JournalPlan plan) {
  return std::make_shared<ReplayedSource>(std::move(inner), std::move(plan));
}

}  // namespace ss::fs
