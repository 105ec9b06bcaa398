// spool/: the header of a message file (RFC 5322), read only as far as a
// person needs to tell what a message is: From, To, Subject, Date,
// Message-ID. Used for mail found with no record to prove it
// (OUT/unmatched/).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"

namespace ss::spool {

struct HeaderSummary {
  std::string from, to, subject, date, message_id;
  bool looks_like_message = false;  // begins with a header field and has a field we know
};

// Reads header lines from the start of `head` (unfolding continuation
// lines) up to the blank line or the end of `head`. The first occurrence of
// each field counts; values are cut at 200 characters, bytes outside
// printable ASCII become '?'.
HeaderSummary summarize_header(ByteView head);

// The same fields from the IMAP ENVELOPE that cyrus.cache keeps for a
// message (RFC 3501: date, subject, from, sender, reply-to, to, cc, bcc,
// in-reply-to, message-id); an address as mailbox@host. Fields it does not
// hold, or cannot be read, are empty.
HeaderSummary summarize_envelope(std::string_view envelope);

}  // namespace ss::spool
