#include "salvage/diff.hpp"

#include <map>

namespace ss::salvage {

DiffResult diff_sides(const spool::SpoolDiscovery& old_disc, const OtherSide& old_side,
                      const OtherSide& new_side, const DiffOptions& opt) {
  DiffResult r;
  r.flags_compared = old_side.flags_known && new_side.flags_known;
  r.records_unusable = old_side.records_unusable;
  static const std::vector<OtherRecord> kNone;
  for (const auto& m : old_disc.mailboxes) {
    if (m.state != spool::MailboxState::live) continue;
    DiffMailbox d;
    d.name = m.name;
    d.display_name = m.display_name;
    d.uniqueid = m.uniqueid;
    d.classification = classify(m, new_side);
    Code code{};
    if (!mailbox_selected(m, opt.sel, code, d.skipped)) {
      r.mailboxes.push_back(std::move(d));
      continue;
    }
    if (d.classification == "deleted-there") ++r.deleted_there;
    auto here_it = old_side.records_by_mailbox.find(record_key(m.uniqueid, m.name));
    const auto& here = here_it == old_side.records_by_mailbox.end() ? kNone : here_it->second;
    // The same mailbox there: by uniqueid, else (same name, other uniqueid) by name.
    const std::vector<OtherRecord>* there = nullptr;
    if (d.classification == "live") {
      auto it = new_side.records_by_mailbox.find(record_key(m.uniqueid, m.name));
      if (it != new_side.records_by_mailbox.end()) there = &it->second;
    } else if (d.classification == "same-name-other-uniqueid") {
      auto id = new_side.uniqueid_by_name.find(m.name);
      if (id != new_side.uniqueid_by_name.end()) {
        auto it = new_side.records_by_mailbox.find(record_key(id->second, m.name));
        if (it != new_side.records_by_mailbox.end()) there = &it->second;
      }
    }
    std::map<std::uint32_t, const OtherRecord*> there_by_uid;
    std::map<std::string, const OtherRecord*> there_by_guid;
    // uids are compared only within the same mailbox (same uniqueid); flags
    // only against records not expunged there (expunged there is the user's
    // choice, not drift).
    if (there)
      for (const auto& t : *there) {
        if (d.classification == "live") there_by_uid[t.uid] = &t;
        if (!t.expunged) there_by_guid.emplace(t.guid, &t);
      }
    for (const auto& h : here) {
      if (h.expunged && !opt.include_expunged) {
        ++d.expunged_here;
        continue;
      }
      ++d.records;
      if (auto u = there_by_uid.find(h.uid); u != there_by_uid.end() && u->second->guid != h.guid)
        d.uid_collisions.push_back({h.uid, h.guid, u->second->guid});
      if (new_side.guids.count(h.guid)) {
        ++d.held;
        if (r.flags_compared)
          if (auto g = there_by_guid.find(h.guid);
              g != there_by_guid.end() && g->second->flags != h.flags)
            d.flag_drift.push_back({h.guid, h.uid, g->second->uid, h.flags, g->second->flags});
        continue;
      }
      if ((opt.sel.since && h.internaldate < *opt.sel.since) ||
          (opt.sel.until && h.internaldate > *opt.sel.until)) {
        ++d.outside_dates;
        continue;
      }
      d.only_here.push_back(h);
    }
    r.only_here += d.only_here.size();
    r.outside_dates += d.outside_dates;
    r.uid_collisions += d.uid_collisions.size();
    r.flag_drift += d.flag_drift.size();
    r.mailboxes.push_back(std::move(d));
  }
  return r;
}

}  // namespace ss::salvage
