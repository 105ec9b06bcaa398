// salvage/: what "the other side" (the new master) holds, read offline from
// its evidence (DESIGN.md "The other side holds it"): the GUID of every
// record — live or expunged-but-present — of every mailbox there that is not
// deleted (a DELETED.* mailbox is what the user deleted: its mail is exactly
// what must be salvaged), and its mailboxes by uniqueid and by name, so each
// mailbox here can be classified.
#pragma once

#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/problem.hpp"
#include "fs/filesystem.hpp"
#include "spool/discovery.hpp"

namespace ss::salvage {

// One record of a mailbox (kept only when asked: `diff` compares them).
struct OtherRecord {
  std::uint32_t uid = 0;
  std::string guid;                // hex
  std::vector<std::string> flags;  // system flags, then keywords by name (sorted)
  std::int64_t internaldate = 0;   // seconds; 0 when not read (IMAP)
  bool expunged = false;           // expunged-but-present (offline only)
};

struct OtherSide {
  std::unordered_set<std::string> guids;           // hex, from live mailboxes' records
  std::map<std::string, std::string> state_by_uniqueid;  // "live" / "deleted"
  std::map<std::string, std::string> uniqueid_by_name;   // live mailboxes
  std::uint64_t records = 0, mailboxes = 0;
  // With keep_records: every live mailbox's records, by uniqueid ("name:" +
  // internal name for one without), and whether flags were read.
  std::map<std::string, std::vector<OtherRecord>> records_by_mailbox;
  bool flags_known = false;
  std::uint64_t records_unusable = 0;  // with keep_records: CRC failing or no GUID (not compared)
  Findings findings;
};

// The key of a mailbox in records_by_mailbox.
std::string record_key(const std::string& uniqueid, const std::string& internal_name);

OtherSide read_other_side(const std::vector<fs::Filesystem*>& fss, const spool::SpoolDiscovery& d,
                          bool keep_records = false);

// live | deleted-there | created-here | same-name-other-uniqueid
std::string classify(const spool::Mailbox& here, const OtherSide& other);

}  // namespace ss::salvage
