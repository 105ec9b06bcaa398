// twoskip reader (fact sheet §5.2). Contract: given the whole file, returns
// the live key/value pairs; verifies the header CRC and every record's head
// CRC; never reads outside the file. Rule for which records are live: see
// mailboxes_db.hpp.
#include <fmt/format.h>
#include <zlib.h>

#include <map>
#include <optional>
#include <set>

#include "spool/cyrusdb_raw.hpp"

namespace ss::spool::cyrusdb {
namespace {

// Header (64 bytes, big-endian).
constexpr std::size_t kHdrVersion = 20;
constexpr std::size_t kHdrCurrentSize = 48;
constexpr std::size_t kHdrCrc = 60;
constexpr std::size_t kHeaderSize = 64;
constexpr std::size_t kDummyOffset = 64;
constexpr unsigned kMaxLevel = 31;

constexpr char kDummy = '=';
constexpr char kRecord = '+';
constexpr char kDelete = '-';
constexpr char kCommit = '$';
constexpr std::string_view kBlank{" BLANK\x07\xa0", 8};

std::uint32_t crc32_of(ByteView v) {
  // zlib takes uInt lengths; records are far below 4 GiB, but chunk anyway.
  uLong crc = crc32(0L, Z_NULL, 0);
  std::size_t off = 0;
  while (off < v.size()) {
    std::size_t n = std::min<std::size_t>(v.size() - off, 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(v.data_unsafe() + off),  // NOLINT
                static_cast<uInt>(n));
    off += n;
  }
  return static_cast<std::uint32_t>(crc);
}

struct Rec {
  std::uint64_t offset = 0;
  char type = 0;
  unsigned level = 0;
  std::uint64_t length = 0;
  std::vector<std::uint64_t> ptrs;
  std::string key;
  std::string value;
};

std::uint64_t round8(std::uint64_t n) {
  return (n + 7) / 8 * 8;
}

// Parses the record at `off`; nullopt when it does not fit the file, has an
// unknown type or level, or its head CRC does not match.
std::optional<Rec> parse_record(ByteView file, std::size_t off) {
  auto type = file.u8(off);
  auto level = file.u8(off + 1);
  auto keylen16 = file.be16(off + 2);
  auto vallen32 = file.be32(off + 4);
  if (!type || !level || !keylen16 || !vallen32) return std::nullopt;
  char t = static_cast<char>(*type);
  if (t != kDummy && t != kRecord && t != kDelete && t != kCommit) return std::nullopt;
  if (*level > kMaxLevel) return std::nullopt;
  std::size_t pos = off + 8;
  std::uint64_t keylen = *keylen16;
  std::uint64_t vallen = *vallen32;
  if (keylen == 0xFFFF) {
    auto k = file.be64(pos);
    if (!k) return std::nullopt;
    keylen = *k;
    pos += 8;
  }
  if (vallen == 0xFFFFFFFF) {
    auto v = file.be64(pos);
    if (!v) return std::nullopt;
    vallen = *v;
    pos += 8;
  }
  if (keylen > file.size() || vallen > file.size()) return std::nullopt;
  Rec r;
  r.offset = off;
  r.type = t;
  r.level = *level;
  for (unsigned i = 0; i <= r.level; ++i) {
    auto p = file.be64(pos);
    if (!p) return std::nullopt;
    r.ptrs.push_back(*p);
    pos += 8;
  }
  auto head = file.sub(off, pos - off);
  auto crc_head = file.be32(pos);
  if (!head || !crc_head || crc32_of(*head) != *crc_head) return std::nullopt;
  pos += 8;  // crc_head, crc_tail (the tail CRC is not needed to list names)
  auto key = file.sub(pos, static_cast<std::size_t>(keylen));
  auto val = file.sub(pos + keylen, static_cast<std::size_t>(vallen));
  if (!key || !val) return std::nullopt;
  r.key = std::string(key->chars());
  r.value = std::string(val->chars());
  r.length = (pos - off) + round8(keylen + vallen);
  if (!file.contains(off, static_cast<std::size_t>(r.length))) {
    // The padding may be missing at the very end of a truncated file.
    r.length = file.size() - off;
  }
  return r;
}

}  // namespace

RawDb read_twoskip(ByteView file, std::string_view place) {
  RawDb db;
  std::uint64_t limit = file.size();
  bool header_ok = file.size() >= kHeaderSize;
  if (header_ok) {
    auto stored = file.be32(kHdrCrc);
    auto computed = crc32_of(file.clamp(0, kHdrCrc));
    if (!stored || *stored != computed) {
      header_ok = false;
      db.findings.add(Code::spool_mailboxes_db_damaged, std::string(place),
                      fmt::format("twoskip header CRC stored {:08x}, computed {:08x}",
                                  stored.value_or(0), computed));
    } else {
      auto version = file.be32(kHdrVersion).value_or(0);
      if (version != 1)
        db.findings.add(Code::spool_mailboxes_db_damaged, std::string(place),
                        fmt::format("twoskip version {} (expected 1)", version));
      auto cur = file.be64(kHdrCurrentSize).value_or(0);
      if (cur >= kHeaderSize && cur <= file.size()) limit = cur;
    }
  } else {
    db.findings.add(Code::spool_mailboxes_db_damaged, std::string(place),
                    fmt::format("twoskip file of {} bytes has no complete header", file.size()));
  }

  // Linear scan: every record with a good head CRC, by offset.
  std::map<std::uint64_t, Rec> recs;
  std::vector<std::uint64_t> bad_regions;
  bool in_bad = false;
  std::size_t off = kHeaderSize;
  while (off + 8 <= file.size()) {
    auto blk = file.sub(off, 8);
    if (blk && blk->chars() == kBlank) {
      off += 8;
      continue;
    }
    auto rec = parse_record(file, off);
    if (!rec) {
      if (!in_bad) {
        bad_regions.push_back(off);
        in_bad = true;
      }
      off += 8;
      continue;
    }
    in_bad = false;
    ++db.records;
    std::uint64_t len = rec->length < 8 ? 8 : rec->length;
    recs.emplace(off, std::move(*rec));
    off += static_cast<std::size_t>(len);
  }
  // A region that is all zero at the end of the file is preallocation, not
  // damage; anything else is reported.
  for (auto at : bad_regions) {
    bool all_zero = true;
    for (std::size_t i = static_cast<std::size_t>(at); i < file.size() && all_zero; ++i)
      if (file.u8(i).value_or(0) != 0) all_zero = false;
    if (all_zero) continue;
    ++db.bad;
    db.findings.add(Code::spool_mailboxes_db_damaged, fmt::format("{} offset {}", place, at),
                    "twoskip record unreadable (bad head CRC or impossible lengths); skipped");
  }

  // Level-0 chain from the DUMMY.
  auto next_of = [&](const Rec& r) -> std::uint64_t {
    std::uint64_t best = 0;
    std::size_t n = r.type == kDelete ? 1 : std::min<std::size_t>(2, r.ptrs.size());
    for (std::size_t i = 0; i < n; ++i)
      if (r.ptrs[i] < limit && r.ptrs[i] > best) best = r.ptrs[i];
    return best;
  };
  bool chain_ok = header_ok;
  std::vector<const Rec*> chain;
  if (chain_ok) {
    auto it = recs.find(kDummyOffset);
    if (it == recs.end() || it->second.type != kDummy) {
      chain_ok = false;
    } else {
      std::set<std::uint64_t> seen{kDummyOffset};
      std::uint64_t at = next_of(it->second);
      while (at != 0) {
        auto r = recs.find(at);
        if (r == recs.end() || !seen.insert(at).second ||
            (r->second.type != kRecord && r->second.type != kDelete)) {
          chain_ok = false;
          db.findings.add(Code::spool_mailboxes_db_damaged, fmt::format("{} offset {}", place, at),
                          "twoskip level-0 chain broken; falling back to a linear replay");
          break;
        }
        if (r->second.type == kRecord) chain.push_back(&r->second);
        at = next_of(r->second);
      }
    }
  }
  if (chain_ok) {
    for (const Rec* r : chain) db.live.push_back({r->key, r->value, r->offset});
    return db;
  }

  // Linear replay of committed transactions: changes are applied at once and
  // undone at the end if no COMMIT followed them.
  db.replayed = true;
  using Value = std::pair<std::string, std::uint64_t>;
  std::map<std::string, Value> state;
  std::vector<std::pair<std::string, std::optional<Value>>> undo;
  auto set_key = [&](const std::string& k, std::optional<Value> v) {
    auto it = state.find(k);
    undo.emplace_back(k, it == state.end() ? std::nullopt : std::optional<Value>(it->second));
    if (v)
      state[k] = std::move(*v);
    else if (it != state.end())
      state.erase(it);
  };
  for (const auto& [at, r] : recs) {
    if (at >= limit) break;
    if (r.type == kRecord) {
      set_key(r.key, Value{r.value, at});
    } else if (r.type == kDelete) {
      std::uint64_t succ = r.ptrs.empty() ? 0 : r.ptrs[0];
      auto s = recs.find(succ);
      auto victim = state.end();
      if (succ == 0) {
        if (!state.empty()) victim = std::prev(state.end());
      } else if (s != recs.end()) {
        auto it = state.lower_bound(s->second.key);
        if (it != state.begin()) victim = std::prev(it);
      }
      if (victim != state.end()) set_key(std::string(victim->first), std::nullopt);
    } else if (r.type == kCommit) {
      undo.clear();
    }
  }
  for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
    if (it->second)
      state[it->first] = *it->second;
    else
      state.erase(it->first);
  }
  for (auto& [k, v] : state) db.live.push_back({k, v.first, v.second});
  return db;
}

}  // namespace ss::spool::cyrusdb
