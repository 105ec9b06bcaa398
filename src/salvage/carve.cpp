#include "salvage/carve.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string_view>

#include "salvage/hash_files.hpp"

namespace ss::salvage {
namespace {

// The free blocks as one stream of bytes: free range k begins at stream
// offset at[k].
struct FreeStream {
  std::vector<ByteRange> ranges;
  std::vector<std::uint64_t> at;
  std::uint64_t total = 0;

  explicit FreeStream(std::vector<ByteRange> r) : ranges(std::move(r)) {
    for (const auto& x : ranges) {
      at.push_back(total);
      total += x.length;
    }
  }

  // Appends the image runs of stream bytes [off, off + len), numbered from
  // file offset `file_off`. The caller keeps off + len <= total.
  void map(std::uint64_t off, std::uint64_t len, std::uint64_t& file_off,
           std::vector<fs::FileRun>& out) const {
    auto k = static_cast<std::size_t>(std::upper_bound(at.begin(), at.end(), off) - at.begin()) - 1;
    while (len > 0 && k < ranges.size()) {
      const std::uint64_t in = off - at[k];
      const std::uint64_t n = std::min(len, ranges[k].length - in);
      if (!out.empty() && out.back().image_offset &&
          *out.back().image_offset + out.back().length == ranges[k].offset + in)
        out.back().length += n;
      else
        out.push_back(fs::FileRun{file_off, n, ranges[k].offset + in, false});
      file_off += n;
      off += n;
      len -= n;
      ++k;
    }
  }
};

// Where the blocks of a file of `size` bytes starting at stream offset
// `start` lie in the stream, as (offset, length) pieces in file order: one
// piece, or (indirect) with the mapping blocks ext2/3 allocate before file
// blocks 12, 12 + P (two of them) and every P blocks after (P: block
// numbers per block) left out.
std::vector<std::pair<std::uint64_t, std::uint64_t>> layout(std::uint64_t start, std::uint64_t size,
                                                            std::uint64_t bs, bool indirect) {
  if (!indirect || size <= 12 * bs) return {{start, size}};
  const std::uint64_t p = bs / 4;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  std::uint64_t file_block = 0, at = start, left = size;
  auto take = [&](std::uint64_t blocks) {
    const std::uint64_t n = std::min(left, blocks * bs);
    out.emplace_back(at, n);
    at += n;
    left -= n;
    file_block += blocks;
  };
  take(12);
  if (left) { at += bs; take(p); }             // the indirect block
  if (left) at += bs;                          // the double-indirect block
  while (left && file_block < 12 + p + p * p) {
    at += bs;                                  // one indirect block under it
    take(p);
  }
  if (left) out.emplace_back(at + 2 * bs, left);  // beyond: a guess that will not match
  return out;
}

std::uint64_t layout_end(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& l) {
  return l.empty() ? 0 : l.back().first + l.back().second;
}

struct Candidate {
  std::size_t wanted = 0;
  std::uint64_t start = 0;  // stream offset
  bool indirect = false;
  auto operator<=>(const Candidate&) const = default;
};

// The pass over the free blocks: chunks of the stream, each read with some
// bytes of the next one so that a header that crosses the boundary is seen.
class Scanner final : public fs::ReadConsumer {
 public:
  Scanner(const std::vector<CarveWanted>& wanted, const FreeStream& stream,
          const std::vector<std::uint64_t>& job_start, std::uint64_t chunk, std::uint64_t bs,
          std::uint64_t more, bool indirect_fs)
      : wanted_(wanted), stream_(stream), job_start_(job_start), chunk_(chunk), more_(more), bs_(bs),
        indirect_fs_(indirect_fs), bufs_(job_start.size()) {
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      const auto& w = wanted[i];
      if (w.header_size >= 4 && w.header_size <= w.size)
        by_header_.emplace(w.header_size, i);
      else
        loose_.push_back(i);
    }
  }

  void begin(std::size_t job) override { bufs_[job].clear(); }
  void chunk(std::size_t job, ByteView bytes) override {
    bufs_[job].insert(bufs_[job].end(), bytes.data_unsafe(), bytes.data_unsafe() + bytes.size());
  }
  void end(std::size_t job, const Finding* problem) override {
    std::vector<std::byte> buf = std::move(bufs_[job]);
    bufs_[job] = {};
    if (problem) return;  // unreadable free blocks hold nothing provable
    std::vector<Candidate> found;
    std::uint64_t starts = 0;
    const std::uint64_t base = job_start_[job];
    const std::uint64_t own = std::min<std::uint64_t>(chunk_, buf.size());
    for (std::uint64_t b = 0; b + 1 < own; b += bs_) {
      if (!looks_like_header_start(ByteView(buf.data() + b, std::min<std::uint64_t>(bs_, buf.size() - b))))
        continue;
      ++starts;
      const std::uint64_t start = base + b;
      // Where this block's header ends, read as if the file continued in
      // the stream (the contiguous layout).
      static constexpr std::string_view kEnd = "\r\n\r\n";
      const auto* from = reinterpret_cast<const char*>(buf.data() + b);
      // A header longer than the look-ahead is not looked for.
      const std::string_view view(from, std::min<std::uint64_t>(buf.size() - b, more_));
      const auto at = view.find(kEnd);
      if (at != std::string_view::npos) {
        const std::uint64_t h = at + kEnd.size();
        auto [lo, hi] = by_header_.equal_range(h);
        for (auto it = lo; it != hi; ++it) add(it->second, start, found);
        // On ext2/3 a header longer than 12 blocks has an indirect block in
        // it: its end in the file is one block further on in the stream.
        if (indirect_fs_ && h > 12 * bs_ + bs_) {
          auto [lo2, hi2] = by_header_.equal_range(h - bs_);
          for (auto it = lo2; it != hi2; ++it)
            if (wanted_[it->second].size > 12 * bs_ &&
                layout_end(layout(start, wanted_[it->second].size, bs_, true)) <= stream_.total)
              found.push_back({it->second, start, true});
        }
      }
      for (std::size_t i : loose_) add(i, start, found);
    }
    std::lock_guard lk(m_);
    header_starts_ += starts;
    candidates_.insert(candidates_.end(), found.begin(), found.end());
  }

  std::vector<Candidate> take(std::uint64_t& header_starts) {
    header_starts = header_starts_;
    std::sort(candidates_.begin(), candidates_.end());
    candidates_.erase(std::unique(candidates_.begin(), candidates_.end()), candidates_.end());
    return std::move(candidates_);
  }

 private:
  void add(std::size_t i, std::uint64_t start, std::vector<Candidate>& out) const {
    const auto& w = wanted_[i];
    if (w.size == 0) return;
    if (layout_end(layout(start, w.size, bs_, false)) <= stream_.total) out.push_back({i, start, false});
    if (indirect_fs_ && w.size > 12 * bs_ &&
        layout_end(layout(start, w.size, bs_, true)) <= stream_.total)
      out.push_back({i, start, true});
  }

  const std::vector<CarveWanted>& wanted_;
  const FreeStream& stream_;
  const std::vector<std::uint64_t>& job_start_;
  std::uint64_t chunk_, more_, bs_;
  bool indirect_fs_;
  std::multimap<std::uint64_t, std::size_t> by_header_;  // header_size -> wanted
  std::vector<std::size_t> loose_;                         // header_size unknown
  std::vector<std::vector<std::byte>> bufs_;
  std::mutex m_;
  std::vector<Candidate> candidates_;
  std::uint64_t header_starts_ = 0;
};

}  // namespace

bool looks_like_header_start(ByteView bytes) {
  // RFC 5322 field names: printable US-ASCII except colon; a line of at
  // most 998 characters, but a real field name is short.
  const std::size_t n = std::min<std::size_t>(bytes.size(), 78);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = *bytes.u8(i);
    if (c == ':') return i > 0;
    if (c < 33 || c > 126) return false;
  }
  return false;
}

std::vector<CarvedFile> carve(fs::Filesystem& f, const std::vector<CarveWanted>& wanted,
                              const fs::BulkReadOptions& reading, CarveStats& stats,
                              Findings& findings) {
  stats.wanted += wanted.size();
  std::vector<CarvedFile> out;
  if (wanted.empty()) return out;
  auto space = f.free_space();
  if (!space) {
    findings.add(space.problem());
    return out;
  }
  const FreeStream stream(std::move(space).value());
  stats.free_bytes += stream.total;
  const std::uint64_t bs = std::max<std::uint64_t>(f.info().block_size, 512);
  const auto& feats = f.info().features;
  const bool indirect_fs = std::find(feats.begin(), feats.end(), "extent") == feats.end();

  // The scan: chunks of 4 MiB of free blocks, each with 256 KiB more.
  const std::uint64_t chunk = (4ull << 20) / bs * bs, more = 256ull << 10;
  std::vector<fs::ReadJob> jobs;
  std::vector<std::uint64_t> job_start;
  for (std::uint64_t s = 0; s < stream.total; s += chunk) {
    fs::ReadJob j;
    j.size = std::min(chunk + more, stream.total - s);
    std::uint64_t file_off = 0;
    stream.map(s, j.size, file_off, j.runs);
    jobs.push_back(std::move(j));
    job_start.push_back(s);
  }
  Scanner scanner(wanted, stream, job_start, chunk, bs, more, indirect_fs);
  stats.scan += fs::read_files(f, jobs, scanner, reading);
  jobs.clear();
  std::uint64_t starts = 0;
  const auto cands = scanner.take(starts);
  stats.header_starts += starts;

  // The candidates' bytes, hashed: at most a few times the free space in
  // all (a hostile index of many records whose header end is unknown could
  // otherwise ask for every start times every size).
  const std::uint64_t budget = 4 * stream.total + (64ull << 20);
  std::uint64_t asked = 0;
  std::vector<Candidate> hashed;
  for (const auto& c : cands) {
    if (asked + wanted[c.wanted].size > budget) {
      ++stats.over_budget;
      continue;
    }
    asked += wanted[c.wanted].size;
    fs::ReadJob j;
    j.size = wanted[c.wanted].size;
    std::uint64_t file_off = 0;
    for (const auto& [off, len] : layout(c.start, j.size, bs, c.indirect))
      stream.map(off, len, file_off, j.runs);
    jobs.push_back(std::move(j));
    hashed.push_back(c);
  }
  stats.candidates += jobs.size();
  const auto sums = hash_files(f, jobs, reading, stats.hashed);
  std::set<std::string> done;
  for (std::size_t k = 0; k < hashed.size(); ++k) {
    if (!sums[k].sha1) continue;
    const auto& w = wanted[hashed[k].wanted];
    if (to_hex(*sums[k].sha1) != w.guid || !done.insert(w.guid).second) continue;
    const auto& runs = jobs[k].runs;
    std::string where = fmt::format(
        "carved from free blocks: {} bytes at image offset {}", w.size,
        runs.empty() || !runs.front().image_offset ? 0 : *runs.front().image_offset);
    if (runs.size() > 1)
      where += fmt::format(" in {} runs ({})", runs.size(),
                           hashed[k].indirect ? "the ext2/3 indirect blocks between them skipped"
                                             : "the allocated blocks between them skipped");
    out.push_back(CarvedFile{w.guid, w.size, runs, where + "; its SHA-1 is the record's GUID"});
    ++stats.found;
  }
  return out;
}

}  // namespace ss::salvage
