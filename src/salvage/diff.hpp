// salvage/: the split-brain diff — what the old master holds that the new
// master lacks, matched by GUID (never by uid: after the split both sides
// give the same uids to different messages), mailboxes matched by uniqueid,
// then by name (DESIGN.md "The other side holds it"). It only reads both
// sides. Per mailbox of the old master (live there, and selected): its
// classification against the new master, the messages only on the old one,
// the uids both sides use for different messages, and the flags that differ
// for the same message in the same mailbox. A mailbox deleted on the new
// master is the danger: resuming replication from the old master would
// delete it there too, with the mail only it holds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/problem.hpp"
#include "salvage/other_side.hpp"
#include "salvage/salvage.hpp"
#include "spool/discovery.hpp"

namespace ss::salvage {

struct DiffOptions {
  Selection sel;                  // mailbox_globs, sync_log, since, until
  bool include_expunged = false;  // compare records expunged on the old master too
};

// A uid the two sides use for different messages in the same mailbox (same
// uniqueid).
struct UidCollision {
  std::uint32_t uid = 0;
  std::string here, there;  // GUIDs
};

// The same message (GUID) in the same mailbox, with other flags on each side
// (records expunged on the new master are not compared).
struct FlagDrift {
  std::string guid;
  std::uint32_t uid_here = 0, uid_there = 0;
  std::vector<std::string> here, there;
};

struct DiffMailbox {
  std::string name, display_name, uniqueid;
  std::string classification;  // live | deleted-there | created-here | same-name-other-uniqueid
  std::string skipped;         // not in the selection: why ("" when compared)
  std::uint64_t records = 0;   // intact records compared
  std::uint64_t held = 0;      // of them, GUIDs the new master holds (anywhere)
  std::vector<OtherRecord> only_here;  // GUIDs the new master holds nowhere
  std::uint64_t outside_dates = 0;     // only here, but outside --since/--until
  std::uint64_t expunged_here = 0;     // expunged on the old master, not compared
  std::vector<UidCollision> uid_collisions;
  std::vector<FlagDrift> flag_drift;
};

struct DiffResult {
  std::vector<DiffMailbox> mailboxes;  // the old master's live mailboxes, by name
  std::uint64_t only_here = 0, outside_dates = 0, uid_collisions = 0, flag_drift = 0;
  std::uint64_t deleted_there = 0;     // mailboxes
  std::uint64_t records_unusable = 0;  // old master records without an intact GUID
  bool flags_compared = false;
};

// old_side: read_other_side(old filesystems, old_disc, keep_records = true);
// new_side: the same for the new master, or read_other_side_imap with
// keep_records.
DiffResult diff_sides(const spool::SpoolDiscovery& old_disc, const OtherSide& old_side,
                      const OtherSide& new_side, const DiffOptions& opt);

}  // namespace ss::salvage
