// cyrus.header: the per-mailbox file naming its quota root, uniqueid, user
// flag names and ACL (formats/cyrus-header.md; fact sheet §3).
//
// Layout: the 4-byte magic A1 02 8B 0D and three fixed text lines, then
//  - old text form (2.x–3.4): line 4 "quotaroot TAB uniqueid", line 5 the
//    user flag names each followed by one space (an empty token is an
//    unused slot), line 6 the ACL "id TAB rights TAB ...";
//  - dlist form (3.6+): line 4 "%(T type N name I uniqueid Q quotaroot
//    A %(id rights ...) U (flag NIL flag ...))".
// Checks, in order: magic (spool.header-bad-magic), line 4 present and
// parsable (spool.header-unparsable); lines 5/6 missing in the text form give
// spool.header-truncated in `findings` but the header is still returned.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace ss::spool {

// The magic: 4 binary bytes and three text lines, identical in every version.
inline constexpr std::string_view kHeaderMagic =
    "\xA1\x02\x8B\x0D"
    "Cyrus mailbox header\n"
    "\"The best thing about this system was that it had lots of goals.\"\n"
    "\t--Jim Morris on Andrew\n";

enum class HeaderForm { text, dlist };
std::string_view to_string(HeaderForm f);

struct MailboxHeader {
  HeaderForm form = HeaderForm::text;
  std::string quotaroot;
  std::string uniqueid;  // empty in ancient headers without one
  std::string name;      // N (3.6+ only): the mailbox's own internal name
  std::string type;      // T (3.6+ only), e.g. "e"
  std::string jmapid;    // J (3.13+)
  // Positional: slot i ↔ index user-flag bit i; nullopt = unused slot.
  std::vector<std::optional<std::string>> user_flags;
  std::vector<std::pair<std::string, std::string>> acl;  // identifier → rights
  Findings findings;  // non-fatal problems (spool.header-truncated)
};

// `place` names the file for findings (e.g. "fs0:var/spool/.../cyrus.header").
Result<MailboxHeader> parse_header(ByteView bytes, std::string_view place);

}  // namespace ss::spool
