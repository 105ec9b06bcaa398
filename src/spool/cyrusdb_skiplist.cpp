// skiplist and flat readers (fact sheet §5.3, §5.4). Contract: given the
// whole file, return the live key/value pairs; never read outside it.
// skiplist has no checksums: a record that cannot be parsed ends the scan,
// with a finding naming its offset.
#include <fmt/format.h>

#include <map>
#include <optional>

#include "spool/cyrusdb_raw.hpp"

namespace ss::spool::cyrusdb {
namespace {

constexpr std::size_t kSlHeaderSize = 48;
constexpr std::size_t kSlLogstart = 40;
constexpr std::uint32_t kInorder = 1;
constexpr std::uint32_t kAdd = 2;
constexpr std::uint32_t kDelete = 4;
constexpr std::uint32_t kCommit = 255;
constexpr std::uint32_t kDummy = 257;
constexpr std::uint32_t kPtrEnd = 0xFFFFFFFF;
constexpr unsigned kMaxPtrs = 64;

std::uint64_t round4(std::uint64_t n) {
  return (n + 3) / 4 * 4;
}

}  // namespace

RawDb read_skiplist(ByteView file, std::string_view place) {
  RawDb db;
  if (file.size() < kSlHeaderSize) {
    db.findings.add(Code::spool_mailboxes_db_damaged, std::string(place),
                    fmt::format("skiplist file of {} bytes has no complete header", file.size()));
    return db;
  }
  std::uint64_t logstart = file.be32(kSlLogstart).value_or(0);
  using Value = std::pair<std::string, std::uint64_t>;
  std::map<std::string, Value> state;
  std::map<std::uint64_t, std::string> key_at;  // record offset → key
  std::vector<std::pair<std::string, std::optional<Value>>> undo;
  auto set_key = [&](const std::string& k, std::optional<Value> v, bool logged) {
    auto it = state.find(k);
    if (logged)
      undo.emplace_back(k, it == state.end() ? std::nullopt : std::optional<Value>(it->second));
    if (v)
      state[k] = std::move(*v);
    else if (it != state.end())
      state.erase(it);
  };

  std::size_t off = kSlHeaderSize;
  while (off < file.size()) {
    auto type = file.be32(off);
    auto fail = [&](std::string_view why) {
      ++db.bad;
      db.findings.add(Code::spool_mailboxes_db_damaged, fmt::format("{} offset {}", place, off),
                      fmt::format("skiplist: {}; the rest of the file is not read", why));
    };
    if (!type) {
      fail("truncated record type");
      break;
    }
    if (*type == kCommit) {
      ++db.records;
      undo.clear();
      off += 4;
      continue;
    }
    if (*type == kDelete) {
      auto target = file.be32(off + 4);
      if (!target) {
        fail("truncated DELETE");
        break;
      }
      ++db.records;
      if (auto k = key_at.find(*target); k != key_at.end()) set_key(k->second, std::nullopt, true);
      off += 8;
      continue;
    }
    if (*type != kInorder && *type != kAdd && *type != kDummy) {
      if (*type == 0 &&
          file.clamp(off, 64).chars().find_first_not_of('\0') == std::string_view::npos)
        break;  // zero tail (preallocated / never written)
      fail(fmt::format("unknown record type {}", *type));
      break;
    }
    std::size_t pos = off + 4;
    auto keylen = file.be32(pos);
    if (!keylen || *keylen > file.size()) {
      fail("bad key length");
      break;
    }
    auto key = file.sub(pos + 4, *keylen);
    pos += 4 + static_cast<std::size_t>(round4(*keylen));
    auto datalen = file.be32(pos);
    if (!key || !datalen || *datalen > file.size()) {
      fail("bad data length");
      break;
    }
    auto data = file.sub(pos + 4, *datalen);
    pos += 4 + static_cast<std::size_t>(round4(*datalen));
    unsigned n = 0;
    bool ended = false;
    while (n <= kMaxPtrs) {
      auto p = file.be32(pos);
      if (!p) break;
      pos += 4;
      if (*p == kPtrEnd) {
        ended = true;
        break;
      }
      ++n;
    }
    if (!data || !ended) {
      fail("record runs past the end or has no pointer terminator");
      break;
    }
    ++db.records;
    if (*type != kDummy) {
      std::string k(key->chars());
      key_at[off] = k;
      // INORDER records before logstart are the checkpoint: committed.
      bool logged = !(*type == kInorder && off < logstart);
      set_key(k, Value{std::string(data->chars()), off}, logged);
    }
    off = pos;
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

RawDb read_flat(ByteView file, std::string_view place) {
  RawDb db;
  std::string_view text = file.chars();
  auto unescape = [](std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
      auto c = static_cast<unsigned char>(s[i]);
      if (c == 0xFF && i + 1 < s.size()) {
        auto n = static_cast<unsigned char>(s[++i]);
        out += static_cast<char>(n == 0xFF ? 0xFF : (n & 0x7F));
      } else {
        out += s[i];
      }
    }
    return out;
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    auto line = text.substr(pos, end - pos);
    std::uint64_t at = pos;
    pos = end + 1;
    if (line.empty()) continue;
    auto tab = line.find('\t');
    ++db.records;
    if (tab == std::string_view::npos) {
      ++db.bad;
      db.findings.add(Code::spool_mailboxes_db_damaged, fmt::format("{} offset {}", place, at),
                      "flat: line without a TAB");
      continue;
    }
    db.live.push_back({unescape(line.substr(0, tab)), unescape(line.substr(tab + 1)), at});
  }
  return db;
}

}  // namespace ss::spool::cyrusdb
