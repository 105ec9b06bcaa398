// report/ for `check`: per mailbox, what the index passes and the message
// file pass found, in JSON and text.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/listing.hpp"
#include "validate/mailbox_check.hpp"

namespace ss::report {

struct CheckedMailbox {
  const spool::Mailbox* mailbox = nullptr;
  validate::MailboxCheck check;
};

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
