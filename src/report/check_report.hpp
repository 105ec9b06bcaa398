// report/ for `check`: per mailbox, what the index passes and the message
// file pass found, in JSON and text.
#pragma once

#include <nlohmann/json.hpp>
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
  std::vector<std::uint32_t> flipped_bits;
};
struct CheckedMessage {
  std::uint32_t uid = 0;
  std::optional<std::uint32_t> recno;
  validate::MessageState state = validate::MessageState::unverified;
  bool expunged = false, has_file = false;
  std::uint64_t size = 0, inode = 0;
  std::optional<Sha1> sha1;
  std::string reason;
  std::string missing_guid;           // salvage::missing_guid: what the lost-mail search looks for
  bool missing_without_guid = false;  // salvage::missing_without_guid
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

nlohmann::json check_json(const std::vector<EvidenceView>& evidence,
                          const spool::SpoolDiscovery& disc,
                          const std::vector<CheckedMailbox>& checked);
std::string check_text(const std::vector<EvidenceView>& evidence,
                       const spool::SpoolDiscovery& disc,
                       const std::vector<CheckedMailbox>& checked);

// Every finding of a check run (evidence, discovery, every checked mailbox).
Findings check_findings(const std::vector<EvidenceView>& evidence,
                        const spool::SpoolDiscovery& disc,
                        const std::vector<CheckedMailbox>& checked);

}  // namespace ss::report
