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

struct OtherSide {
  std::unordered_set<std::string> guids;           // hex, from live mailboxes' records
  std::map<std::string, std::string> state_by_uniqueid;  // "live" / "deleted"
  std::map<std::string, std::string> uniqueid_by_name;   // live mailboxes
  std::uint64_t records = 0, mailboxes = 0;
  Findings findings;
};

OtherSide read_other_side(const std::vector<fs::Filesystem*>& fss, const spool::SpoolDiscovery& d);

// live | deleted-there | created-here | same-name-other-uniqueid
std::string classify(const spool::Mailbox& here, const OtherSide& other);

}  // namespace ss::salvage
