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
#include <optional>
#include <string>
#include <vector>

#include "core/problem.hpp"
#include "core/sha1.hpp"
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
};
std::string_view to_string(MessageState s);

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
  std::optional<Sha1> sha1;            // of the file, when read
  MessageState state = MessageState::unverified;
  std::string reason;                  // why not verified
  std::optional<Code> reason_code;     // the same as a catalogue code
};

struct MailboxCheck {
  IndexCheck index;
  std::optional<spool::MailboxHeader> header;
  std::vector<MessageVerdict> messages;  // sorted by uid
  Findings findings;                     // index + file findings
  std::uint64_t bytes_hashed = 0;
};

// Receives message bytes as the check reads them, so that a salvage reads
// each message once: the same bytes are hashed and written.
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // Whether to read this message at all (rec is null for a file no record
  // claims). Not wanted: not read, not hashed.
  virtual bool wanted(std::uint32_t uid, const spool::index::Record* rec) = 0;
  virtual void begin(std::uint32_t uid) = 0;
  virtual void chunk(ByteView bytes) = 0;
  virtual void end(bool complete) = 0;
};

struct CheckOptions {
  bool hash_messages = true;    // SHA-1 every message file
  MessageSink* sink = nullptr;  // also hand the bytes to this
};

MailboxCheck check_mailbox(fs::Filesystem& fs, const spool::Mailbox& m,
                           const CheckOptions& opt = {});

}  // namespace ss::validate
