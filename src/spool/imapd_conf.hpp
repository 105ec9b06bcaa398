// imapd.conf: the few settings discovery needs to find and read a spool.
// Format (Cyrus lib/libconfig.c): one "key: value" per line; '#' starts a
// comment line; blank lines are ignored. Keys are case-insensitive here.
// Continuation rule (ours, lenient): an indented line without its own
// "key:" continues the previous value (joined by one space); an indented
// line with a key is a key of its own. Nothing here throws; lines that are
// not understood are counted in `ignored_lines`.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace ss::spool {

struct ImapdConf {
  std::map<std::string, std::string> options;         // every key (lowercased) → value
  std::string configdirectory;                        // empty when not set
  std::map<std::string, std::string> partitions;      // partition-<name> → server path
  std::map<std::string, std::string> metapartitions;  // metapartition-<name> → server path
  std::string metapartition_files;                    // as configured (space separated)
  bool hashimapspool = false;
  bool fulldirhash = false;
  bool unixhierarchysep = true;  // default on from 3.0 (off in 2.x)
  bool virtdomains = false;      // "userid" and "on" both count as on
  bool mailbox_legacy_dirs = false;
  std::string mboxlist_db = "twoskip";  // default from 2.5 on (skiplist before)
  bool mboxlist_db_set = false;
  std::string deletedprefix = "DELETED";
  std::size_t ignored_lines = 0;
};

// Cyrus's boolean spellings: 1/0, yes/no, on/off, true/false, t/f (case-
// insensitive). Anything else gives `fallback`.
bool parse_conf_bool(std::string_view value, bool fallback);

ImapdConf parse_imapd_conf(std::string_view text);

}  // namespace ss::spool
