// salvage/: reinjection — the stranded messages of a salvage made with
// --not-in, APPENDed to the new master (a live Cyrus) with their flags and
// internal dates (DESIGN.md "Report first, act on request": a separate,
// explicit, idempotent step).
//
// What is appended: entries of OUT/manifest.jsonl that the other side does
// not hold (not skipped as held there), whose bytes were written to OUT, with
// proven content (verified, corrected, rehomed, carved; unverified only with
// include_unverified), live on the old master (an expunged record, or a
// mailbox deleted there, only with include_expunged). Each file's SHA-1 is
// checked against the manifest before it is sent.
//
// Where: the mailbox of the same internal name (or as the map says), as its
// owner sees it (SASL PLAIN: the login authenticates, the owner is the
// authorization identity, since a Cyrus admin may not append to users'
// mailboxes). A mailbox the salvage classified as deleted there, or that is
// not on the target now, is never re-created silently: its mail goes to a
// quarantine folder "Recovered by spoolsalvage" under the owner's INBOX
// (keeping the original path), or is created or skipped (Missing). A mailbox
// created on the old master after the split is created. A mailbox the map
// names goes where the map says.
//
// Idempotent: before appending, the whole target is read for the GUIDs it
// holds (as `salvage --not-in imap://` reads it); a message whose GUID is
// there — appended by an earlier, perhaps killed, run, or put there since —
// is "already present" and not sent again. Each append is recorded in
// OUT/reinject.jsonl (with the target's uid under UIDPLUS), synced per batch.
// LITERAL+ and MULTIAPPEND are used when the server offers them.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/problem.hpp"
#include "core/result.hpp"
#include "salvage/other_side_imap.hpp"

namespace ss::salvage {

enum class Missing { quarantine, create, skip };

struct ReinjectOptions {
  ImapReadOptions conn;  // password, TLS, STARTTLS, timeouts
  bool include_expunged = false;
  bool include_unverified = false;
  Missing missing = Missing::quarantine;
  // Cyrus internal name here → internal name on the target (used as given,
  // created when absent: the operator chose it).
  std::map<std::string, std::string> mailbox_map;
  bool use_literal_plus = true;  // when offered
  bool use_multiappend = true;   // when offered
  std::size_t batch_messages = 64;
  std::uint64_t batch_bytes = std::uint64_t{8} << 20;
  bool dry_run = false;  // read the target and say what would be appended; append nothing
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
  const std::atomic<bool>* cancel = nullptr;
};

enum class Outcome { appended, quarantined, created, already_present, failed, left_out, would_append };
std::string_view to_string(Outcome o);

struct ReinjectEntry {
  std::string mailbox;  // internal name on the old master
  std::uint32_t uid = 0;
  std::string guid;
  std::string target;  // internal name of the mailbox on the target ("" when none)
  Outcome outcome = Outcome::left_out;
  std::string detail;  // why left out / the server's answer / where it already is
  std::uint64_t target_uid = 0;  // from APPENDUID, 0 when unknown
};

struct ReinjectResult {
  std::vector<ReinjectEntry> entries;  // every manifest entry, in manifest order
  std::map<Outcome, std::uint64_t> counts;
  std::uint64_t bytes_appended = 0;
  double append_seconds = 0;  // time spent appending (for messages per second)
  std::vector<std::string> extensions_used;  // LITERAL+, MULTIAPPEND, UIDPLUS
  bool cancelled = false;
  Findings findings;
};

// The problem: OUT has no readable manifest (reinject.manifest-unreadable),
// it is not from a --not-in salvage (reinject.not-from-not-in), the target
// cannot be used (reinject.failed), or the journal cannot be written.
Result<ReinjectResult> reinject(const std::string& out_dir, const ImapServer& target,
                                const ReinjectOptions& opt);

// Names and values as sent to the target (exposed for tests).
namespace reinject_detail {
// "dd-Mon-yyyy hh:mm:ss +0000", quoted (APPEND's date-time).
std::string imap_date(std::int64_t unix_seconds);
// "user.fred^smith.Sent" → "fred.smith"; "" when not a user's mailbox.
std::string owner_of(const std::string& internal);
// As the owner sees it (shared mailboxes: as the admin does):
// "user.fred.A^b" → "INBOX/A.b" with '/' as the hierarchy delimiter.
std::string imap_name(const std::string& internal, char delimiter);
// The quarantine folder of a mailbox: "user.fred.Projects" →
// "user.fred.Recovered by spoolsalvage.Projects".
std::string quarantine_of(const std::string& internal);
// A uid-set of an APPENDUID response code, in order; empty when malformed.
std::vector<std::uint64_t> uid_set(std::string_view s);
// Whether a keyword can be sent as a flag (an IMAP atom).
bool is_flag_atom(std::string_view keyword);
}  // namespace reinject_detail

}  // namespace ss::salvage
