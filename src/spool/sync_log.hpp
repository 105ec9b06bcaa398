// sync/log: Cyrus's replication change log, read as a list of what changed
// recently (formats/sync-log.md; fact sheet §6). Salvage uses it to pick the
// mailboxes that may not have reached the replica (DESIGN.md use case 1).
//
// Contract:
//  - parse_sync_log reads any bytes: one entry per line "VERB SP arg [SP arg]
//    LF" (CRLF accepted, the verb upper-cased), each arg an IMAP astring
//    (atom, quoted string with backslash escaping the next byte, or literal
//    {N}/{N+} CRLF <N bytes>). A line that cannot be read becomes a finding
//    with its line number and byte offset and parsing goes on with the next
//    line; a last line without LF (a crash mid-write) is kept but marked
//    incomplete. A literal length is never trusted beyond the bytes present
//    nor beyond kMaxSyncLogArg.
//  - select_from_sync_log turns entries into the sets salvage selects by:
//    mailbox internal names, userids, SEEN items, quota roots, each with how
//    many lines named it and with which verbs.
//  - find_sync_logs lists the log files of a config directory in an evidence.
// Nothing here throws, prints or reads outside the given bytes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/problem.hpp"
#include "core/result.hpp"
#include "fs/filesystem.hpp"
#include "spool/names.hpp"

namespace ss::spool {

// No mailbox name (Cyrus: MAX_MAILBOX_BUFFER 1024), userid or uniqueid comes
// near this; a longer argument is damage, not a name.
inline constexpr std::size_t kMaxSyncLogArg = 64 * 1024;
// read_sync_log refuses bigger files (a log left growing for months on a
// server without a replica is large, but not this large).
inline constexpr std::uint64_t kMaxSyncLogBytes = std::uint64_t{1} << 30;

// The verbs a Cyrus writes, with the versions that write them.
enum class SyncVerb : std::uint8_t {
  user,           // USER userid (all)
  meta,           // META userid (sieve / user metadata)
  unuser,         // UNUSER userid (2.5+)
  mailbox,        // MAILBOX mailbox
  unmailbox,      // UNMAILBOX mailbox (2.5+)
  append,         // APPEND mailbox (2.3, 3.0+)
  acl,            // ACL mailbox (2.3)
  quota,          // QUOTA quotaroot
  annotation,     // ANNOTATION mailbox, or "" for server annotations
  seen,           // SEEN userid x: x is a mailbox name (2.3) or a uniqueid (2.4+)
  sub,            // SUB userid mailbox
  rename,         // RENAME old new (3.4+)
  doublemailbox,  // DOUBLEMAILBOX a b (3.4+)
  unknown,        // anything else (kept, selects nothing)
};
std::string_view to_string(SyncVerb v);
SyncVerb sync_verb_from(std::string_view upper_verb);
// Number of arguments the verb takes (0 for unknown).
std::size_t sync_verb_arity(SyncVerb v);

struct SyncLogEntry {
  std::string verb;  // as read, upper-cased
  SyncVerb kind = SyncVerb::unknown;
  std::vector<std::string> args;  // decoded astrings (exact bytes)
  std::uint64_t line = 0;         // 1-based line number of its first byte (counting LFs)
  std::uint64_t offset = 0;       // byte offset of its first byte
  bool complete = true;           // false: the file ends inside this line (no LF)
};

struct SyncLog {
  std::string place;  // what the findings name (evidence path of the log)
  std::vector<SyncLogEntry> entries;
  std::uint64_t bytes = 0;
  std::uint64_t lines = 0;        // lines seen, incomplete last line included
  std::uint64_t bad_lines = 0;    // lines skipped (syntax, NUL, literal, too long)
  std::uint64_t blank_lines = 0;  // empty lines (Cyrus writes none; skipped)
  bool complete = true;           // false: the last line has no LF
  Findings findings;
};

// `place` names the log in findings ("evidence:var/lib/cyrus/sync/log").
// Findings: spool.sync-log-syntax, -nul, -literal, -too-long (line skipped);
// -truncated (last line without LF); -unknown-verb, -arity (entry kept).
SyncLog parse_sync_log(ByteView bytes, std::string_view place);

// What one name was touched by: how many lines, and which verbs (sorted).
struct SyncLogUse {
  std::uint64_t lines = 0;
  std::set<std::string> verbs;
};

// The selection a sync log (or several) gives. Keys are exact bytes as
// logged; std::map keeps every listing deterministic.
struct SyncLogSelection {
  // arg1 of MAILBOX, APPEND, UNMAILBOX, ANNOTATION, ACL, RENAME,
  // DOUBLEMAILBOX; arg2 of RENAME, DOUBLEMAILBOX, SUB. Internal names.
  std::map<std::string, SyncLogUse, std::less<>> mailboxes;
  // USER, META, UNUSER, SEEN arg1, SUB arg1: the user's whole hierarchy.
  std::map<std::string, SyncLogUse, std::less<>> users;
  // SEEN arg2: a mailbox uniqueid (2.4+) or a mailbox name (2.3).
  std::map<std::string, SyncLogUse, std::less<>> seen_items;
  // QUOTA arg1: quota roots (informational; a root is a mailbox name, but a
  // quota change says nothing about the mail in it).
  std::map<std::string, SyncLogUse, std::less<>> quota_roots;
  bool server_annotations = false;  // ANNOTATION "" seen
  std::uint64_t entries_used = 0;
  std::uint64_t entries_ignored = 0;  // incomplete last lines and unknown verbs

  // Used by the matcher; set them from imapd.conf before matching.
  std::string deleted_prefix = std::string(kDefaultDeletedPrefix);
  std::string default_domain;  // imapd.conf defaultdomain (virtdomains)
};

// Adds a log's entries to `sel` (several logs: log, log-run, channels).
void add_sync_log(SyncLogSelection& sel, std::span<const SyncLogEntry> entries);
SyncLogSelection select_from_sync_log(const SyncLog& log);

// The userid owning an internal mailbox name: "user.fred.Sent" → "fred",
// "example.com!user.fred^smith" → "fred.smith@example.com"; for a deleted
// name the owner of its original name. nullopt outside "user.".
std::optional<std::string> mailbox_owner(std::string_view internal,
                                         std::string_view deleted_prefix = kDefaultDeletedPrefix);

// The names among `internal_names` that belong to `userid`: user.<id> and
// user.<id>.*, with "<domain>!" in front for "id@domain" (no prefix when the
// domain is `default_domain`); '.' in the userid is '^' in the name. Deleted
// mailboxes of the user (DELETED.user.<id>...) are included: their mail is
// what salvage is most likely to need. Sorted, unique.
std::vector<std::string> expand_user(std::string_view userid,
                                     std::span<const std::string> internal_names,
                                     std::string_view default_domain = {},
                                     std::string_view deleted_prefix = kDefaultDeletedPrefix);

// True when a mailbox (internal name, uniqueid or "") is selected: its name
// or (deleted) original name was logged, its owner was logged as a user, or
// its uniqueid (2.4+) or name (2.3) was logged by SEEN.
bool sync_log_selects(const SyncLogSelection& sel, std::string_view name,
                      std::string_view uniqueid);

// The sync logs under a config directory of `fs` ('/'-separated, relative to
// the filesystem root): <configdir>/sync and each <configdir>/sync/<channel>
// directory contribute "log-<digits>" (2.3/2.4 batch in flight, by pid),
// "log-run" (2.5+ batch in flight) and "log", in that order (older content
// first); the main directory first, then channels by name. Only regular
// files; symlinks are not followed. Paths have no leading '/'.
std::vector<std::string> find_sync_logs(fs::Filesystem& fs, std::string_view configdir_path);
// The same, reporting directories that could not be read.
std::vector<std::string> find_sync_logs(fs::Filesystem& fs, std::string_view configdir_path,
                                        Findings& findings);

// Reads and parses one log from the evidence (at most `limit` bytes; a
// bigger file gives the fs problem). A log given by the user as a local file
// is read by the caller and passed to parse_sync_log.
Result<SyncLog> read_sync_log(fs::Filesystem& fs, std::string_view path,
                              std::uint64_t limit = kMaxSyncLogBytes);

}  // namespace ss::spool
