// The "dlist" text form Cyrus uses for 3.6+ cyrus.header line 4 and for
// mailboxes.db values from 2.5 on (imap/dlist.c): a kvlist "%(K V K V ...)",
// a list "(V V ...)", an atom, a quoted string "..." (backslash takes the
// next byte literally), a literal "{N}\r\n<N bytes>" (also "{N+}"), or NIL.
// See formats/cyrus-header.md. Bounded: nesting depth and element counts
// are capped, literal lengths are checked against the bytes present; a
// malformed input gives nullopt and a reason, never an exception.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ss::spool {

struct DlistValue {
  enum class Kind { nil, string, list, kvlist };
  DlistValue();  // out of line: clang 14 with libstdc++ 12 rejects the implicit one
  Kind kind = Kind::nil;
  std::string text;                                    // string
  std::vector<DlistValue> items;                       // list
  std::vector<std::pair<std::string, DlistValue>> kv;  // kvlist, in file order

  // The first value under `key` in a kvlist (nullptr if none / not a kvlist).
  const DlistValue* get(std::string_view key) const;
  // The string under `key`, nullopt when absent, NIL or not a string.
  std::optional<std::string> get_string(std::string_view key) const;
};

struct DlistResult {
  std::optional<DlistValue> value;
  std::string error;         // why parsing stopped, when value is empty
  std::size_t consumed = 0;  // bytes used by the value
};

// Parses one value from the start of `in` (leading spaces skipped).
DlistResult parse_dlist(std::string_view in);

}  // namespace ss::spool
