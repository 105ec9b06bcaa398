// Times given on the command line (--since, --until):
//  - ISO 8601 "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]" (or a space for the T),
//    optionally followed by "Z" or "+HH:MM"/"-HH:MM" (no zone means UTC,
//    stated in --help). Strict: the day must exist in its month (no
//    2024-02-30, no 2023-02-29), hours 00–23, minutes 00–59, seconds 00–60
//    (60: a leap second), zone offset hours 00–23 and minutes 00–59
//    (RFC 3339's grammar);
//  - epoch seconds: "@" and digits (any number of them), or a bare number of
//    9 or more digits (1973-03-03 and later). A bare number of 1–8 digits is
//    refused as ambiguous: "2024" is a year to a reader, and "20240101" an ISO
//    basic date, but as epoch seconds both lie in 1970 and --since would
//    select everything.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ss {

// The time as seconds since the epoch, or nullopt; then `why`, when given,
// says what is wrong (one short phrase, no trailing period), or is left
// empty when the text has no recognisable form at all.
std::optional<std::int64_t> parse_time(std::string_view text, std::string* why = nullptr);

}  // namespace ss
