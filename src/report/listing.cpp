#include "report/listing.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "report/findings_json.hpp"

namespace ss::report {
namespace {

using nlohmann::json;

json opt_json(const std::optional<std::uint32_t>& v) { return v ? json(*v) : json(nullptr); }
json opt_json(const std::optional<std::uint64_t>& v) { return v ? json(*v) : json(nullptr); }

std::string evidence_path(const std::vector<EvidenceView>& ev, std::size_t i) {
  return i < ev.size() ? ev[i].path : std::string{};
}

json fs_json(const fs::FsInfo& i) {
  return {{"type", i.type},
          {"block_size", i.block_size},
          {"blocks_count", i.blocks_count},
          {"inodes_count", i.inodes_count},
          {"free_blocks", i.free_blocks},
          {"free_inodes", i.free_inodes},
          {"uuid", i.uuid},
          {"label", i.label},
          {"superblock", i.superblock},
          {"superblock_block", i.superblock_block},
          {"features", i.features},
          {"has_journal", i.has_journal},
          {"journal_needs_recovery", i.journal_needs_recovery},
          {"last_mount_time", i.last_mount_time},
          {"last_write_time", i.last_write_time}};
}

json evidence_json(const EvidenceView& e) {
  json j = {{"path", e.path}};
  if (!e.sha256.empty()) j["sha256"] = e.sha256;
  if (!e.hash_error.empty()) j["sha256_error"] = e.hash_error;
  if (!e.ddrescue_map.empty()) j["ddrescue_map"] = e.ddrescue_map;
  if (e.volumes) {
    json vols = json::array();
    for (const auto& v : e.volumes->volumes)
      vols.push_back({{"id", v.id}, {"what", v.what}, {"offset", v.offset}, {"size", v.size},
                      {"content", v.content}, {"label", v.label}, {"uuid", v.uuid},
                      {"usable", v.usable}});
    j["partition_table"] = e.volumes->table;
    j["volumes"] = std::move(vols);
    j["volume_findings"] = to_json(e.volumes->findings);
  }
  if (e.fs) {
    j["filesystem"] = fs_json(e.fs->info());
    j["findings"] = to_json(e.fs->open_findings());
  } else {
    j["filesystem"] = nullptr;
    j["findings"] = json::array({to_json(*e.open_error)});
  }
  return j;
}

struct Counts {
  std::size_t mailboxes = 0, live = 0, deleted = 0;
  std::uint64_t message_files = 0, records = 0;
};

Counts count(const spool::SpoolDiscovery& d) {
  Counts c;
  for (const auto& m : d.mailboxes) {
    ++c.mailboxes;
    (m.state == spool::MailboxState::deleted ? c.deleted : c.live)++;
    c.message_files += m.message_files;
    c.records += m.records.value_or(0);
  }
  return c;
}

std::string fs_line(const EvidenceView& e) {
  if (!e.fs) return fmt::format("{}: cannot open: {}", printable(e.path),
                                finding_line(*e.open_error));
  const auto& i = e.fs->info();
  if (i.type == "directory") return fmt::format("{}: directory tree", printable(e.path));
  std::string sb = i.superblock == "primary"
                       ? std::string("primary superblock")
                       : fmt::format("backup superblock at block {}", i.superblock_block);
  return fmt::format("{}: {}, {}-byte blocks, {} blocks, {} inodes, {}{}", printable(e.path),
                     i.type, i.block_size, i.blocks_count, i.inodes_count, sb,
                     i.journal_needs_recovery ? ", journal needs recovery" : "");
}

void append_findings(std::string& out, const Findings& f, std::string_view indent) {
  for (const auto& x : f.items()) out += fmt::format("{}{}\n", indent, finding_line(x));
}

}  // namespace

json evidence_list_json(const std::vector<EvidenceView>& ev) {
  json arr = json::array();
  for (const auto& e : ev) arr.push_back(evidence_json(e));
  return arr;
}

Findings all_findings(const std::vector<EvidenceView>& evidence,
                      const spool::SpoolDiscovery& disc) {
  Findings all;
  for (const auto& e : evidence) {
    if (e.fs) all.append(e.fs->open_findings());
    else all.add(*e.open_error);
  }
  all.append(disc.findings);
  for (const auto& m : disc.mailboxes) all.append(m.findings);
  return all;
}

json probe_json(const std::vector<EvidenceView>& evidence, const spool::SpoolDiscovery& disc) {
  json roots = json::array();
  for (const auto& r : disc.roots)
    roots.push_back({{"evidence", evidence_path(evidence, r.fs_index)},
                     {"path", r.path},
                     {"partition", r.partition},
                     {"configured_path", r.configured_path},
                     {"source", to_string(r.source)}});
  const auto& c = disc.config;
  json config = nullptr;
  if (c.found)
    config = {{"evidence", evidence_path(evidence, c.fs_index)},
              {"path", c.path},
              {"configdirectory", c.configdirectory},
              {"configdirectory_in_evidence",
               c.configdirectory_in_evidence ? json(*c.configdirectory_in_evidence)
                                             : json(nullptr)},
              {"partitions", c.partitions},
              {"hashimapspool", c.hashimapspool},
              {"fulldirhash", c.fulldirhash},
              {"unixhierarchysep", c.unixhierarchysep},
              {"mailboxes_db_backend", c.mailboxes_db_backend}};
  Counts n = count(disc);
  return {{"evidence", evidence_list_json(evidence)},
          {"config", config},
          {"spool_roots", roots},
          {"counts",
           {{"mailboxes", n.mailboxes},
            {"live", n.live},
            {"deleted", n.deleted},
            {"message_files", n.message_files},
            {"records", n.records}}},
          {"findings", to_json(disc.findings)}};
}

std::string probe_text(const std::vector<EvidenceView>& evidence,
                       const spool::SpoolDiscovery& disc) {
  std::string out;
  for (const auto& e : evidence) {
    if (e.volumes && (!e.volumes->table.empty() || e.volumes->volumes.size() != 1 ||
                      e.volumes->volumes.front().what != "the whole evidence")) {
      out += fmt::format("{}: a whole disk{}\n", printable(e.path),
                         e.volumes->table.empty() ? "" : fmt::format(", {} partition table", e.volumes->table));
      for (const auto& v : e.volumes->volumes)
        out += fmt::format("  {:<8} {} at byte {}, {} bytes{}{}\n",
                           v.id.empty() ? "(whole)" : "@" + v.id, v.what, v.offset, v.size,
                           v.content.empty() ? "" : ": " + v.content,
                           v.label.empty() ? "" : " \"" + printable(v.label) + "\"");
      append_findings(out, e.volumes->findings, "  ");
    }
    out += fs_line(e) + "\n";
    if (e.fs) {
      const auto& i = e.fs->info();
      if (i.type != "directory") {
        out += fmt::format("  uuid {}{}\n", i.uuid,
                           i.label.empty() ? "" : fmt::format(", label {}", printable(i.label)));
        if (!i.features.empty())
          out += fmt::format("  features: {}\n", fmt::join(i.features, " "));
      }
      append_findings(out, e.fs->open_findings(), "  ");
    }
  }
  const auto& c = disc.config;
  if (c.found) {
    out += fmt::format("config: {} in {}\n", printable(c.path),
                       printable(evidence_path(evidence, c.fs_index)));
    out += fmt::format("  configdirectory {}{}\n", printable(c.configdirectory),
                       c.configdirectory_in_evidence
                           ? fmt::format(" (found as {})", printable(*c.configdirectory_in_evidence))
                           : std::string(" (not in the evidence)"));
    for (const auto& [name, path] : c.partitions)
      out += fmt::format("  partition-{} {}\n", printable(name), printable(path));
  } else {
    out += "config: no imapd.conf found\n";
  }
  for (const auto& r : disc.roots)
    out += fmt::format("spool root: {} in {} ({}{})\n", printable(r.path.empty() ? "/" : r.path),
                       printable(evidence_path(evidence, r.fs_index)), to_string(r.source),
                       r.partition.empty() ? "" : ", partition " + printable(r.partition));
  Counts n = count(disc);
  out += fmt::format("mailboxes: {} ({} live, {} deleted), message files: {}, index records: {}\n",
                     n.mailboxes, n.live, n.deleted, n.message_files, n.records);
  append_findings(out, disc.findings, "");
  return out;
}

json mailbox_json(const spool::Mailbox& m, const std::vector<EvidenceView>& evidence) {
  json j = {{"name", m.name},
            {"display_name", m.display_name},
            {"name_source", to_string(m.name_source)},
            {"uniqueid", m.uniqueid},
            {"dir", m.dir},
            {"evidence", evidence_path(evidence, m.fs_index)},
            {"partition", m.partition},
            {"layout", m.layout},
            {"type", m.type},
            {"index_version", opt_json(m.index_version)},
            {"records", opt_json(m.records)},
            {"message_files", m.message_files},
            {"has_header", m.has_header},
            {"has_index", m.has_index},
            {"has_cache", m.has_cache},
            {"state", to_string(m.state)},
            {"findings", to_json(m.findings)}};
  if (m.state == spool::MailboxState::deleted) j["original_name"] = m.original_name;
  return j;
}

json ls_json(const std::vector<EvidenceView>& evidence, const spool::SpoolDiscovery& disc) {
  json arr = json::array();
  for (const auto& m : disc.mailboxes) arr.push_back(mailbox_json(m, evidence));
  return {{"evidence", evidence_list_json(evidence)},
          {"mailboxes", arr},
          {"findings", to_json(disc.findings)}};
}

std::string ls_text(const std::vector<EvidenceView>& evidence,
                    const spool::SpoolDiscovery& disc) {
  std::string out;
  for (const auto& e : evidence) {
    out += fs_line(e) + "\n";
    if (!e.fs) continue;
    for (const auto& f : e.fs->open_findings().items())
      if (f.severity() > Severity::info) out += "  " + finding_line(f) + "\n";
  }
  std::size_t w = 7;
  std::vector<std::string> names;
  for (const auto& m : disc.mailboxes) {
    names.push_back(printable(m.display_name));
    w = std::max(w, names.back().size());
  }
  w = std::min<std::size_t>(w, 60);
  out += fmt::format("{:<{}}  {:<7}  {:>3}  {:>7}  {:>5}  {:<36}  {:<12}  {}\n", "MAILBOX", w,
                     "STATE", "VER", "RECORDS", "FILES", "UNIQUEID", "NAMED-FROM", "DIR");
  for (std::size_t k = 0; k < disc.mailboxes.size(); ++k) {
    const auto& m = disc.mailboxes[k];
    out += fmt::format("{:<{}}  {:<7}  {:>3}  {:>7}  {:>5}  {:<36}  {:<12}  {}\n", names[k], w,
                       to_string(m.state),
                       m.index_version ? fmt::format("{}", *m.index_version) : "-",
                       m.records ? fmt::format("{}", *m.records) : "-", m.message_files,
                       m.uniqueid.empty() ? "-" : printable(m.uniqueid),
                       to_string(m.name_source), printable(m.dir));
    append_findings(out, m.findings, "    ");
  }
  append_findings(out, disc.findings, "");
  return out;
}

std::string json_dump_at(const json& j, int depth) {
  std::string d = j.dump(2, ' ', false, json::error_handler_t::replace);
  const std::string pad(static_cast<std::size_t>(2 * depth), ' ');
  std::string out;
  out.reserve(d.size() + d.size() / 16);
  for (char ch : d) {
    out += ch;
    if (ch == '\n') out += pad;  // a dump has no raw newline but between lines
  }
  return out;
}

json messages_json(const std::vector<EvidenceView>& evidence, const spool::Mailbox& m,
                   const std::vector<spool::MessageFile>& files, const Findings& findings) {
  json arr = json::array();
  for (const auto& f : files)
    arr.push_back({{"uid", f.uid}, {"size", f.size}, {"inode", f.inode}, {"mtime", f.mtime}});
  return {{"mailbox", mailbox_json(m, evidence)},
          {"messages", arr},
          {"findings", to_json(findings)}};
}

std::string messages_text(const spool::Mailbox& m, const std::vector<spool::MessageFile>& files,
                          const Findings& findings) {
  std::string out = fmt::format("{} ({}, {} message files, uniqueid {})\n",
                                printable(m.display_name), to_string(m.state), files.size(),
                                m.uniqueid.empty() ? "-" : printable(m.uniqueid));
  out += fmt::format("{:>10}  {:>10}  {:>10}\n", "UID", "SIZE", "INODE");
  for (const auto& f : files) out += fmt::format("{:>10}  {:>10}  {:>10}\n", f.uid, f.size, f.inode);
  append_findings(out, findings, "");
  return out;
}

}  // namespace ss::report
