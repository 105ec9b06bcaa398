#include "spool/seen_db.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include "spool/cyrusdb_raw.hpp"
#include "spool/layout.hpp"
#include "spool/spool_walk.hpp"

namespace ss::spool {
namespace {

constexpr std::uint32_t kU32Max = std::numeric_limits<std::uint32_t>::max();
// Value findings per file; a hostile file must not produce millions.
constexpr std::size_t kMaxValueFindings = 100;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_space(s.front()) || s.front() == '\0')) s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\0')) s.remove_suffix(1);
  return s;
}

// A whole string of decimal digits as a uid-sized number; nullopt when empty,
// not all digits, or above 2^32-1.
std::optional<std::uint32_t> parse_u32(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
    if (v > kU32Max) return std::nullopt;
  }
  return static_cast<std::uint32_t>(v);
}

// Sorted, merged (overlapping or adjacent ranges joined).
std::vector<UidRange> normalized(std::vector<UidRange> rs) {
  std::sort(rs.begin(), rs.end(),
            [](const UidRange& a, const UidRange& b) { return a.first < b.first; });
  std::vector<UidRange> out;
  out.reserve(rs.size());
  for (const auto& r : rs) {
    if (!out.empty() && std::uint64_t{r.first} <= std::uint64_t{out.back().last} + 1) {
      out.back().last = std::max(out.back().last, r.last);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

// One whitespace-separated integer field from the front of `s` (consumed).
// Accepts a leading '-' only when `allow_sign`.
std::optional<std::int64_t> take_number(std::string_view& s, bool allow_sign) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  std::size_t i = 0;
  bool neg = false;
  if (allow_sign && i < s.size() && s[i] == '-') {
    neg = true;
    ++i;
  }
  std::size_t digits_at = i;
  std::int64_t v = 0;
  constexpr std::int64_t kLimit = std::numeric_limits<std::int64_t>::max() / 10 - 10;
  while (i < s.size() && is_digit(s[i])) {
    if (v > kLimit) return std::nullopt;  // absurdly long: not a Cyrus field
    v = v * 10 + (s[i] - '0');
    ++i;
  }
  if (i == digits_at) return std::nullopt;
  if (i < s.size() && !is_space(s[i]) && s[i] != '\0') return std::nullopt;  // "12x"
  s.remove_prefix(i);
  return neg ? -v : v;
}

void add_issue(std::string& issue, std::string_view what) {
  if (!issue.empty()) issue += "; ";
  issue += what;
}

std::string strip_slashes(std::string_view p) {
  while (!p.empty() && p.front() == '/') p.remove_prefix(1);
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  return std::string(p);
}

// A name usable as one path component.
bool safe_component(std::string_view s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string_view::npos &&
         s.find('\0') == std::string_view::npos;
}

}  // namespace

// ---------------------------------------------------------------- UidSet

bool UidSet::add(std::uint32_t first, std::uint32_t last) {
  if (first > last) std::swap(first, last);
  if (last == 0) return true;  // uid 0 is no uid
  if (first == 0) first = 1;
  // First range that ends at or after first-1 (could touch or overlap).
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), first,
                             [](const UidRange& r, std::uint32_t f) {
                               return std::uint64_t{r.last} + 1 < f;
                             });
  auto end = it;
  UidRange merged{first, last};
  while (end != ranges_.end() && std::uint64_t{end->first} <= std::uint64_t{last} + 1) {
    merged.first = std::min(merged.first, end->first);
    merged.last = std::max(merged.last, end->last);
    ++end;
  }
  if (it == end) {
    if (ranges_.size() >= kMaxSeenRanges) return false;
    ranges_.insert(it, merged);
    return true;
  }
  *it = merged;
  ranges_.erase(it + 1, end);
  return true;
}

bool UidSet::contains(std::uint32_t uid) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), uid,
                             [](std::uint32_t u, const UidRange& r) { return u < r.first; });
  if (it == ranges_.begin()) return false;
  --it;
  return uid >= it->first && uid <= it->last;
}

std::uint64_t UidSet::count() const {
  std::uint64_t n = 0;
  for (const auto& r : ranges_) n += std::uint64_t{r.last} - r.first + 1;
  return n;
}

std::string UidSet::to_string() const {
  std::string out;
  for (const auto& r : ranges_) {
    if (!out.empty()) out += ',';
    out += std::to_string(r.first);
    if (r.last != r.first) {
      out += ':';
      out += std::to_string(r.last);
    }
  }
  return out;
}

UidSetParse parse_uid_set(std::string_view text, std::uint32_t star_value) {
  UidSetParse out;
  for (char c : text)
    if (!is_digit(c) && c != ':' && c != ',' && c != '*') {
      out.cyrus_valid = false;
      break;
    }
  // Ranges are collected unsorted and merged in batches, so that neither a
  // long sorted set nor a hostile unsorted one costs more than n log n, and
  // memory stays within 2 * kMaxSeenRanges ranges.
  std::vector<UidRange> pending;
  std::vector<UidRange> done;
  auto compact = [&] {
    pending.insert(pending.end(), done.begin(), done.end());
    done = normalized(std::move(pending));
    pending.clear();
    if (done.size() > kMaxSeenRanges) {
      done.resize(kMaxSeenRanges);
      out.truncated = true;
    }
  };
  auto bound = [&](std::string_view s) -> std::optional<std::uint32_t> {
    if (s == "*") {
      out.star = true;
      return star_value;
    }
    return parse_u32(s);
  };

  std::size_t pos = 0;
  if (!trim(text).empty()) {
    while (pos <= text.size()) {
      auto comma = text.find(',', pos);
      auto end = comma == std::string_view::npos ? text.size() : comma;
      auto item = trim(text.substr(pos, end - pos));
      pos = end + 1;
      ++out.items;
      std::optional<std::uint32_t> a;
      std::optional<std::uint32_t> b;
      auto colon = item.find(':');
      if (colon == std::string_view::npos) {
        a = b = bound(item);
      } else {
        a = bound(trim(item.substr(0, colon)));
        b = bound(trim(item.substr(colon + 1)));
      }
      if (!a || !b || (*a == 0 && *b == 0)) {
        ++out.bad_items;
        out.cyrus_valid = false;
      } else {
        UidRange r{std::min(*a, *b), std::max(*a, *b)};
        if (r.first == 0) {
          r.first = 1;
          out.cyrus_valid = false;
        }
        pending.push_back(r);
        if (pending.size() >= kMaxSeenRanges) compact();
      }
      if (comma == std::string_view::npos) break;
    }
  }
  compact();
  for (const auto& r : done) (void)out.set.add(r.first, r.last);  // sorted: appends
  return out;
}

// ---------------------------------------------------------------- values

SeenState parse_seen_value(std::string_view value) {
  SeenState st;
  std::string_view rest = value;
  auto version = take_number(rest, false);
  auto lastread = version ? take_number(rest, true) : std::nullopt;
  auto lastuid = lastread ? take_number(rest, false) : std::nullopt;
  auto lastchange = lastuid ? take_number(rest, true) : std::nullopt;
  if (!version) {
    add_issue(st.issue, "no version number");
  } else if (*version != 1) {
    add_issue(st.issue, fmt::format("version {} (Cyrus writes 1)", *version));
  }
  if (version) st.version = static_cast<std::uint32_t>(std::min<std::int64_t>(*version, kU32Max));
  if (version && !lastread) add_issue(st.issue, "lastread is not a number");
  if (lastread && !lastuid) add_issue(st.issue, "lastuid is not a number");
  if (lastuid && !lastchange) add_issue(st.issue, "lastchange is not a number");
  if (lastread) st.lastread = *lastread;
  if (lastuid) {
    if (*lastuid > kU32Max) {
      add_issue(st.issue, "lastuid above 2^32-1");
    } else {
      st.lastuid = static_cast<std::uint32_t>(*lastuid);
    }
  }
  if (lastchange) st.lastchange = *lastchange;
  if (!lastchange) {
    // Without the four numbers the position of the uid set is unknown.
    st.cyrus_valid = false;
    return st;
  }
  // Cyrus: skip the blanks, the rest of the value is the set.
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  auto set = parse_uid_set(rest, st.lastuid != 0 ? st.lastuid : kU32Max);
  st.seen = std::move(set.set);
  st.bad_items = set.bad_items;
  st.truncated = set.truncated;
  st.cyrus_valid = set.cyrus_valid;
  if (set.bad_items)
    add_issue(st.issue, fmt::format("{} of {} uid-set items unreadable", set.bad_items, set.items));
  if (!set.cyrus_valid && !set.bad_items)
    add_issue(st.issue, "uid set holds bytes Cyrus does not accept (it would read it as empty)");
  if (set.truncated)
    add_issue(st.issue, fmt::format("uid set truncated at {} ranges", kMaxSeenRanges));
  return st;
}

// ---------------------------------------------------------------- databases

const SeenEntry* SeenDb::find(std::string_view uniqueid) const {
  auto it = std::lower_bound(entries.begin(), entries.end(), uniqueid,
                             [](const SeenEntry& e, std::string_view u) { return e.uniqueid < u; });
  return it != entries.end() && it->uniqueid == uniqueid ? &*it : nullptr;
}

std::optional<SeenState> SeenDb::for_mailbox(std::string_view uniqueid) const {
  const SeenEntry* e = find(uniqueid);
  if (!e) return std::nullopt;
  return e->state;
}

SeenDb parse_seen_db(ByteView bytes, std::string_view place) {
  SeenDb out;
  out.place = std::string(place);
  if (bytes.empty()) {
    // Cyrus's flat backend writes an empty database as an empty file.
    out.backend = DbBackend::flat;
    out.findings.add(Code::spool_seen_db_unreadable, out.place,
                     "0 bytes: an empty flat database, or a file whose contents were lost");
    return out;
  }
  auto any = read_any_cyrusdb(bytes, place);
  out.backend = any.backend;
  if (!any.raw) {
    out.findings.add(Code::spool_seen_db_unreadable, out.place, any.unsupported);
    return out;
  }
  const cyrusdb::RawDb& raw = *any.raw;
  out.records = raw.records;
  out.bad_records = raw.bad;
  out.replayed = raw.replayed;
  // The readers were written for mailboxes.db; say which file is damaged.
  for (const auto& f : raw.findings.items()) {
    Finding g = f;
    if (g.code == Code::spool_mailboxes_db_damaged) g.code = Code::spool_seen_db_damaged;
    out.findings.add(std::move(g));
  }

  std::map<std::string, SeenEntry> by_key;
  std::size_t invalid = 0;
  for (auto& r : raw.live) {
    SeenEntry e;
    e.uniqueid = r.key;
    e.offset = r.offset;
    e.state = parse_seen_value(r.value);
    if (!e.state.well_formed()) {
      if (++invalid <= kMaxValueFindings)
        out.findings.add(Code::spool_seen_value_invalid,
                         fmt::format("{} offset {}", place, r.offset),
                         fmt::format("key {}: {}", r.key.substr(0, 128), e.state.issue));
    }
    by_key[e.uniqueid] = std::move(e);
  }
  if (invalid > kMaxValueFindings)
    out.findings.add(Code::spool_seen_value_invalid, out.place,
                     fmt::format("{} more invalid entries not listed", invalid - kMaxValueFindings));
  out.entries.reserve(by_key.size());
  for (auto& [k, e] : by_key) out.entries.push_back(std::move(e));
  return out;
}

Result<SeenDb> read_seen_db(fs::Filesystem& fs, std::string_view path, std::uint64_t limit) {
  auto id = fs.lookup(path);
  if (!id) return id.problem();
  auto st = fs.stat(*id);
  if (!st) return st.problem();
  if (st->kind != fs::NodeKind::file)
    return Finding{Code::spool_seen_db_unreadable, std::string(path),
                   fmt::format("not a regular file ({})", fs::to_string(st->kind))};
  auto bytes = fs.read_all(*id, limit);
  if (!bytes) return bytes.problem();
  SeenDb db = parse_seen_db(ByteView(*bytes), path);
  if (db.backend == DbBackend::twom || db.backend == DbBackend::unknown) {
    Finding f = db.findings.items().empty()
                    ? Finding{Code::spool_seen_db_unreadable, std::string(path), {}}
                    : db.findings.items().front();
    return f;
  }
  return db;
}

// ---------------------------------------------------------------- paths

std::vector<SeenDbPath> seen_db_paths(std::string_view configdir_path, const SeenDbQuery& q) {
  std::vector<SeenDbPath> out;
  const std::string base = strip_slashes(configdir_path);
  std::string_view userid = q.userid;
  if (userid.empty() || userid.find('/') != std::string_view::npos ||
      userid.find('\0') != std::string_view::npos)
    return out;

  if (q.inbox_uniqueid.size() >= 2 && safe_component(q.inbox_uniqueid)) {
    const auto& u = q.inbox_uniqueid;
    std::string p = join_path(base, "user/uuid");
    p = join_path(p, std::string(1, u[0]));
    p = join_path(p, std::string(1, u[1]));
    p = join_path(p, u);
    out.push_back({join_path(p, "seen.db"), "uuid"});
  }

  std::string_view local = userid;
  std::string_view domain;
  if (auto at = userid.rfind('@'); at != std::string_view::npos) {
    local = userid.substr(0, at);
    domain = userid.substr(at + 1);
  }
  if (!safe_component(local) || (!domain.empty() && !safe_component(domain))) return out;

  std::vector<std::string> names{std::string(local)};
  if (local.find('.') != std::string_view::npos) {
    std::string caret(local);
    std::replace(caret.begin(), caret.end(), '.', '^');
    names.push_back(caret);
  }
  std::vector<bool> schemes;
  if (!q.fulldirhash || !*q.fulldirhash) schemes.push_back(false);
  if (!q.fulldirhash || *q.fulldirhash) schemes.push_back(true);
  for (bool full : schemes) {
    for (const auto& name : names) {
      std::string p = base;
      if (!domain.empty()) {
        p = join_path(p, "domain");
        p = join_path(p, std::string(1, dir_hash_c(domain, full)));
        p = join_path(p, domain);
      }
      p = join_path(p, "user");
      p = join_path(p, std::string(1, dir_hash_c(name, full)));
      p = join_path(p, name + ".seen");
      if (std::none_of(out.begin(), out.end(), [&](const SeenDbPath& c) { return c.path == p; }))
        out.push_back({p, full ? "legacy-fulldirhash" : "legacy"});
    }
  }
  return out;
}

std::vector<SeenDbPath> find_seen_db(fs::Filesystem& fs, std::string_view configdir_path,
                                     const SeenDbQuery& q, Findings& findings) {
  std::vector<SeenDbPath> found;
  auto candidates = seen_db_paths(configdir_path, q);
  std::string tried;
  for (auto& c : candidates) {
    if (!tried.empty()) tried += ", ";
    tried += c.path;
    auto id = fs.lookup(c.path);
    if (!id) {
      // Absent is normal; a damaged or symlinked path is worth saying.
      if (id.problem().code != Code::fs_path_not_found) findings.add(id.problem());
      continue;
    }
    auto st = fs.stat(*id);
    if (!st) {
      findings.add(st.problem());
      continue;
    }
    if (st->kind != fs::NodeKind::file) {
      findings.add(Code::spool_seen_db_unreadable, c.path,
                   fmt::format("not a regular file ({})", fs::to_string(st->kind)));
      continue;
    }
    found.push_back(std::move(c));
  }
  if (found.empty())
    findings.add(Code::spool_seen_db_absent, strip_slashes(configdir_path),
                 fmt::format("user {}: tried {}", q.userid.substr(0, 256),
                             tried.empty() ? std::string("nothing (unusable userid)") : tried));
  return found;
}

std::vector<SeenDbPath> find_seen_db(fs::Filesystem& fs, std::string_view configdir_path,
                                     std::string_view userid, Findings& findings,
                                     std::string_view inbox_uniqueid) {
  SeenDbQuery q;
  q.userid = std::string(userid);
  q.inbox_uniqueid = std::string(inbox_uniqueid);
  return find_seen_db(fs, configdir_path, q, findings);
}

}  // namespace ss::spool
