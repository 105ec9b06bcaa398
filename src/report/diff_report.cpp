#include "report/diff_report.hpp"

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "report/findings_json.hpp"

namespace ss::report {

using nlohmann::json;

namespace {

std::string utc(std::int64_t t) {
  if (t == 0) return "-";
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (!gmtime_r(&tt, &tm)) return std::to_string(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string flags_text(const std::vector<std::string>& f) {
  std::string s = "(";
  for (std::size_t i = 0; i < f.size(); ++i) s += (i ? " " : "") + f[i];
  return s + ")";
}

constexpr const char* kDanger =
    "resuming replication from the old master would delete these mailboxes there too, with the "
    "mail only they hold: salvage first (salvage --not-in NEW), then reinject";

}  // namespace

std::string diff_text(const salvage::DiffResult& r, const DiffSides& sides, const Findings& findings) {
  std::string s = fmt::format("spoolsalvage diff\n\nold master: {}\nnew master: {}\n\n",
                              printable(sides.old_name), printable(sides.new_name));
  s += fmt::format("{:<40} {:<24} {:>7} {:>6} {:>11} {:>9} {:>10}\n", "MAILBOX (old master)", "ON THE NEW MASTER",
                   "RECORDS", "HELD", "ONLY-ON-OLD", "SAME-UID", "FLAG-DRIFT");
  std::size_t skipped = 0;
  for (const auto& m : r.mailboxes) {
    if (!m.skipped.empty()) {
      ++skipped;
      continue;
    }
    s += fmt::format("{:<40} {:<24} {:>7} {:>6} {:>11} {:>9} {:>10}\n", printable(m.display_name),
                     m.classification, m.records, m.held, m.only_here.size(),
                     m.uid_collisions.size(), m.flag_drift.size());
  }
  if (skipped) s += fmt::format("({} mailboxes not in the selection)\n", skipped);
  s += fmt::format("\nonly on the old master: {} messages", r.only_here);
  if (r.outside_dates) s += fmt::format(" (and {} more outside --since/--until)", r.outside_dates);
  s += "\n";
  for (const auto& m : r.mailboxes)
    for (const auto& x : m.only_here)
      s += fmt::format("  {} uid {} {} {} {}{}\n", printable(m.display_name), x.uid, x.guid,
                       utc(x.internaldate), flags_text(x.flags), x.expunged ? " expunged" : "");
  if (r.deleted_there) {
    s += fmt::format("\nDANGER: {} mailboxes of the old master are deleted on the new master; {}:\n",
                     r.deleted_there, kDanger);
    for (const auto& m : r.mailboxes)
      if (m.skipped.empty() && m.classification == "deleted-there")
        s += fmt::format("  {} (uniqueid {}): {} messages, {} only on the old master\n",
                         printable(m.display_name), m.uniqueid, m.records, m.only_here.size());
  }
  if (r.uid_collisions) {
    s += fmt::format("\nsame uid, different message ({}; matched by GUID, never by uid):\n",
                     r.uid_collisions);
    for (const auto& m : r.mailboxes)
      for (const auto& c : m.uid_collisions)
        s += fmt::format("  {} uid {}: old {} new {}\n", printable(m.display_name), c.uid, c.here,
                         c.there);
  }
  if (!r.flags_compared)
    s += "\nflags not compared (the new master's flags were not read: no DIGEST.SHA1 over IMAP)\n";
  else if (r.flag_drift) {
    s += fmt::format("\nflag drift, same message in the same mailbox ({}):\n", r.flag_drift);
    for (const auto& m : r.mailboxes)
      for (const auto& f : m.flag_drift)
        s += fmt::format("  {} {} old uid {} {} / new uid {} {}\n", printable(m.display_name),
                         f.guid, f.uid_here, flags_text(f.here), f.uid_there, flags_text(f.there));
  }
  if (r.records_unusable)
    s += fmt::format("\n{} records of the old master have no intact GUID (CRC failing, or none): "
                     "not compared; run check and salvage for them\n",
                     r.records_unusable);
  if (sides.new_is_imap)
    s += "\nnote: over IMAP the new master's expunged-but-present records are invisible: a message "
         "expunged there on purpose shows as only on the old master\n";
  for (const auto& f : findings.items())
    if (f.severity() >= Severity::warning) s += finding_line(f) + "\n";
  return s;
}

std::string diff_json(const salvage::DiffResult& r, const DiffSides& sides, const Findings& findings) {
  json j;
  j["old"] = sides.old_name;
  j["new"] = sides.new_name;
  j["totals"] = {{"only_on_old", r.only_here},          {"outside_dates", r.outside_dates},
                 {"mailboxes_deleted_on_new", r.deleted_there},
                 {"uid_collisions", r.uid_collisions}, {"flag_drift", r.flag_drift},
                 {"records_without_intact_guid", r.records_unusable},
                 {"flags_compared", r.flags_compared}};
  json boxes = json::array();
  for (const auto& m : r.mailboxes) {
    json b = {{"mailbox", m.name}, {"display_name", m.display_name}, {"uniqueid", m.uniqueid},
              {"classification", m.classification}};
    if (!m.skipped.empty()) {
      b["skipped"] = m.skipped;
      boxes.push_back(std::move(b));
      continue;
    }
    if (m.classification == "deleted-there") b["danger"] = kDanger;
    b["records"] = m.records;
    b["held"] = m.held;
    b["outside_dates"] = m.outside_dates;
    b["expunged_on_old_not_compared"] = m.expunged_here;
    json only = json::array();
    for (const auto& x : m.only_here)
      only.push_back({{"uid", x.uid}, {"guid", x.guid}, {"internaldate", x.internaldate},
                      {"internaldate_utc", utc(x.internaldate)}, {"flags", x.flags},
                      {"expunged", x.expunged}});
    b["only_on_old"] = std::move(only);
    json col = json::array();
    for (const auto& c : m.uid_collisions)
      col.push_back({{"uid", c.uid}, {"old_guid", c.here}, {"new_guid", c.there}});
    b["uid_collisions"] = std::move(col);
    json drift = json::array();
    for (const auto& f : m.flag_drift)
      drift.push_back({{"guid", f.guid}, {"old_uid", f.uid_here}, {"new_uid", f.uid_there},
                       {"old_flags", f.here}, {"new_flags", f.there}});
    b["flag_drift"] = std::move(drift);
    boxes.push_back(std::move(b));
  }
  j["mailboxes"] = std::move(boxes);
  j["findings"] = to_json(findings);
  return j.dump(2) + "\n";
}

}  // namespace ss::report
