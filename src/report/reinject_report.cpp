#include "report/reinject_report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/findings_json.hpp"

namespace ss::report {

using nlohmann::json;
using salvage::Outcome;

namespace {

std::uint64_t count(const salvage::ReinjectResult& r, Outcome o) {
  auto it = r.counts.find(o);
  return it == r.counts.end() ? 0 : it->second;
}

constexpr Outcome kOrder[] = {Outcome::appended,        Outcome::created, Outcome::quarantined,
                              Outcome::already_present, Outcome::failed,  Outcome::left_out,
                              Outcome::would_append};

std::uint64_t sent(const salvage::ReinjectResult& r) {
  return count(r, Outcome::appended) + count(r, Outcome::created) + count(r, Outcome::quarantined);
}

}  // namespace

std::string reinject_text(const salvage::ReinjectResult& r, const std::string& target, bool dry_run) {
  std::string s = fmt::format("spoolsalvage reinject {}{}\n\n", printable(target),
                              dry_run ? " (dry run: nothing appended)" : "");
  for (Outcome o : kOrder)
    if (count(r, o) > 0) s += fmt::format("  {:<22} {}\n", to_string(o), count(r, o));
  const std::uint64_t n = sent(r);
  if (n > 0 && r.append_seconds > 0)
    s += fmt::format("\nappended {} messages ({} bytes) in {:.2f} s of APPEND: {:.0f} messages/s\n",
                     n, r.bytes_appended, r.append_seconds, static_cast<double>(n) / r.append_seconds);
  if (!r.extensions_used.empty()) {
    s += "extensions used:";
    for (const auto& x : r.extensions_used) s += " " + x;
    s += "\n";
  }
  bool header = false;
  for (const auto& e : r.entries) {
    if (e.outcome != Outcome::failed) continue;
    if (!header) s += "\nfailed (not on the target; run again once the cause is fixed):\n";
    header = true;
    s += fmt::format("  {} uid {} -> {}: {}\n", printable(e.mailbox), e.uid, printable(e.target),
                     printable(e.detail));
  }
  header = false;
  for (const auto& e : r.entries) {
    if (e.outcome != Outcome::quarantined) continue;
    if (!header) s += "\nquarantined (the mailbox is not on the target; not re-created):\n";
    header = true;
    s += fmt::format("  {} uid {} -> {}\n", printable(e.mailbox), e.uid, printable(e.target));
  }
  if (r.cancelled) s += "\ncancelled: run the same command again to finish (nothing is appended twice)\n";
  return s;
}

std::string reinject_json(const salvage::ReinjectResult& r, const std::string& target, bool dry_run) {
  json j;
  j["target"] = target;
  j["dry_run"] = dry_run;
  j["cancelled"] = r.cancelled;
  json tally = json::object();
  for (Outcome o : kOrder) tally[std::string(to_string(o))] = count(r, o);
  j["tally"] = tally;
  j["bytes_appended"] = r.bytes_appended;
  j["append_seconds"] = r.append_seconds;
  j["extensions_used"] = r.extensions_used;
  json entries = json::array();
  for (const auto& e : r.entries) {
    json x = {{"mailbox", e.mailbox}, {"uid", e.uid}, {"guid", e.guid},
              {"outcome", std::string(to_string(e.outcome))}};
    if (!e.target.empty()) x["target"] = e.target;
    if (!e.detail.empty()) x["detail"] = e.detail;
    if (e.target_uid) x["target_uid"] = e.target_uid;
    entries.push_back(std::move(x));
  }
  j["messages"] = std::move(entries);
  j["findings"] = to_json(r.findings);
  return j.dump(2) + "\n";
}

}  // namespace ss::report
