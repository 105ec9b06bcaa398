#include "salvage/other_side.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/sha1.hpp"
#include "spool/header.hpp"
#include "spool/index_reader.hpp"

namespace ss::salvage {

std::string record_key(const std::string& uniqueid, const std::string& internal_name) {
  return uniqueid.empty() ? "name:" + internal_name : uniqueid;
}

OtherSide read_other_side(const std::vector<fs::Filesystem*>& fss, const spool::SpoolDiscovery& d,
                          bool keep_records) {
  OtherSide o;
  o.flags_known = keep_records;
  for (const auto& m : d.mailboxes) {
    bool live = m.state == spool::MailboxState::live;
    if (!m.uniqueid.empty()) o.state_by_uniqueid[m.uniqueid] = live ? "live" : "deleted";
    if (!live) continue;
    ++o.mailboxes;
    o.uniqueid_by_name[m.name] = m.uniqueid;
    fs::Filesystem& fs = *fss[m.fs_index];
    auto id = fs.lookup(m.dir.empty() ? "cyrus.index" : m.dir + "/cyrus.index");
    if (!id) continue;
    auto bytes = fs.read_all(*id, 1ull << 31);
    if (!bytes) {
      o.findings.add(bytes.problem());
      continue;
    }
    auto c = spool::index::read_index(ByteView(*bytes));
    if (!c) {
      o.findings.add(c.problem());
      continue;
    }
    std::vector<std::optional<std::string>> keyword_names;
    if (keep_records) {
      auto hid = fs.lookup(m.dir.empty() ? "cyrus.header" : m.dir + "/cyrus.header");
      auto hb = hid ? fs.read_all(*hid, 1u << 20) : Result<std::vector<std::byte>>(hid.problem());
      auto h = hb ? spool::parse_header(ByteView(*hb), m.dir) : Result<spool::MailboxHeader>(hb.problem());
      if (h) keyword_names = h->user_flags;
    }
    std::vector<OtherRecord>* kept =
        keep_records ? &o.records_by_mailbox[record_key(m.uniqueid, m.name)] : nullptr;
    const std::uint32_t minor = c->header.minor;
    for (const auto& r : c->records) {
      if (!(r.has_guid && !r.guid_is_zero() && r.crc_ok())) {
        if (keep_records) ++o.records_unusable;
        continue;
      }
      o.guids.insert(to_hex(r.guid));
      ++o.records;
      if (!kept) continue;
      namespace ix = spool::index;
      OtherRecord k;
      k.uid = static_cast<std::uint32_t>(r.values.get_or(ix::RecordField::uid, 0));
      k.guid = to_hex(r.guid);
      const auto sys = static_cast<std::uint32_t>(r.values.get_or(ix::RecordField::system_flags, 0));
      k.flags = ix::system_flag_names(sys, minor);
      k.expunged = (sys & ix::kFlagExpunged) != 0;
      for (unsigned bit = 0; bit < 128; ++bit)
        if ((r.user_flags[bit / 32] >> (bit % 32)) & 1u)
          k.flags.push_back(bit < keyword_names.size() && keyword_names[bit] ? *keyword_names[bit]
                                                                            : fmt::format("$unnamed-flag-{}", bit));
      std::sort(k.flags.begin(), k.flags.end());
      if (auto raw = r.values.get(ix::RecordField::internaldate))
        k.internaldate = ix::to_seconds(ix::Kind::nanos64, *raw);
      kept->push_back(std::move(k));
    }

  }
  return o;
}

std::string classify(const spool::Mailbox& here, const OtherSide& other) {
  if (!here.uniqueid.empty()) {
    auto it = other.state_by_uniqueid.find(here.uniqueid);
    if (it != other.state_by_uniqueid.end()) return it->second == "live" ? "live" : "deleted-there";
  }
  if (other.uniqueid_by_name.count(here.name)) return "same-name-other-uniqueid";
  return "created-here";
}

}  // namespace ss::salvage
