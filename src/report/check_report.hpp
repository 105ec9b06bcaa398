// report/ for `check`: per mailbox, what the index passes and the message
// file pass found, in JSON and text.
#pragma once

#include <nlohmann/json.hpp>
#include <functional>
#include <memory>
#include <string_view>
#include <optional>
#include <string>
#include <vector>

#include "report/listing.hpp"
#include "validate/mailbox_check.hpp"

namespace ss::report {

// What the report needs of one checked mailbox, kept while the others are
// checked: a few dozen bytes per message instead of the whole check
// (memory per record, issue 6).
struct CheckedRecord {
  std::uint32_t recno = 0, uid = 0;
  validate::Integrity integrity = validate::Integrity::damaged;
  std::unique_ptr<std::vector<std::uint32_t>> flipped;  // null: none (nearly every record)
  const std::vector<std::uint32_t>& flipped_bits() const;
};
// 64 bytes a message: what is rare (a reason, a GUID to look for) is kept
// apart, and only where there is one.
struct CheckedMessage {
  struct Rare {
    std::string reason;
    std::string missing_guid;  // salvage::missing_guid: what the lost-mail search looks for
  };
  std::uint64_t size = 0, inode = 0;
  std::unique_ptr<Rare> rare;
  std::uint32_t uid = 0;
  std::optional<std::uint32_t> recno;
  validate::MessageState state = validate::MessageState::unverified;
  std::optional<Sha1> sha1;
  bool expunged = false, has_file = false;
  bool missing_without_guid = false;  // salvage::missing_without_guid
  const std::string& reason() const;
  const std::string& missing_guid() const;
};
struct CheckedMailbox {
  const spool::Mailbox* mailbox = nullptr;
  std::string where;
  bool index_read = false;  // the index header could be decoded (the fields below)
  std::uint32_t minor = 0, num_records = 0, records_missing = 0, trailing_records = 0;
  std::size_t records_read = 0;
  validate::Integrity header_integrity = validate::Integrity::damaged;
  std::vector<CheckedRecord> records;
  std::vector<CheckedMessage> messages;
  Findings findings;
  std::uint64_t bytes_hashed = 0;
};

CheckedMailbox summarize_check(const spool::Mailbox& m, const validate::MailboxCheck& c);

// check --json: the document written mailbox by mailbox to `sink`, as a
// whole-document dump with indent 2 would give it: a spool's check is never
// held as one JSON tree (about 5 KB a message).
void write_check_json(const std::vector<EvidenceView>& evidence, const spool::SpoolDiscovery& disc,
                      const std::vector<CheckedMailbox>& checked,
                      const std::function<void(std::string_view)>& sink);
std::string check_text(const std::vector<EvidenceView>& evidence,
                       const spool::SpoolDiscovery& disc,
                       const std::vector<CheckedMailbox>& checked);

// Every finding of a check run (evidence, discovery, every checked mailbox).
Findings check_findings(const std::vector<EvidenceView>& evidence,
                        const spool::SpoolDiscovery& disc,
                        const std::vector<CheckedMailbox>& checked);

}  // namespace ss::report
