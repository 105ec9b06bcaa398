// validate/ over one mailbox: the index passes (index_check.hpp) plus
//
// Pass "message files" checks: every record's file is present (unless the
//                record says it was unlinked), its size equals the record's,
//                SHA-1 of its bytes equals the record's GUID (v10+, GUID not
//                zero); every "<uid>." file has a record; a CRC correction
//                is accepted only when the file's SHA-1 proves the corrected
//                GUID (or, with no file, when it is the unique range-checked
//                candidate).
//                needs: the mailbox's directory in a Filesystem.
//                produces: a verdict per message and the findings.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/problem.hpp"
#include "core/sha1.hpp"
#include "fs/bulk_read.hpp"
#include "fs/filesystem.hpp"
#include "spool/discovery.hpp"
#include "spool/header.hpp"
#include "validate/index_check.hpp"

namespace ss::validate {

// What is known of one message (a record, a file, or both).
enum class MessageState {
  verified,     // SHA-1 = GUID of a record whose integrity holds
  corrected,    // as verified, the record needed a proven correction
  unverified,   // bytes present, nothing proves them (no GUID, mismatch, damaged record)
  missing,      // a record, no file (and not marked unlinked)
  unlinked,     // a record marked unlinked, no file: expected
  no_record,    // a file no record claims
  unread,       // some of its file's bytes could not be read (I/O error, ddrescue unread range)
};
std::string_view to_string(MessageState s);

// Whether a message file's bytes were read and hashed.
enum class ReadState {
  not_read,    // not (yet) read
  not_wanted,  // the caller left it out (a salvage selection)
  failed,      // reading failed: read_problem says why
  hashed,      // sha1 holds the SHA-1 of every byte
};

struct MessageVerdict {
  std::uint32_t uid = 0;
  std::optional<std::uint32_t> recno;  // index record, if any
  std::optional<std::size_t> record;   // its position in MailboxCheck::index.records
  bool from_expunge = false;           // the record is in 2.3's cyrus.expunge
  bool expunged = false;
  bool has_file = false;
  std::uint64_t file_size = 0;
  std::uint64_t inode = 0;
  fs::NodeId node = 0;                 // the file in its Filesystem
  std::int64_t mtime = 0;              // of the file
  ReadState read = ReadState::not_read;
  std::optional<Sha1> sha1;            // of the file, when read
  std::string read_problem;            // when reading failed
  MessageState state = MessageState::unverified;
  std::string reason;                  // why not verified
  std::optional<Code> reason_code;     // the same as a catalogue code
  bool settled = false;                // state is final
};

struct MailboxCheck {
  std::string where;                     // "display name (dir)", for finding places
  IndexCheck index;
  std::optional<spool::MailboxHeader> header;
  std::vector<MessageVerdict> messages;  // sorted by uid
  Findings findings;                     // index + file findings
  std::uint64_t bytes_hashed = 0;
  fs::BulkReadStats reads;               // how the message bytes were read
};

// The check in two steps, so that a caller can read the message files of
// many mailboxes together (fs/bulk_read.hpp) between them:
//  1. check_mailbox_meta: cyrus.header, cyrus.index (and cyrus.expunge),
//     cyrus.cache and the directory listing; a verdict per message, final
//     for messages without a file, pending for those with one;
//  2. the caller sets `read` (and sha1 or read_problem) of each message
//     with a file, then settle_messages gives every pending message its
//     state: a CRC correction is accepted only when the file's SHA-1 proves
//     it, a message is verified only when its SHA-1 equals the GUID of a
//     record whose integrity holds.
MailboxCheck check_mailbox_meta(fs::Filesystem& fs, const spool::Mailbox& m);
void settle_messages(MailboxCheck& c);

struct CheckOptions {
  bool hash_messages = true;  // SHA-1 every message file
  fs::BulkReadOptions reading;
};

// Both steps, the files read in disk order with SHA-1 on worker threads.
MailboxCheck check_mailbox(fs::Filesystem& fs, const spool::Mailbox& m,
                           const CheckOptions& opt = {});

// check_mailbox for many mailboxes (each on fss[m->fs_index]), pipelined:
// the message bytes of one mailbox are read from the evidence and hashed on
// another thread while the next mailbox's metadata is read through
// libext2fs on this one, so that the disk is not left idle while indexes
// are decoded. `done` gets every mailbox's check in the order given, on
// this thread. Memory: two mailboxes' checks at a time.
void check_mailboxes(const std::vector<fs::Filesystem*>& fss,
                     const std::vector<const spool::Mailbox*>& mailboxes, const CheckOptions& opt,
                     const std::function<void(const spool::Mailbox&, MailboxCheck&&)>& done);

}  // namespace ss::validate
