// One mailbox directory → one Mailbox (discovery.hpp): reads cyrus.header
// and the first bytes of cyrus.index, counts message files, infers the
// layout, and names the mailbox from the header (3.6+ N), mailboxes.db, or
// the path, reporting disagreements. Internal to spool/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fs/filesystem.hpp"
#include "spool/discovery.hpp"
#include "spool/layout.hpp"
#include "spool/mailboxes_db.hpp"

namespace ss::spool {

struct DirRef {
  std::size_t fs_index = 0;
  std::string path;
  fs::NodeId id = 0;
  std::vector<fs::Entry> entries;
};

struct MailboxContext {
  const std::vector<fs::Filesystem*>* filesystems = nullptr;
  const MailboxesDb* db = nullptr;  // nullptr when none could be read
  std::string deleted_prefix = "DELETED";
  LayoutHints hints;
};

// "<uid>." with 1–10 digits and uid ≤ 2^32-1 (Cyrus accepts ^[0-9]+\.$).
std::optional<std::uint32_t> message_file_uid(std::string_view name);

// Builds the Mailbox for the directory `data` (message files) whose
// cyrus.* files are in `meta` (the same directory unless a metapartition is
// configured). `rel` is the directory relative to its partition root.
Mailbox read_mailbox_dir(const MailboxContext& ctx, const DirRef& data, const DirRef* meta,
                         std::string_view rel, std::string_view partition);

}  // namespace ss::spool
