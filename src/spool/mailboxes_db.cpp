#include "spool/mailboxes_db.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "spool/cyrusdb_raw.hpp"
#include "spool/dlist.hpp"
#include "spool/names.hpp"

namespace ss::spool {
namespace {

// 2.x mbtype bits → the letters 2.5+ writes for them.
std::string mbtype_letters(unsigned long bits) {
  std::string t;
  if (bits & 16u) t += 'd';
  if (bits & 8u) t += 'm';
  if (bits & 4u) t += 'n';
  if (bits & 1u) t += 'r';
  if (bits & 2u) t += 'z';
  return t;
}

// Fills type/uniqueid/partition/server from a value; false if unparsable.
bool parse_value(std::string_view value, MboxDbEntry& e) {
  if (!value.empty() && value.front() == '%') {
    auto r = parse_dlist(value);
    if (!r.value || r.value->kind != DlistValue::Kind::kvlist) return false;
    e.type = r.value->get_string("T").value_or("");
    e.uniqueid = r.value->get_string("I").value_or("");
    e.partition = r.value->get_string("P").value_or("");
    e.server = r.value->get_string("S").value_or("");
    return true;
  }
  // 2.5-pre extension "(uniqueid X specialuse Y) " before the text form.
  if (!value.empty() && value.front() == '(') {
    auto close = value.find(')');
    if (close == std::string_view::npos) return false;
    auto inner = value.substr(1, close - 1);
    auto u = inner.find("uniqueid ");
    if (u != std::string_view::npos) {
      auto id = inner.substr(u + 9);
      e.uniqueid = std::string(id.substr(0, id.find(' ')));
    }
    value.remove_prefix(close + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  // "mbtype partition acl"
  unsigned long bits = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), bits);
  if (ec != std::errc{}) return false;
  e.type = mbtype_letters(bits);
  std::string_view rest = value.substr(static_cast<std::size_t>(p - value.data()));
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  auto part = rest.substr(0, rest.find(' '));
  if (auto bang = part.find('!'); bang != std::string_view::npos) {
    e.server = std::string(part.substr(0, bang));
    part.remove_prefix(bang + 1);
  }
  e.partition = std::string(part);
  return true;
}

// A 3.6+ database: keys carry the 0x1F/0x1D separators, or an "I" record
// carries the mailbox name (N) in its value.
bool is_v36(const std::vector<cyrusdb::RawRecord>& recs) {
  for (const auto& r : recs) {
    if (r.key.find('\x1F') != std::string::npos || r.key.find('\x1D') != std::string::npos)
      return true;
    if (r.key.size() > 1 && r.key[0] == 'I' && r.value.starts_with("%(")) {
      auto d = parse_dlist(r.value);
      if (d.value && d.value->get("N")) return true;
    }
  }
  return false;
}

}  // namespace

std::string_view to_string(DbBackend b) {
  switch (b) {
    case DbBackend::twoskip:
      return "twoskip";
    case DbBackend::skiplist:
      return "skiplist";
    case DbBackend::flat:
      return "flat";
    case DbBackend::twom:
      return "twom";
    case DbBackend::unknown:
      return "unknown";
  }
  return "unknown";
}

DbBackend detect_db_backend(ByteView bytes) {
  if (bytes.starts_with(bytes_of(cyrusdb::kTwoskipMagic))) return DbBackend::twoskip;
  if (bytes.starts_with(bytes_of(cyrusdb::kSkiplistMagic))) return DbBackend::skiplist;
  if (bytes.starts_with(bytes_of(cyrusdb::kTwomMagic))) return DbBackend::twom;
  // flat: text lines "key TAB value"; no NUL in the first 4 KiB, and a TAB
  // in the first line.
  auto head = bytes.clamp(0, 4096).chars();
  if (head.empty() || head.find('\0') != std::string_view::npos) return DbBackend::unknown;
  auto first = head.substr(0, head.find('\n'));
  if (first.find('\t') == std::string_view::npos) return DbBackend::unknown;
  return DbBackend::flat;
}

const MboxDbEntry* MailboxesDb::find_by_name(std::string_view name) const {
  auto it = std::lower_bound(entries.begin(), entries.end(), name,
                             [](const MboxDbEntry& e, std::string_view n) { return e.name < n; });
  return it != entries.end() && it->name == name ? &*it : nullptr;
}

const MboxDbEntry* MailboxesDb::find_by_uniqueid(std::string_view uniqueid) const {
  // A deleted mailbox shares its uniqueid with the tombstone left under its
  // old name (type with 'd'); the entry that still has files wins.
  if (uniqueid.empty()) return nullptr;
  const MboxDbEntry* tombstone = nullptr;
  for (const auto& e : entries) {
    if (e.uniqueid != uniqueid) continue;
    if (e.type.find('d') == std::string::npos) return &e;
    if (!tombstone) tombstone = &e;
  }
  return tombstone;
}

AnyCyrusDb read_any_cyrusdb(ByteView bytes, std::string_view place) {
  AnyCyrusDb out;
  out.backend = detect_db_backend(bytes);
  switch (out.backend) {
    case DbBackend::twoskip: out.raw = cyrusdb::read_twoskip(bytes, place); break;
    case DbBackend::skiplist: out.raw = cyrusdb::read_skiplist(bytes, place); break;
    case DbBackend::flat: out.raw = cyrusdb::read_flat(bytes, place); break;
    case DbBackend::twom: out.unsupported = "twom backend (3.13+) not supported yet"; break;
    case DbBackend::unknown:
      out.unsupported = "backend not recognised (not twoskip, skiplist or flat text)";
      break;
  }
  return out;
}

MailboxesDb read_mailboxes_db(ByteView bytes, std::string_view place) {
  MailboxesDb out;
  auto any = read_any_cyrusdb(bytes, place);
  out.backend = any.backend;
  if (!any.raw) {
    out.findings.add(Code::spool_mailboxes_db_unsupported, std::string(place), any.unsupported);
    return out;
  }
  const cyrusdb::RawDb& raw = *any.raw;
  out.records = raw.records;
  out.bad_records = raw.bad;
  out.replayed = raw.replayed;
  out.findings.append(raw.findings);

  bool v36 = is_v36(raw.live);
  std::map<std::string, MboxDbEntry> by_name;
  std::uint64_t unparsable = 0;
  for (const auto& r : raw.live) {
    MboxDbEntry e;
    e.offset = r.offset;
    if (v36) {
      if (r.key.size() < 2 || r.key[0] != 'N') {
        ++out.skipped_keys;
        continue;
      }
      e.name = internal_from_dbname(std::string_view(r.key).substr(1));
    } else {
      if (r.key.empty() || r.key[0] == '$') {
        ++out.skipped_keys;
        continue;
      }
      e.name = r.key;
    }
    if (!parse_value(r.value, e)) {
      ++unparsable;
      out.findings.add(Code::spool_mailboxes_db_damaged,
                       fmt::format("{} offset {}", place, r.offset),
                       "entry value could not be parsed; name kept without type/partition");
    }
    by_name[e.name] = std::move(e);
  }
  out.bad_records += unparsable;
  for (auto& [n, e] : by_name) out.entries.push_back(std::move(e));
  return out;
}

}  // namespace ss::spool
