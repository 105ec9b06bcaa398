#include "evidence/ddrescue_map.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <charconv>
#include <mutex>

namespace ss::evidence {

std::string_view map_status_name(char status) {
  switch (status) {
    case '+': return "finished";
    case '?': return "non-tried";
    case '*': return "non-trimmed";
    case '/': return "non-scraped";
    case '-': return "bad sector";
    default: return "unknown";
  }
}

namespace {

bool parse_number(std::string_view s, std::uint64_t& out) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

class MappedSource final : public Source {
 public:
  MappedSource(std::shared_ptr<Source> inner, DdrescueMap map)
      : inner_(std::move(inner)), map_(std::move(map)) {
    std::uint64_t end = 0;
    for (const auto& b : map_.blocks) {
      if (b.status != '+') unread_.push_back(b);
      end = std::max(end, b.range.end());
    }
    if (end < inner_->size()) unread_.push_back({{end, inner_->size() - end}, '?'});
  }
  const std::string& name() const override { return inner_->name(); }
  SourceKind kind() const override { return inner_->kind(); }
  std::uint64_t size() const override { return inner_->size(); }
  const ReadStats& stats() const override { return inner_->stats(); }

  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::byte> out) override {
    if (auto refused = unrecovered(offset, out.size())) return *refused;
    return inner_->read_at(offset, out);
  }
  Result<std::size_t> read_once_at(std::uint64_t offset, std::span<std::byte> out) override {
    if (auto refused = unrecovered(offset, out.size())) return *refused;
    return inner_->read_once_at(offset, out);
  }

 private:
  // A read touching a block the map says was not recovered: refused, and the
  // part it needed remembered.
  std::optional<Finding> unrecovered(std::uint64_t offset, std::uint64_t len) {
    const ByteRange want{offset, len};
    // The first unread block at or after `offset` that the read touches.
    auto it = std::upper_bound(unread_.begin(), unread_.end(), offset,
                               [](std::uint64_t off, const MapBlock& b) { return off < b.range.end(); });
    if (it != unread_.end() && it->range.overlaps(want)) {
      std::lock_guard lock(mutex_);
      std::string statuses;
      ByteRange first = it->range;
      for (auto j = it; j != unread_.end() && j->range.overlaps(want); ++j) {
        const ByteRange part{std::max(j->range.offset, offset),
                             std::min(j->range.end(), want.end()) - std::max(j->range.offset, offset)};
        needed_.push_back(part);
        if (statuses.find(map_status_name(j->status)) == std::string::npos)
          statuses += fmt::format("{}{}", statuses.empty() ? "" : ", ", map_status_name(j->status));
      }
      return Finding{Code::evidence_unread_range,
                     fmt::format("{}: bytes {}..{}", inner_->name(), offset, want.end()),
                     fmt::format("{} (from byte {}) not recovered in {}", statuses,
                                 std::max(first.offset, offset), map_.source)};
    }
    return std::nullopt;
  }

 public:
  std::vector<ByteRange> needed_unread() const override {
    std::lock_guard lock(mutex_);
    std::vector<ByteRange> r = needed_;
    for (const auto& x : inner_->needed_unread()) r.push_back(x);
    std::sort(r.begin(), r.end(), [](const ByteRange& a, const ByteRange& b) {
      return a.offset < b.offset || (a.offset == b.offset && a.length < b.length);
    });
    std::vector<ByteRange> merged;
    for (const auto& x : r) {
      if (!merged.empty() && x.offset <= merged.back().end()) {
        const std::uint64_t e = std::max(merged.back().end(), x.end());
        merged.back().length = e - merged.back().offset;
      } else {
        merged.push_back(x);
      }
    }
    return merged;
  }

 private:
  std::shared_ptr<Source> inner_;
  DdrescueMap map_;
  std::vector<MapBlock> unread_;  // sorted
  mutable std::mutex mutex_;
  std::vector<ByteRange> needed_;
};

}  // namespace

Result<DdrescueMap> parse_ddrescue_map(std::string_view text, std::string source) {
  DdrescueMap map;
  map.source = std::move(source);
  bool have_position = false;
  std::uint64_t lineno = 0;
  std::uint64_t next = 0;
  auto bad = [&](std::string why) -> Result<DdrescueMap> {
    return Finding{Code::evidence_map_invalid, fmt::format("{} line {}", map.source, lineno),
                   std::move(why)};
  };
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++lineno;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    const auto f = fields_of(line);
    if (f.empty()) continue;
    if (!have_position) {  // current_pos current_status [current_pass]
      std::uint64_t pos = 0;
      if (f.size() < 2 || f.size() > 3 || !parse_number(f[0], pos) || f[1].size() != 1)
        return bad("the first line must be 'current_pos current_status [current_pass]'");
      have_position = true;
      continue;
    }
    std::uint64_t pos = 0, size = 0;
    if (f.size() != 3 || !parse_number(f[0], pos) || !parse_number(f[1], size))
      return bad("not 'pos size status'");
    if (f[2].size() != 1 || std::string_view("+?*/-").find(f[2][0]) == std::string_view::npos)
      return bad(fmt::format("unknown status '{}'", f[2]));
    if (size == 0) return bad("a block of size 0");
    if (pos != next)
      return bad(fmt::format("block at {} does not follow the previous one (which ends at {})", pos,
                             next));
    if (size > ByteRange::kMax - pos) return bad("a block past the end of any disk");
    map.blocks.push_back({{pos, size}, f[2][0]});
    if (f[2][0] != '+') map.unread_bytes += size;
    next = pos + size;
  }
  if (!have_position) return bad("no blocks: not a ddrescue mapfile");
  return map;
}

Result<DdrescueMap> read_ddrescue_map(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Finding{Code::evidence_map_invalid, path, std::strerror(errno)};
  std::string text;
  std::array<char, 1 << 16> chunk{};
  constexpr std::size_t kMax = std::size_t{256} << 20;
  while (f && text.size() <= kMax) {
    f.read(chunk.data(), chunk.size());
    text.append(chunk.data(), static_cast<std::size_t>(f.gcount()));
  }
  if (f.bad()) return Finding{Code::evidence_map_invalid, path, "read error"};
  if (text.size() > kMax)
    return Finding{Code::evidence_map_invalid, path, "larger than 256 MiB: not a ddrescue mapfile"};
  return parse_ddrescue_map(text, path);
}

std::shared_ptr<Source> open_mapped(std::shared_ptr<Source> inner, DdrescueMap map) {
  return std::make_shared<MappedSource>(std::move(inner), std::move(map));
}

std::string domain_mapfile(const std::vector<ByteRange>& ranges, std::uint64_t size,
                           std::string_view comment) {
  std::string s = fmt::format("# {}\n# Rescue domain for ddrescue -m: the blocks marked '+'.\n",
                              comment);
  s += "0x00000000     +\n";
  std::uint64_t at = 0;
  for (const auto& r : ranges) {
    if (r.offset >= size) break;
    const ByteRange c = r.clamped_to(size);
    if (c.offset > at) s += fmt::format("0x{:08X}  0x{:08X}  ?\n", at, c.offset - at);
    if (c.end() > at) {
      const std::uint64_t from = std::max(at, c.offset);
      s += fmt::format("0x{:08X}  0x{:08X}  +\n", from, c.end() - from);
      at = c.end();
    }
  }
  if (at < size) s += fmt::format("0x{:08X}  0x{:08X}  ?\n", at, size - at);
  return s;
}

}  // namespace ss::evidence
