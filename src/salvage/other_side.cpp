#include "salvage/other_side.hpp"

#include "core/sha1.hpp"
#include "spool/index_reader.hpp"

namespace ss::salvage {

OtherSide read_other_side(const std::vector<fs::Filesystem*>& fss, const spool::SpoolDiscovery& d) {
  OtherSide o;
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
    for (const auto& r : c->records)
      if (r.has_guid && !r.guid_is_zero() && r.crc_ok()) {
        o.guids.insert(to_hex(r.guid));
        ++o.records;
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
