#include "report/salvage_report.hpp"

#include <fmt/format.h>

#include <ctime>

#include "report/findings_json.hpp"

namespace ss::report {
namespace {

using nlohmann::json;

std::string iso_utc(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (!::gmtime_r(&tt, &tm)) return {};
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Byte runs of the source file: file offset, length, and where they lie in
// the evidence image (null for a hole, or for a directory-tree evidence).
json runs_json(const std::vector<fs::FileRun>& runs) {
  json arr = json::array();
  for (const auto& r : runs)
    arr.push_back({{"file_offset", r.file_offset},
                   {"len", r.length},
                   {"img_offset", r.image_offset ? json(*r.image_offset) : json(nullptr)}});
  return arr;
}

// Everything read from the evidence images: metadata (through libext2fs)
// and message bytes. A directory tree is not counted (it has no image).
std::uint64_t evidence_bytes_read(const std::vector<EvidenceView>& ev) {
  std::uint64_t n = 0;
  for (const auto& e : ev)
    if (e.fs)
      if (const auto* src = e.fs->source()) n += src->stats().bytes_read;
  return n;
}

// Read errors: retries (counted apart from first reads), reads refused because
// they touch a range that failed before, and the ranges not read.
struct ErrorCounts {
  std::uint64_t retries = 0, refused = 0, unread_ranges = 0, unread_bytes = 0;
};
ErrorCounts evidence_errors(const std::vector<EvidenceView>& ev) {
  ErrorCounts c;
  for (const auto& e : ev)
    if (e.fs)
      if (const auto* src = e.fs->source()) {
        c.retries += src->stats().retries;
        c.refused += src->stats().refused;
        for (const auto& r : src->needed_unread()) {
          ++c.unread_ranges;
          c.unread_bytes += r.length;
        }
      }
  return c;
}

json stranded_left_out(const salvage::SalvageResult& r) {
  return {{"messages", r.tally.stranded_left_out},
          {"by_mailbox", r.tally.stranded_left_out_by_mailbox}};
}

// Mail with no name and no record (OUT/unmatched/): what each one is.
json unmatched_json(const salvage::SalvageResult& r) {
  json out = json::array();
  for (const auto& [u, output] : r.unmatched)
    out.push_back({{"file", output},
                   {"status", "unmatched"},
                   {"fs_index", u.fs_index},
                   {"inode", u.node},
                   {"size", u.size},
                   {"sha1", u.sha1},
                   {"where", u.where},
                   {"from", u.header.from},
                   {"to", u.header.to},
                   {"subject", u.header.subject},
                   {"date", u.header.date},
                   {"message_id", u.header.message_id}});
  return out;
}

}  // namespace

json manifest_line(const salvage::ManifestEntry& e, const std::vector<EvidenceView>& ev) {
  json j = {{"mailbox", e.mailbox},
            {"display_name", e.display_name},
            {"uniqueid", e.uniqueid},
            {"uid", e.uid},
            {"recno", e.recno ? json(*e.recno) : json(nullptr)},
            {"guid", e.guid},
            {"sha1", e.sha1},
            {"size", e.size ? json(*e.size) : json(nullptr)},
            {"internaldate", e.internaldate ? json(*e.internaldate) : json(nullptr)},
            {"internaldate_utc", e.internaldate ? json(iso_utc(*e.internaldate)) : json(nullptr)},
            {"flags", e.flags},
            {"keywords", e.keywords},
            {"status", e.status},
            {"expunged", e.expunged},
            {"in_deleted_mailbox", e.in_deleted_mailbox},
            {"reasons", e.reasons},
            {"reason_details", e.reason_details},
            {"provenance",
             {{"record", e.record_integrity},
              {"internaldate", e.internaldate_source},
              {"flags", e.flags_source}}},
            {"source",
             {{"evidence", e.fs_index < ev.size() ? ev[e.fs_index].path : std::string()},
              {"dir", e.source_dir},
              {"file", e.size || e.inode ? fmt::format("{}.", e.uid) : std::string()},
              {"inode", e.inode},
              {"byte_runs", runs_json(e.runs)}}},
            {"maildir", e.maildir},
            {"file", e.output}};
  if (!e.cache_envelope.empty()) j["cache_envelope"] = e.cache_envelope;
  if (!e.other_side.empty()) j["other_side"] = {{"mailbox", e.other_side}};
  if (e.stranded_left_out) j["stranded_left_out"] = true;
  return j;
}

SalvageTotals totals_of(const salvage::SalvageResult& r) {
  SalvageTotals t;
  for (const auto& m : r.mailboxes) {
    t.files += m.files;
    t.records += m.records;
    t.salvaged += m.salvaged;
    t.unrecoverable += m.unrecoverable;
    t.skipped += m.skipped;
    t.skipped_files += m.skipped_files;
    t.skipped_records += m.skipped_records;
  }
  // The equations of the report (DESIGN.md: nothing lost silently), counted
  // from the manifest entries and checked against the per-mailbox counts:
  //   files found   = salvaged files + skipped files
  //   records found = salvaged records + unrecoverable + skipped records
  const auto& y = r.tally;
  t.by_status = y.by_status;
  t.reconciles = y.files == y.files_salvaged + y.files_skipped &&
                 y.records == y.records_salvaged + y.records_unrecoverable + y.records_skipped &&
                 y.files == t.files && y.records == t.records &&
                 y.records_skipped == t.skipped_records && y.files_skipped == t.skipped_files &&
                 t.salvaged + t.unrecoverable + t.skipped == y.messages;
  return t;
}

json salvage_report_json(const std::vector<EvidenceView>& ev, const spool::SpoolDiscovery& disc,
                         const salvage::SalvageResult& r, const json& run) {
  auto t = totals_of(r);
  json boxes = json::array();
  for (const auto& m : r.mailboxes)
    boxes.push_back({{"mailbox", m.mailbox},
                     {"display_name", m.display_name},
                     {"uniqueid", m.uniqueid},
                     {"state", m.state},
                     {"selected", m.selected},
                     {"maildir", m.maildir},
                     {"records", m.records},
                     {"files", m.files},
                     {"salvaged", m.salvaged},
                     {"unrecoverable", m.unrecoverable},
                     {"skipped", m.skipped},
                     {"other_side", m.other_side}});
  return {{"run", run},
          {"evidence", evidence_list_json(ev)},
          {"mailboxes", boxes},
          {"totals",
           {{"messages", r.tally.messages},
            {"files_found", t.files},
            {"records_found", t.records},
            {"salvaged", t.salvaged},
            {"unrecoverable", t.unrecoverable},
            {"skipped", t.skipped},
            {"skipped_files", t.skipped_files},
            {"skipped_records", t.skipped_records},
            {"by_status", t.by_status},
            {"reconciles", t.reconciles},
            {"stranded_left_out", stranded_left_out(r)},
            {"bytes_written", r.bytes_written},
            {"bytes_hashed", r.bytes_hashed},
            {"kept_from_earlier_run", r.resumed},
            {"written", r.tally.written},
            {"not_written", r.tally.not_written},
            {"cancelled", r.cancelled},
            {"mailboxes_not_done", r.mailboxes_not_done},
            {"reading",
             {{"message_bytes_needed", r.reads.bytes_needed},
              {"message_block_bytes_needed", r.reads.block_bytes_needed},
              {"message_bytes_read", r.reads.bytes_read},
              {"reads", r.reads.reads},
              {"backward_reads", r.reads.backward_reads},
              {"files_read_through_fs", r.reads.through_fs},
              {"files_unreadable", r.reads.failed},
              {"evidence_bytes_read", evidence_bytes_read(ev)},
              {"lost_mail_search",
               {{"records_with_missing_file", r.rehome.wanted},
                {"candidate_inodes_hashed", r.rehome.candidates},
                {"found", r.rehome.found},
                {"candidate_bytes_read", r.rehome.reads.bytes_read},
                {"inode_table_blocks_skipped", r.rehome.inode_table_blocks_skipped},
                {"carving",
                 {{"records_searched", r.rehome.carve.wanted},
                  {"free_bytes_searched", r.rehome.carve.free_bytes},
                  {"free_bytes_read", r.rehome.carve.scan.bytes_read},
                  {"header_starts", r.rehome.carve.header_starts},
                  {"candidates_hashed", r.rehome.carve.candidates},
                  {"candidates_over_budget", r.rehome.carve.over_budget},
                  {"candidate_bytes_read", r.rehome.carve.hashed.bytes_read},
                  {"found", r.rehome.carve.found}}}}},
              {"evidence_read_retries", evidence_errors(ev).retries},
              {"evidence_reads_refused", evidence_errors(ev).refused},
              {"evidence_ranges_unread", evidence_errors(ev).unread_ranges},
              {"evidence_bytes_unread", evidence_errors(ev).unread_bytes}}}}},
          {"unmatched", unmatched_json(r)},
          {"findings", to_json(r.findings)},
          {"discovery_findings", to_json(disc.findings)}};
}

std::string salvage_report_text(const std::vector<EvidenceView>& ev,
                                const spool::SpoolDiscovery& disc, const salvage::SalvageResult& r,
                                const std::string& out) {
  auto t = totals_of(r);
  std::string s = "spoolsalvage salvage report\n\n";
  for (const auto& e : ev) {
    s += fmt::format("evidence: {}{}\n", printable(e.path),
                     e.fs ? fmt::format(" ({})", e.fs->info().type) : std::string(" (not opened)"));
    if (!e.ddrescue_map.empty()) s += fmt::format("  read through the ddrescue map {}\n", printable(e.ddrescue_map));
    if (!e.sha256.empty()) s += fmt::format("  SHA-256 {}\n", e.sha256);
    if (!e.hash_error.empty()) s += fmt::format("  SHA-256 not computed: {}\n", printable(e.hash_error));
  }
  s += fmt::format("output:   {}\n\n", printable(out));
  s += fmt::format("{:<40} {:>8} {:>6} {:>9} {:>13} {:>8}\n", "MAILBOX", "RECORDS", "FILES",
                   "SALVAGED", "UNRECOVERABLE", "SKIPPED");
  for (const auto& m : r.mailboxes)
    s += fmt::format("{:<40} {:>8} {:>6} {:>9} {:>13} {:>8}{}\n", printable(m.display_name),
                     m.records, m.files, m.salvaged, m.unrecoverable, m.skipped,
                     m.selected ? "" : "  (not selected)");
  s += "\n";
  std::vector<std::string> parts;
  for (const auto& [k, n] : t.by_status) parts.push_back(fmt::format("{} {}", n, k));
  s += fmt::format("messages: {} ({})\n", r.tally.messages, fmt::join(parts, ", "));
  s += fmt::format("written to OUT: {}\n", r.tally.written);
  if (r.tally.not_written > 0)
    s += fmt::format("NOT WRITTEN to OUT: {} salvaged messages (out.write-failed: is OUT full or "
                     "read-only?); their manifest lines have no \"file\". Free space and run again "
                     "with --resume\n",
                     r.tally.not_written);
  s += fmt::format("files found {} = salvaged {} + skipped {}\n", t.files,
                   t.files - t.skipped_files, t.skipped_files);
  s += fmt::format("records found {} = salvaged {} + unrecoverable {} + skipped {}: {}\n", t.records,
                   t.records - t.unrecoverable - t.skipped_records, t.unrecoverable,
                   t.skipped_records, t.reconciles ? "reconciles" : "DOES NOT RECONCILE");
  s += fmt::format("bytes written {}\n", r.bytes_written);
  if (r.resumed > 0)
    s += fmt::format("kept from the earlier run (--resume; SHA-1 = GUID, not read again): {}\n",
                     r.resumed);
  if (r.cancelled)
    s += fmt::format("CANCELLED: {} mailboxes were not done; run again with --resume\n",
                     r.mailboxes_not_done);
  s += fmt::format("bytes read from the evidence {}; for the messages: {} read for {} bytes of "
                   "mail in {} bytes of blocks ({:.2f}x the blocks), in {} reads, {} backward\n",
                   evidence_bytes_read(ev), r.reads.bytes_read, r.reads.bytes_needed,
                   r.reads.block_bytes_needed,
                   r.reads.block_bytes_needed
                       ? static_cast<double>(r.reads.bytes_read) /
                             static_cast<double>(r.reads.block_bytes_needed)
                       : 0.0,
                   r.reads.reads, r.reads.backward_reads);
  if (r.rehome.wanted)
    s += fmt::format("lost mail: {} records had no file; {} inodes of their sizes were read ({} "
                     "bytes) and {} of the messages found by GUID (status rehomed)\n",
                     r.rehome.wanted, r.rehome.candidates, r.rehome.reads.bytes_read, r.rehome.found);
  if (r.rehome.copies_of_known || r.rehome.not_mail || !r.unmatched.empty())
    s += fmt::format("files with no name: {} are mail that matches no record (unmatched/, not "
                     "proven), {} are copies of messages found in place, {} are not mail\n",
                     r.unmatched.size(), r.rehome.copies_of_known, r.rehome.not_mail);
  if (r.rehome.carve.wanted)
    s += fmt::format("carving: {} records still without a file; {} bytes of free blocks read, {} "
                     "blocks there begin like a message header, {} candidates hashed ({} bytes), "
                     "{} found (status carved)\n",
                     r.rehome.carve.wanted, r.rehome.carve.scan.bytes_read,
                     r.rehome.carve.header_starts, r.rehome.carve.candidates,
                     r.rehome.carve.hashed.bytes_read, r.rehome.carve.found);
  if (const auto errs = evidence_errors(ev); errs.unread_ranges || errs.retries || errs.refused)
    s += fmt::format("not read: {} ranges of the evidence ({} bytes) that this run needed: ddrescue "
                     "map or read errors ({} retries, {} reads of known-bad ranges not sent to the "
                     "disk); rescue domain for another ddrescue pass: rescue-domain.map\n",
                     errs.unread_ranges, errs.unread_bytes, errs.retries, errs.refused);
  auto left = stranded_left_out(r);
  if (left["messages"].get<std::uint64_t>() > 0) {
    s += fmt::format("\n{} messages the other side does not hold were left out by the selection "
                     "(cutoff, sync log, --mailbox); they are in the manifest as skipped:\n",
                     left["messages"].get<std::uint64_t>());
    for (const auto& [box, n] : left["by_mailbox"].items())
      s += fmt::format("  {}: {}\n", printable(box), n.get<std::uint64_t>());
  }

  // What is lost, and what to do next.
  bool lost_header = false;
  for (const auto& e : r.lost) {
    if (!lost_header) {
      s += "\nnot proven or lost:\n";
      lost_header = true;
    }
    s += fmt::format("  {} uid {}: {} ({})\n", printable(e.display_name), e.uid, e.status,
                     printable(fmt::format("{}", fmt::join(e.reason_details, "; "))));
    if (!e.cache_envelope.empty()) {
      std::string env = e.cache_envelope.size() > 300 ? e.cache_envelope.substr(0, 300) + "..."
                                                      : e.cache_envelope;
      s += fmt::format("    the cache still knows (IMAP envelope: date, subject, from, ..., "
                       "message-id): {}\n", printable(env));
    }
  }
  bool finding_header = false;
  auto shown = [](const Finding& f) {
    return f.severity() > Severity::info || f.code == Code::record_corrected ||
           f.code == Code::index_header_corrected || f.code == Code::header_file_corrected ||
           f.code == Code::index_layout_inferred;
  };
  for (const auto& e : ev)
    if (e.fs)
      for (const auto& f : e.fs->open_findings().items())
        if (shown(f)) {
          if (!finding_header) s += "\nfindings:\n";
          finding_header = true;
          s += "  " + finding_line(f) + "\n";
        }
  for (const auto& f : r.findings.items()) {
    if (!shown(f)) continue;
    if (!finding_header) {
      s += "\nfindings:\n";
      finding_header = true;
    }
    s += "  " + finding_line(f) + "\n";
  }
  for (const auto& f : disc.findings.items())
    if (f.severity() > Severity::info) s += "  " + finding_line(f) + "\n";

  s += "\nwhat to do next:\n";
  if (t.by_status.count("verified") || t.by_status.count("corrected"))
    s += "  - verified and corrected messages are proven (SHA-1 = GUID): reinject them from maildir/\n"
         "    with their flags and internal dates (file mtime), or serve the Maildirs directly.\n";
  if (t.by_status.count("unverified"))
    s += "  - unverified messages were salvaged but nothing proves their bytes: check them by hand\n"
         "    before reinjecting (manifest.jsonl says why for each).\n";
  if (t.by_status.count("rehomed") || t.by_status.count("carved"))
    s += "  - rehomed and carved messages were found without a name (lost+found, an orphan or\n"
         "    deleted inode, free blocks) and are proven the same way: SHA-1 = the record's GUID.\n";
  if (t.by_status.count("matched-unproven"))
    s += "  - matched-unproven messages: their records have no GUID (index v9 and older); the file\n"
         "    taken has the record's size and header fields, which is likely but not proof.\n";
  if (!r.unmatched.empty())
    s += "  - unmatched/ holds mail found without a name that no record claims: read its headers\n"
         "    (report.json \"unmatched\") to decide whose it is; nothing proves where it belongs.\n";
  if (t.by_status.count("unrecoverable"))
    s += "  - unrecoverable messages are gone from this evidence; tell their owners what the cache\n"
         "    still knows (above), and look for them in backups or on the other server.\n";
  if (t.skipped > 0)
    s += "  - skipped messages were left out by the selection; manifest.jsonl lists each with its reason.\n";
  s += "  - the evidence was only read; keep it unchanged for a later pass.\n";
  return s;
}

}  // namespace ss::report
