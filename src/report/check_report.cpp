#include "report/check_report.hpp"

#include <fmt/format.h>

#include <map>

#include "report/findings_json.hpp"
#include "salvage/lost_files.hpp"

namespace ss::report {
namespace {

using nlohmann::json;

std::map<std::string, std::size_t> state_counts(const CheckedMailbox& c) {
  std::map<std::string, std::size_t> n;
  for (const auto& m : c.messages) ++n[std::string(validate::to_string(m.state))];
  return n;
}

}  // namespace

namespace {
const std::string kNone;
const std::vector<std::uint32_t> kNoBits;
}  // namespace

const std::vector<std::uint32_t>& CheckedRecord::flipped_bits() const { return flipped ? *flipped : kNoBits; }
const std::string& CheckedMessage::reason() const { return rare ? rare->reason : kNone; }
const std::string& CheckedMessage::missing_guid() const { return rare ? rare->missing_guid : kNone; }

CheckedMailbox summarize_check(const spool::Mailbox& m, const validate::MailboxCheck& c) {
  CheckedMailbox out;
  out.mailbox = &m;
  out.where = c.where;
  const auto& ix = c.index;
  if (ix.contents) {
    out.index_read = true;
    out.minor = ix.contents->header.minor;
    out.num_records = ix.contents->num_records;
    out.records_missing = ix.contents->records_missing;
    out.trailing_records = ix.contents->trailing_records;
    out.records_read = ix.records_read;
  }
  out.header_integrity = ix.header_integrity;
  out.records.reserve(ix.records.size());
  for (const auto& v : ix.records) {
    CheckedRecord r{v.record.recno, v.record.uid(), v.integrity, nullptr};
    if (!v.flipped_bits.empty()) r.flipped = std::make_unique<std::vector<std::uint32_t>>(v.flipped_bits);
    out.records.push_back(std::move(r));
  }
  out.messages.reserve(c.messages.size());
  for (const auto& mv : c.messages) {
    CheckedMessage cm;
    cm.size = mv.file_size;
    cm.inode = mv.inode;
    cm.uid = mv.uid;
    cm.recno = mv.recno;
    cm.state = mv.state;
    cm.sha1 = mv.sha1;
    cm.expunged = mv.expunged;
    cm.has_file = mv.has_file;
    cm.missing_without_guid = salvage::missing_without_guid(c, mv);
    std::string guid = salvage::missing_guid(c, mv);
    if (!mv.reason.empty() || !guid.empty())
      cm.rare = std::make_unique<CheckedMessage::Rare>(CheckedMessage::Rare{mv.reason, std::move(guid)});
    out.messages.push_back(std::move(cm));
  }
  out.findings = c.findings;
  out.bytes_hashed = c.bytes_hashed;
  return out;
}

Findings check_findings(const std::vector<EvidenceView>& evidence,
                        const spool::SpoolDiscovery& disc,
                        const std::vector<CheckedMailbox>& checked) {
  Findings all;
  for (const auto& e : evidence) {
    if (e.fs) all.append(e.fs->open_findings());
    else all.add(*e.open_error);
  }
  all.append(disc.findings);
  for (const auto& c : checked) {
    all.append(c.mailbox->findings);
    all.append(c.findings);
  }
  return all;
}

namespace {

json checked_mailbox_json(const CheckedMailbox& c, const std::vector<EvidenceView>& evidence) {
  json j = mailbox_json(*c.mailbox, evidence);
  json index = nullptr;
  if (c.index_read) {
    index = {{"minor_version", c.minor},
             {"header_integrity", validate::to_string(c.header_integrity)},
             {"num_records", c.num_records},
             {"records_read", c.records_read},
             {"records_missing", c.records_missing},
             {"trailing_records", c.trailing_records}};
    json recs = json::array();
    for (const auto& v : c.records)
      recs.push_back({{"recno", v.recno},
                      {"uid", v.uid},
                      {"integrity", validate::to_string(v.integrity)},
                      {"flipped_bits", v.flipped_bits()}});
    index["records"] = recs;
  }
  j["index"] = index;
  json msgs = json::array();
  for (const auto& m : c.messages)
    msgs.push_back({{"uid", m.uid},
                    {"recno", m.recno ? json(*m.recno) : json(nullptr)},
                    {"state", validate::to_string(m.state)},
                    {"expunged", m.expunged},
                    {"has_file", m.has_file},
                    {"size", m.size},
                    {"inode", m.inode},
                    {"sha1", m.sha1 ? json(to_hex(*m.sha1)) : json(nullptr)},
                    {"reason", m.reason()}});
  j["messages"] = msgs;
  j["check_findings"] = to_json(c.findings);
  j["counts"] = state_counts(c);
  return j;
}

}  // namespace

void write_check_json(const std::vector<EvidenceView>& evidence, const spool::SpoolDiscovery& disc,
                      const std::vector<CheckedMailbox>& checked,
                      const std::function<void(std::string_view)>& sink) {
  // The keys in the order a whole-document dump gives them (sorted).
  sink("{\n  \"evidence\": " + json_dump_at(evidence_list_json(evidence), 1) + ",\n  \"findings\": " +
       json_dump_at(to_json(disc.findings), 1) + ",\n  \"mailboxes\": [");
  std::map<std::string, std::size_t> total;
  std::uint64_t hashed = 0;
  bool first = true;
  for (const auto& c : checked) {
    json j = checked_mailbox_json(c, evidence);
    for (const auto& [k, n] : j["counts"].items()) total[k] += n.get<std::size_t>();
    hashed += c.bytes_hashed;
    sink((first ? "\n    " : ",\n    ") + json_dump_at(j, 2));
    first = false;
  }
  json totals = {{"messages", total}, {"bytes_hashed", hashed}};
  sink(std::string(first ? "]" : "\n  ]") + ",\n  \"totals\": " + json_dump_at(totals, 1) + "\n}\n");
}

std::string check_text(const std::vector<EvidenceView>& evidence,
                       const spool::SpoolDiscovery& disc,
                       const std::vector<CheckedMailbox>& checked) {
  std::string out;
  for (const auto& e : evidence) {
    if (!e.fs) continue;
    for (const auto& f : e.fs->open_findings().items())
      if (f.severity() > Severity::info) out += finding_line(f) + "\n";
  }
  std::map<std::string, std::size_t> total;
  for (const auto& c : checked) {
    auto counts = state_counts(c);
    std::vector<std::string> parts;
    for (const auto& [k, n] : counts) {
      parts.push_back(fmt::format("{} {}", n, k));
      total[k] += n;
    }
    out += fmt::format("{}: index v{}, {} records, header {}: {}\n",
                       printable(c.mailbox->display_name),
                       c.index_read ? fmt::format("{}", c.minor) : "?",
                       c.index_read ? c.records_read : 0,
                       validate::to_string(c.header_integrity),
                       parts.empty() ? std::string("no messages") : fmt::format("{}", fmt::join(parts, ", ")));
    for (const auto& f : c.mailbox->findings.items())
      if (f.severity() > Severity::info) out += "  " + finding_line(f) + "\n";
    for (const auto& f : c.findings.items())
      if (f.severity() > Severity::info || f.code == Code::record_corrected ||
          f.code == Code::index_header_corrected || f.code == Code::header_file_corrected ||
          f.code == Code::index_layout_inferred)
        out += "  " + finding_line(f) + "\n";
  }
  for (const auto& f : disc.findings.items())
    if (f.severity() > Severity::info) out += finding_line(f) + "\n";
  std::vector<std::string> parts;
  for (const auto& [k, n] : total) parts.push_back(fmt::format("{} {}", n, k));
  out += fmt::format("checked {} mailboxes: {}\n", checked.size(),
                     parts.empty() ? std::string("no messages") : fmt::format("{}", fmt::join(parts, ", ")));
  return out;
}

}  // namespace ss::report
