// salvage/ output: one Maildir per mailbox under OUT/maildir/.
//
// Directory names are made from the display name so a person recognises
// them, but safe on any filesystem: every byte outside [A-Za-z0-9_-] and
// non-ASCII UTF-8 letters is %XX-escaped (so '/', '.', '..', control
// characters and NUL cannot appear), hierarchy levels are joined by '.', the
// name is cut to 180 bytes, and a name that collides with another mailbox's
// (also case-insensitively, for macOS/Windows copies) or was cut gets a
// suffix "~" + 8 hex digits of the internal name's hash. The manifest maps
// every directory back to its mailbox.
//
// Messages: "<internaldate>.<uid>.spoolsalvage:2,<flags>" in cur/, flags in
// Maildir letter order (D F R S T, then keyword letters a-z as listed in the
// folder's dovecot-keywords file), mtime = internal date. Files are written
// to tmp/ and renamed into cur/ only when complete.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace ss::salvage {

class MaildirNamer {
 public:
  // A directory name for `internal_name` (display name shown), unique among
  // all names given out by this namer. Same input → same output.
  std::string name_for(const std::string& internal_name, const std::string& display_name);

 private:
  std::set<std::string> used_folded_;
  std::map<std::string, std::string> given_;
};

// Escapes one display name into a safe directory name (no suffix handling).
std::string escape_component_path(const std::string& display_name);

// Maildir flag letters for IMAP system flags (\Draft \Flagged \Answered
// \Seen \Deleted → D F R S T), sorted.
std::string maildir_flag_letters(const std::vector<std::string>& system_flags,
                                 const std::vector<char>& keyword_letters);

// Creates OUT/maildir/<dir>/{cur,new,tmp}. Never follows a symlink out.
Status make_maildir(const std::string& root, const std::string& dir);

// Writes the folder's dovecot-keywords file ("N name" lines).
Status write_keywords_file(const std::string& maildir_path, const std::vector<std::string>& names);

// Moves a complete temp file into cur/ as "<base>:2,<flags>" (never over an
// existing file: ".1", ".2"... is added to base then) and sets its mtime.
// Returns the file name used.
Result<std::string> publish(const std::string& tmp_path, const std::string& maildir_path,
                            const std::string& base, const std::string& flags,
                            std::int64_t mtime);

// A file an earlier run published (--resume), already under the right
// name: sets its mtime again; returns its name.
Result<std::string> keep_published(const std::string& maildir_path, const std::string& name,
                                   std::int64_t mtime);

}  // namespace ss::salvage
