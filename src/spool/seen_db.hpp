// Seen databases: a user's \Seen state per mailbox, kept outside the mailbox
// (formats/seen-db.md; fact sheet §7, §4.2–4.3, §5).
//
// It is the only source of \Seen for index versions < 12 (Cyrus 2.2/2.3: the
// index has no \Seen bit) and, in every version, for users other than the
// mailbox owner (unless the mailbox has IMAP_SHAREDSEEN).
//
// Contract:
//  - parse_uid_set reads IMAP sequence-set text ("1:5,7,9:12") into sorted,
//    disjoint ranges. It never expands a range: "1:4294967295" is one range.
//    The number of ranges kept is bounded (kMaxSeenRanges); anything that is
//    not a number, a range or '*' is counted and skipped.
//  - parse_seen_value reads "<version> <lastread> <lastuid> <lastchange>
//    <uid-set>" (Cyrus writes version 1) and keeps every part that parses;
//    `issue` says what did not.
//  - seen_db_paths / find_seen_db name the file(s) a user's seen db may be
//    in: the 3.6+ uuid path (needs the user's INBOX uniqueid) and the legacy
//    <user>.seen paths under both hash schemes (plain and fulldirhash) unless
//    told which one the server used.
//  - read_seen_db / parse_seen_db read a seen db of any backend the cyrusdb
//    readers know (twoskip, skiplist, flat; auto-detected by magic), keyed by
//    mailbox uniqueid. Nothing here throws, prints or reads outside the bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/problem.hpp"
#include "core/result.hpp"
#include "fs/filesystem.hpp"
#include "spool/mailboxes_db.hpp"

namespace ss::spool {

// A seen db of one user is small (one short line per mailbox the user ever
// selected); a bigger file is not read.
inline constexpr std::uint64_t kMaxSeenDbBytes = std::uint64_t{64} << 20;
// Ranges kept per uid set. A set Cyrus writes is at most as many ranges as
// the mailbox has messages; past this the set is truncated (and says so).
inline constexpr std::size_t kMaxSeenRanges = std::size_t{1} << 20;

// Inclusive uid range.
struct UidRange {
  std::uint32_t first = 0;
  std::uint32_t last = 0;
  bool operator==(const UidRange&) const = default;
};

// A set of uids held as sorted, disjoint, non-adjacent ranges.
class UidSet {
 public:
  // Adds [first, last] (swapped when first > last, as IMAP allows "5:1").
  // Uid 0 is not a uid: a range starting at 0 starts at 1; "0" alone adds
  // nothing. Returns false when the range was not added because the set
  // already holds kMaxSeenRanges ranges.
  bool add(std::uint32_t first, std::uint32_t last);
  bool contains(std::uint32_t uid) const;
  bool empty() const { return ranges_.empty(); }
  // How many uids the set holds (up to 2^32 - 1).
  std::uint64_t count() const;
  const std::vector<UidRange>& ranges() const { return ranges_; }
  // Canonical sequence-set text: "1:5,7,9:12" ("" when empty).
  std::string to_string() const;

 private:
  std::vector<UidRange> ranges_;
};

struct UidSetParse {
  UidSet set;
  std::size_t items = 0;      // comma-separated items seen
  std::size_t bad_items = 0;  // items skipped (not "n", "n:m", "*", or a uid > 2^32-1)
  bool star = false;          // a '*' was present (taken as `star_value`)
  bool truncated = false;     // more than kMaxSeenRanges ranges; the rest were dropped
  // What Cyrus would do: a set that is not a valid sequence (imparse_issequence)
  // is read as empty ("invalid sequence ... - nuking").
  bool cyrus_valid = true;
};

// `star_value` replaces '*' (Cyrus parses the seen set with the mailbox's
// lastuid as '*').
UidSetParse parse_uid_set(std::string_view text, std::uint32_t star_value = UINT32_MAX);

// One seen entry: Cyrus's struct seendata.
struct SeenState {
  std::uint32_t version = 0;      // leading number; Cyrus writes (and asserts) 1
  std::int64_t lastread = 0;      // Unix time of the user's last SELECT
  std::uint32_t lastuid = 0;      // mailbox's last uid at that time (2.x: uids above are \Recent)
  std::int64_t lastchange = 0;    // Unix time of the last change of this entry
  UidSet seen;                    // \Seen uids
  std::size_t bad_items = 0;      // uid-set items skipped
  bool truncated = false;         // uid set truncated at kMaxSeenRanges
  bool cyrus_valid = true;        // Cyrus would accept the uid set (else it reads it as empty)
  std::string issue;              // empty when the value is exactly as Cyrus writes it

  bool is_seen(std::uint32_t uid) const { return seen.contains(uid); }
  bool well_formed() const { return issue.empty(); }
};

// Never fails: fields that do not parse stay 0 and `issue` names them.
SeenState parse_seen_value(std::string_view value);

struct SeenEntry {
  std::string uniqueid;  // the key: mailbox uniqueid (2.x and 3.x alike)
  SeenState state;
  std::uint64_t offset = 0;  // record offset in the file
};

struct SeenDb {
  std::string place;  // the file, as named for findings
  DbBackend backend = DbBackend::unknown;
  std::vector<SeenEntry> entries;  // sorted by uniqueid, one per key
  std::uint64_t records = 0;       // records read (all types)
  std::uint64_t bad_records = 0;   // damaged records / regions skipped
  bool replayed = false;           // twoskip: chain broken, linear replay used
  Findings findings;               // spool.seen-db-damaged, spool.seen-value-invalid

  const SeenEntry* find(std::string_view uniqueid) const;
  std::optional<SeenState> for_mailbox(std::string_view uniqueid) const;
};

// Bytes of a seen db → entries. A backend that cannot be read (twom, or not
// recognised) gives a SeenDb with no entries and spool.seen-db-unreadable.
SeenDb parse_seen_db(ByteView bytes, std::string_view place);

// Reads `path` ('/'-separated, relative to the filesystem root) from `fs`.
// Fails (spool.seen-db-unreadable, or the fs problem) when the file cannot be
// read, is bigger than `limit`, or has a backend no reader knows.
Result<SeenDb> read_seen_db(fs::Filesystem& fs, std::string_view path,
                            std::uint64_t limit = kMaxSeenDbBytes);

// Where a user's seen db may be.
struct SeenDbPath {
  std::string path;    // relative to the filesystem root, no leading '/'
  std::string layout;  // "uuid", "legacy" (dir_hash_c plain) or "legacy-fulldirhash"
};

struct SeenDbQuery {
  std::string userid;          // "fred", or "fred@example.com" with virtdomains
  std::string inbox_uniqueid;  // 3.6+ uuid users: uniqueid of user.<id>; "" = unknown/legacy
  std::optional<bool> fulldirhash;  // from imapd.conf; nullopt = try both
};

// Candidate paths, most specific first: the uuid path
// <configdir>/user/uuid/<u0>/<u1>/<inbox-uniqueid>/seen.db (when the INBOX
// uniqueid is given), then <configdir>/[domain/<H(dom)>/<dom>/]user/<H(user)>/<user>.seen
// for each hash scheme allowed (plain first). A userid holding '.' also gets
// the '^' spelling of the name (UNSURE which one a given version used).
std::vector<SeenDbPath> seen_db_paths(std::string_view configdir_path, const SeenDbQuery& q);

// The candidates that exist as regular files in `fs`. Lookup damage goes to
// `findings`; when none exists, spool.seen-db-absent (info) names the user
// and the paths tried.
std::vector<SeenDbPath> find_seen_db(fs::Filesystem& fs, std::string_view configdir_path,
                                     const SeenDbQuery& q, Findings& findings);
// Shorthand: legacy paths (both hash schemes), plus the uuid path when
// `inbox_uniqueid` is given.
std::vector<SeenDbPath> find_seen_db(fs::Filesystem& fs, std::string_view configdir_path,
                                     std::string_view userid, Findings& findings,
                                     std::string_view inbox_uniqueid = {});

}  // namespace ss::spool
