// Times given on the command line (--since, --until): seconds since the
// epoch, or ISO 8601 "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]" with "Z" or
// "+HH:MM"/"-HH:MM" (no zone means UTC, stated in --help).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ss {

std::optional<std::int64_t> parse_time(std::string_view text);

}  // namespace ss
