// validate/ pass "cyrus.header":
//   checks:   the uniqueid has a form Cyrus writes (16 hex digits in 2.x;
//             a 36-character UUID or 24 [0-9a-z] characters in 3.x); every
//             user flag name is a valid IMAP atom; CRC-32 of the whole file
//             equals header_file_crc of an intact index header (v12+).
//   repairs:  where that CRC fails, the unique one- or two-bit change to
//             cyrus.header that makes it hold is a proven correction (a
//             garbled keyword name, "\Snswered"-style); a CRC that cannot be
//             made to hold stays a warning (it is also stale after a crash
//             between the header rename and the index write).
//   needs:    the cyrus.header bytes; the index header's header_file_crc and
//             whether that header's own CRC holds.
//   produces: findings, and the header to use (corrected when proven).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/bytes.hpp"
#include "core/problem.hpp"
#include "spool/header.hpp"

namespace ss::validate {

struct HeaderCheck {
  std::optional<spool::MailboxHeader> header;  // as corrected when corrected
  bool corrected = false;
  bool crc_mismatch = false;                   // unproven mismatch remains
  Findings findings;
};

// `expected_crc`: header_file_crc from an index header whose integrity holds
// (nullopt when there is none, or it is 0: Cyrus treats 0 as "not set").
HeaderCheck check_header_file(ByteView bytes, std::optional<std::uint32_t> expected_crc,
                              const std::string& place);

// True for a string that IMAP allows as a flag keyword (an atom: no
// controls, spaces, 8-bit, or any of ( ) { % * " \ ]).
bool is_imap_atom(std::string_view s);

}  // namespace ss::validate
