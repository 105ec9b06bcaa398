// salvage/: recover every message that can be recovered, prove it, and say
// what is lost.
//
// For each mailbox (selected or not: every message found appears in the
// result with a status and a reason), run the validate/ passes with a sink
// that writes each selected message's bytes to OUT/maildir/<box>/tmp while
// they are hashed — each message is read once — then give it its status
// (DESIGN.md "Message status") and publish it to cur/ with its flags and
// internal date. Writes only under OUT; refuses an OUT inside the evidence.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/problem.hpp"
#include "fs/filesystem.hpp"
#include "salvage/other_side.hpp"
#include "spool/discovery.hpp"
#include "spool/sync_log.hpp"

namespace ss::salvage {

struct Selection {
  std::vector<std::string> mailbox_globs;        // internal or display names, or globs
  std::optional<spool::SyncLogSelection> sync_log;  // mailboxes named by the sync log
  std::string sync_log_source;                   // e.g. "sync log var/lib/cyrus/sync/log"
  std::optional<std::int64_t> since, until;      // internal date, seconds, inclusive
  bool live_only = false;                        // leave out expunged and DELETED.*
  // GUIDs (hex SHA-1) the other side holds: messages with these are skipped.
  std::optional<std::unordered_set<std::string>> held_elsewhere;
  std::string held_elsewhere_source;
  // The other side read from its evidence (--not-in EVIDENCE2): each
  // mailbox here is classified against it.
  const OtherSide* other = nullptr;
};

struct ManifestEntry {
  // Where it was found
  std::string mailbox, display_name, uniqueid, maildir;
  std::size_t fs_index = 0;
  std::string source_dir;
  std::uint64_t inode = 0;
  std::vector<fs::FileRun> runs;  // where the file's bytes lie in the evidence
  bool in_deleted_mailbox = false;
  // What the record says (absent for a file no record claims)
  std::optional<std::uint32_t> recno;
  std::uint32_t uid = 0;
  std::string guid;                       // hex, from the record
  std::optional<std::uint64_t> size;      // bytes (the file's, else the record's)
  std::optional<std::int64_t> internaldate;
  std::string internaldate_source;        // "index record (crc-ok)", "file mtime", ...
  std::vector<std::string> flags;         // IMAP system flags
  std::vector<std::string> keywords;      // user flags by name
  std::string flags_source;
  bool expunged = false;
  std::string record_integrity;           // crc-ok, corrected, range-checked, damaged, none
  // What happened
  std::string status;                     // DESIGN.md message status
  std::vector<std::string> reasons;         // finding codes (src/core/problem.hpp)
  std::vector<std::string> reason_details;  // the particulars, one per code
  void add_reason(Code c, std::string detail) {
    reasons.emplace_back(problem_info(c).id);
    reason_details.push_back(std::move(detail));
  }
  std::string sha1;                       // of the bytes read
  std::string output;                     // path under OUT, when written
  std::string cache_envelope;             // for unrecoverable messages: what the cache knows
  std::string other_side;                 // mailbox classification there (with --not-in)
  // Skipped by the selection although the other side does not hold it: mail
  // the narrowing (cutoff, sync log, --mailbox) leaves behind.
  bool stranded_left_out = false;
};

struct MailboxSummary {
  std::string mailbox, display_name, maildir, uniqueid, state;
  std::uint64_t records = 0, files = 0;
  std::uint64_t salvaged = 0, unrecoverable = 0, skipped = 0;
  std::uint64_t skipped_files = 0, skipped_records = 0;
  bool selected = true;
  std::string other_side;  // classification (with --not-in)
};

struct SalvageResult {
  std::vector<ManifestEntry> entries;
  std::vector<MailboxSummary> mailboxes;
  Findings findings;
  std::uint64_t bytes_written = 0, bytes_hashed = 0;
  bool out_failed = false;  // OUT could not be written: operational error
};

// Checks OUT before anything is written: must be empty or absent (created),
// and not inside any directory evidence or equal to an image path.
Status prepare_out(const std::string& out, const std::vector<std::string>& evidence_paths);

// Progress for a long run: called after each message is read (and after
// each mailbox), from the calling thread. `total_messages` is what discovery
// counted (records and files), an estimate.
struct Progress {
  std::uint64_t messages_done = 0, total_messages = 0, bytes_done = 0;
};
using ProgressFn = std::function<void(const Progress&)>;

SalvageResult run_salvage(const std::vector<fs::Filesystem*>& filesystems,
                          const spool::SpoolDiscovery& disc, const Selection& sel,
                          const std::string& out, const ProgressFn& progress = {});

}  // namespace ss::salvage
