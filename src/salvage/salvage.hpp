// salvage/: recover every message that can be recovered, prove it, and say
// what is lost.
//
// For each mailbox (selected or not: every message found appears in the
// result with a status and a reason), run the validate/ metadata passes;
// then, for a group of mailboxes at a time, read the selected messages'
// bytes in disk order (fs/bulk_read.hpp) and, on worker threads, hash them
// and write them to OUT/maildir/<box>/tmp — each message is read once —
// then give each its status (DESIGN.md "Message status") and publish it to
// cur/ with its flags and internal date. Writes only under OUT; refuses an
// OUT inside the evidence.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/problem.hpp"
#include "fs/bulk_read.hpp"
#include "fs/filesystem.hpp"
#include "salvage/lost_files.hpp"
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

// Whether a mailbox is in the selection (live_only, sync_log, mailbox_globs);
// when not, the code and the reason why.
bool mailbox_selected(const spool::Mailbox& m, const Selection& sel, Code& code, std::string& why);

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

// Counted from the manifest entries as they are made (the entries
// themselves are handed out one by one and not kept: memory does not grow
// with the spool).
struct Tally {
  std::uint64_t messages = 0;
  std::map<std::string, std::uint64_t> by_status;
  std::uint64_t files = 0, files_salvaged = 0, files_skipped = 0;
  std::uint64_t records = 0, records_salvaged = 0, records_unrecoverable = 0, records_skipped = 0;
  std::uint64_t stranded_left_out = 0;
  std::map<std::string, std::uint64_t> stranded_left_out_by_mailbox;
  // Salvaged messages whose file is in OUT, and those whose bytes were
  // read but could not be written there (OUT full, ...).
  std::uint64_t written = 0, not_written = 0;
  // A message is left unproven or lost (exit bit 4): unverified, unread, or
  // unrecoverable other than unlinked on purpose.
  bool left = false;
  void add(const ManifestEntry& e);
};


struct SalvageResult {
  std::vector<MailboxSummary> mailboxes;
  Tally tally;
  // The entries that are unverified or unrecoverable, for the report.
  std::vector<ManifestEntry> lost;
  Findings findings;
  std::uint64_t bytes_written = 0, bytes_hashed = 0;
  fs::BulkReadStats reads;  // message bytes: needed, read from the evidence, order
  bool out_failed = false;  // OUT could not be written: operational error
  bool cancelled = false;   // stopped early (SalvageOptions::cancel)
  std::uint64_t mailboxes_not_done = 0;
  RehomeStats rehome;
  // Mail with no name that matches no record, written to OUT/unmatched/
  // (output: its path under OUT; empty when it could not be written).
  struct Unmatched {
    UnmatchedFile file;
    std::string output;
  };
  std::vector<Unmatched> unmatched;
  fs::BulkReadStats unmatched_reads;
  std::uint64_t resumed = 0;  // messages kept from an earlier run (resume)
};

// Checks OUT before anything is written: must be empty or absent (created),
// and not inside any directory evidence or equal to an image path. With
// resume, OUT may also hold an earlier run's output (a maildir/ directory).
Status prepare_out(const std::string& out, const std::vector<std::string>& evidence_paths,
                   bool resume = false);

// Progress for a long run: called after each message is read (and after
// each mailbox), from the calling thread. `total_messages` is what discovery
// counted (records and files), an estimate.
struct Progress {
  std::uint64_t messages_done = 0, total_messages = 0, bytes_done = 0;
};
using ProgressFn = std::function<void(const Progress&)>;

// Each manifest entry as soon as it is final: mailbox by mailbox in
// discovery order, by uid within a mailbox. Called on the calling thread.
using EntryFn = std::function<void(const ManifestEntry&)>;

struct SalvageOptions {
  fs::BulkReadOptions reading;
  // Mailboxes are checked, read and written in groups of about this many
  // records: what bounds memory, about 1.3 KB a record of a group (the
  // whole check of each mailbox in it), and two groups are alive at once
  // (one read while the next is checked).
  std::uint64_t group_records = 10000;
  // --resume: OUT holds an earlier run's output. A message already in its
  // Maildir's cur/ is kept without reading the evidence again when that
  // file's SHA-1 equals the GUID of its intact record (proof it is the
  // message); every other output of an earlier run is replaced.
  bool resume = false;
  // Set (e.g. by SIGINT) to stop after the mailboxes being worked on; the
  // result then says cancelled, and a run with resume finishes the job.
  const std::atomic<bool>* cancel = nullptr;
  // Lost mail put back (issue "orphans"): a record whose file is missing is
  // looked for among every regular-file inode of its filesystem whose size
  // is the record's — in lost+found, with no name (orphan), or deleted with
  // its blocks — and re-homed when the SHA-1 of its bytes is the record's
  // GUID (status "rehomed", proven). false: --no-orphans.
  bool rehome = true;
  // What no inode holds is carved from the free blocks (status "carved",
  // proven the same way). false: --no-carve.
  bool carve = true;
};


SalvageResult run_salvage(const std::vector<fs::Filesystem*>& filesystems,
                          const spool::SpoolDiscovery& disc, const Selection& sel,
                          const std::string& out, const EntryFn& emit,
                          const ProgressFn& progress = {}, const SalvageOptions& opt = {});

}  // namespace ss::salvage
