// spool/ discovery: find the Cyrus spool(s) in one or more filesystems
// without configuration from the user, and name every mailbox.
//
// Contract: reads imapd.conf (etc/imapd.conf, or imapd.conf at the root of an
// evidence that is the config partition itself) for configdirectory and
// partition-* roots; maps those absolute server paths onto the evidence (the
// same path, or a suffix of it when the evidence is only the partition).
// Without a usable config, walks every filesystem for directories holding
// cyrus.header or cyrus.index. Recognises the legacy flat, legacy hashed
// (hashimapspool, fulldirhash) and 3.6+ uuid layouts and DELETED.* mailboxes.
// Names each mailbox from its cyrus.header (3.6+ stores N), else from
// mailboxes.db, else from its path, and says which (name_source); a deleted
// name (a legacy DELETED/ path, or mailboxes.db's DELETED.* name for a uuid
// directory) outranks a live one, so a deleted mailbox is never filed as live.
// Never fails as a whole: problems are findings, and a spool without any
// mailbox gives spool.none-found.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/problem.hpp"
#include "fs/filesystem.hpp"

namespace ss::spool {

enum class MailboxState { live, deleted };
std::string_view to_string(MailboxState s);

// How a mailbox got its name (JSON key name_source).
enum class NameSource { header, mailboxes_db, path };
std::string_view to_string(NameSource s);

// Where the spool roots came from.
enum class RootSource { imapd_conf, walk };
std::string_view to_string(RootSource s);

struct SpoolRoot {
  std::size_t fs_index = 0;     // which evidence (index into the filesystems given)
  std::string path;             // path of the partition root inside that filesystem
  std::string partition;        // partition name ("default"), empty when found by walking
  std::string configured_path;  // the path imapd.conf gives, if any
  RootSource source = RootSource::walk;
};

struct Mailbox {
  std::string name;           // Cyrus internal name, e.g. user.fred.Sent (modified UTF-7)
  std::string display_name;   // IMAP name in UTF-8 with '/' separator, e.g. user/fred/Entwürfe
  std::string original_name;  // for deleted mailboxes: the name before deletion
  NameSource name_source = NameSource::path;
  std::string uniqueid;      // empty when unknown
  std::string type;          // mailbox type letters from header/mailboxes.db (3.6+), e.g. "e"
  std::size_t fs_index = 0;  // which evidence holds its directory
  std::string dir;           // directory path inside that filesystem, '/'-separated, no
                             // leading '/' (e.g. "var/spool/cyrus/mail/uuid/3/f/3f0b...");
                             // "" is the filesystem root
  // Where the cyrus.* files were read when a metapartition holds them
  // (metapartition-<name>); empty meta_dir = the same as dir.
  std::size_t meta_fs_index = 0;
  std::string meta_dir;
  std::string partition;  // partition name when known
  std::string layout;     // "uuid", "legacy", "legacy-hashed", "legacy-fulldirhash", "unknown"
  MailboxState state = MailboxState::live;
  // From the cyrus.index header; nullopt when the index is missing or unreadable.
  std::optional<std::uint32_t> index_version;
  std::optional<std::uint64_t> records;  // records the index header says it holds
  std::uint64_t message_files = 0;       // "<uid>." files in dir
  bool has_header = false;
  bool has_index = false;
  bool has_cache = false;
  Findings findings;  // problems local to this mailbox
};

struct ConfigInfo {
  bool found = false;
  std::size_t fs_index = 0;
  std::string path;                                        // where imapd.conf was found
  std::string configdirectory;                             // as configured (server path)
  std::optional<std::string> configdirectory_in_evidence;  // mapped path, when present
  std::map<std::string, std::string> partitions;           // name -> server path
  std::map<std::string, std::string> options;              // every key: value read
  bool hashimapspool = false;
  bool fulldirhash = false;
  bool unixhierarchysep = true;
  std::string mailboxes_db_backend;                   // from mboxlist_db, or detected
  std::map<std::string, std::string> metapartitions;  // name -> server path
  std::string deletedprefix = "DELETED";
  bool virtdomains = false;
  bool mailbox_legacy_dirs = false;
  // The mailboxes.db read (from configdirectory, a usual path, or the walk).
  std::optional<std::string> mailboxes_db_in_evidence;
  std::size_t mailboxes_db_fs_index = 0;
  std::size_t mailboxes_db_entries = 0;
};

// A mailboxes.db entry with no directory found (spool.mailbox-dir-missing),
// and where its directory would be.
struct MissingMailbox {
  std::string name, uniqueid, partition;
  std::vector<std::pair<std::size_t, std::string>> expected_dirs;  // (filesystem, path)
};

struct SpoolDiscovery {
  ConfigInfo config;
  std::vector<SpoolRoot> roots;
  std::vector<Mailbox> mailboxes;  // sorted by name
  std::vector<MissingMailbox> missing;
  Findings findings;
};

SpoolDiscovery discover(const std::vector<fs::Filesystem*>& filesystems);

struct MessageFile {
  std::uint32_t uid = 0;
  std::uint64_t size = 0;
  std::uint64_t inode = 0;
  std::int64_t mtime = 0;
  fs::NodeId id = 0;
};

// The "<uid>." files in a mailbox directory, sorted by uid. Other names are
// reported as spool.odd-file findings (except cyrus.* and dot files).
Result<std::vector<MessageFile>> list_message_files(fs::Filesystem& fs, const Mailbox& mbox,
                                                    Findings& findings);

}  // namespace ss::spool
